import {
  AuditorService,
  BackstageCredentials,
  BackstageServicePrincipal,
  BackstageUserPrincipal,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  DEV_SESSION_ROLES,
  DEV_SESSION_STATES,
  DevSession,
  devSessionAdminPermission,
  devSessionCreatePermission,
  devSessionDeletePermission,
  devSessionReadPermission,
  devSessionUpdatePermission,
  DevSessionRole,
  DevSessionSpec,
  DevSessionState,
  normalizeEntityRef,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import express from 'express';
import Router from 'express-promise-router';
import type { ContainerLogs } from '../cluster/ContainerLogs';
import { ACTIVITY_TOKEN_PREFIX } from '../lifecycle/ActivityTokens';
import { DevSessionsApi } from '../service/types';
import {
  validateCreateRequest,
  validateOwner,
  validateProjectUuid,
  validateTimeoutSeconds,
} from '../service/validation';
import { createAudited } from './audit';
import { createDevSessionAuthorizer } from './authorize';

/** Who may call the API: signed-in users and backend services (never anonymous requests). */
type Caller = BackstageCredentials<
  BackstageUserPrincipal | BackstageServicePrincipal
>;

function boolQuery(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InputError(`Invalid ${name}: must be true or false`);
}

/** `timeoutSeconds` of a query: Helm's timeout for a create (30 s and up), a wait for a delete. */
function timeoutQuery(v: unknown, min?: number): number | undefined {
  return validateTimeoutSeconds(v === undefined ? undefined : Number(v), min);
}

/** The query parameters of a paged session list; their presence asks for a page. */
const PAGE_PARAMS = ['mine', 'state', 'q', 'offset', 'limit'] as const;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 500;
const MAX_SEARCH_LENGTH = 200;
/** Lines of a container log: by default, and at most. */
const DEFAULT_LOG_LINES = 500;
const MAX_LOG_LINES = 5000;

/** A single-valued query parameter (a repeated one is refused). */
function oneQuery(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new InputError(`Invalid ${name}: must be given once`);
  return v;
}

/** An integer query parameter within [min, max]. */
function intQuery(
  v: unknown,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = oneQuery(v, name);
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InputError(
      `Invalid ${name}: must be an integer from ${min} to ${max}`,
    );
  return n;
}

/** `container`: a role (the chart names each container by its role); required. */
function containerQuery(v: unknown): DevSessionRole {
  const text = oneQuery(v, 'container');
  if (!(DEV_SESSION_ROLES as readonly unknown[]).includes(text))
    throw new InputError(
      `Invalid container: must be one of ${DEV_SESSION_ROLES.join(', ')}`,
    );
  return text as DevSessionRole;
}

/** `state=a,b` (or repeated): states of the list, each a DevSessionState. */
function statesQuery(v: unknown): DevSessionState[] | undefined {
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap(p =>
    typeof p === 'string' ? p.split(',') : [p],
  );
  const states = new Set<DevSessionState>();
  for (const p of parts) {
    const state = typeof p === 'string' ? p.trim() : p;
    if (state === '') continue;
    if (!DEV_SESSION_STATES.includes(state as DevSessionState))
      throw new InputError(
        `Invalid state: ${JSON.stringify(
          state,
        )} is not one of ${DEV_SESSION_STATES.join(', ')}`,
      );
    states.add(state as DevSessionState);
  }
  return states.size ? [...states] : undefined;
}

/** `q`: text to search for, at most MAX_SEARCH_LENGTH characters. */
function searchQuery(v: unknown): string | undefined {
  const text = oneQuery(v, 'q')?.trim();
  if (text && text.length > MAX_SEARCH_LENGTH)
    throw new InputError(
      `Invalid q: must be at most ${MAX_SEARCH_LENGTH} characters`,
    );
  return text || undefined;
}

function userRef(credentials: Caller): string | undefined {
  return credentials.principal.type === 'user'
    ? credentials.principal.userEntityRef
    : undefined;
}

/**
 * The heartbeat route: open to requests without Backstage credentials (the plugin adds an
 * `unauthenticated` auth policy for it), because the workspace authenticates with its session's
 * own token.
 */
export const ACTIVITY_ROUTE = '/projects/:projectUuid/session/activity';

/** The REST API under /api/dev-sessions. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  auditor: AuditorService;
  service: DevSessionsApi;
  /** The orphan namespaces report (GET /orphans); absent: 404. */
  orphans?: () => Promise<unknown[]>;
  /** Container logs (GET …/session/logs); absent (no cluster): 503. */
  logs?: Pick<ContainerLogs, 'read'>;
}): Promise<express.Router> {
  const { httpAuth, permissions, userInfo, auditor, service } = options;
  const authorizer = createDevSessionAuthorizer(permissions);
  const { authorize, filter } = authorizer;
  const audited = createAudited(auditor);
  const router = Router();
  router.use(express.json({ limit: '256kb' }));

  const caller = (req: express.Request): Promise<Caller> =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  /**
   * The owner of a new session: whom the caller names, normalised. A user may name only
   * themselves or one of their ownership refs (their groups); a service must name one.
   */
  async function checkOwner(credentials: Caller, owner: string) {
    if (credentials.principal.type !== 'user') return;
    const info = await userInfo.getUserInfo(credentials);
    const mine = [info.userEntityRef, ...info.ownershipEntityRefs].map(r =>
      normalizeEntityRef(r),
    );
    if (!mine.includes(owner)) {
      throw new NotAllowedError(
        `Invalid owner: ${owner} is neither you nor one of your groups (you may use: ${[
          ...new Set(mine),
        ].join(', ')})`,
      );
    }
  }

  router.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      cluster: service.clusterName,
      statusSource: service.statusSource,
    });
  });

  router.put('/projects/:projectUuid/session', async (req, res) => {
    const credentials = await caller(req);
    const dryRun = boolQuery(req.query.dryRun, 'dryRun');
    await audited(
      'session-create',
      req,
      { projectUuid: String(req.params.projectUuid).slice(0, 64), dryRun },
      async () => {
        const wait = boolQuery(req.query.wait, 'wait');
        const timeoutSeconds = timeoutQuery(req.query.timeoutSeconds);
        const spec: DevSessionSpec = validateCreateRequest(
          req.params.projectUuid,
          req.body,
          { owner: userRef(credentials), size: service.defaultSize },
        );
        await authorize(credentials, {
          permission: devSessionCreatePermission,
        });
        await checkOwner(credentials, spec.owner);
        if (dryRun) {
          const rendered = await service.render(spec);
          res.status(200).json({ dryRun: true, ...rendered });
          return {
            result: undefined,
            meta: { outcome: 'dry-run', owner: spec.owner },
          };
        }
        const { session, created, retried } = await service.getOrCreate(spec, {
          wait,
          timeoutSeconds,
          authorize: (existing, action) =>
            authorize(credentials, {
              permission:
                action === 'read'
                  ? devSessionReadPermission
                  : devSessionUpdatePermission,
              resourceRef: existing.projectUuid,
            }),
        });
        res.status(created ? 201 : 200).json(session);
        let outcome = 'existing';
        if (created) outcome = 'created';
        else if (retried) outcome = 'retried';
        return {
          result: undefined,
          meta: { outcome, owner: session.owner, state: session.state },
        };
      },
    );
  });

  /** The session of the path's project, once the caller may read it (one lookup). */
  async function readable(req: express.Request): Promise<DevSession> {
    const credentials = await caller(req);
    const uuid = validateProjectUuid(req.params.projectUuid);
    const none = () => new NotFoundError(`Project ${uuid} has no dev session`);
    // A project without a session is a 404 (the card then offers "Create dev session"): an
    // owner-scoped read decision has no resource to match and would say 403. A session that
    // exists answers 403 to those who may not read it.
    const session = await service.find(uuid);
    if (!session) {
      // 404 for those who may create one or read some (a read-only role); 403 for the others
      await authorize(credentials, {
        permission: devSessionCreatePermission,
      }).catch(() => authorizer.access(credentials, devSessionReadPermission));
      throw none();
    }
    try {
      await authorize(credentials, {
        permission: devSessionReadPermission,
        resourceRef: uuid,
      });
    } catch (e) {
      // deleted between the lookup and the decision (whose owner rule then has no session to
      // match): it is gone, not forbidden
      if (!(await service.find(uuid))) throw none();
      throw e;
    }
    return session;
  }

  router.get('/projects/:projectUuid/session', async (req, res) => {
    res.json(await readable(req));
  });

  router.get('/projects/:projectUuid/session/status', async (req, res) => {
    const status = await service.statusOf(await readable(req), t =>
      // the cluster part of the request, from the watch cache or the API server
      res.setHeader(
        'Server-Timing',
        `cluster;dur=${t.ms.toFixed(3)};desc="${t.source}"`,
      ),
    );
    res.json(status);
  });

  // the last lines of one container's log (`previous`: its instance before the last restart)
  router.get('/projects/:projectUuid/session/logs', async (req, res) => {
    const session = await readable(req);
    const container = containerQuery(req.query.container);
    const previous = boolQuery(
      oneQuery(req.query.previous, 'previous'),
      'previous',
    );
    const tailLines =
      intQuery(req.query.tailLines, 'tailLines', 1, MAX_LOG_LINES) ??
      DEFAULT_LOG_LINES;
    if (!options.logs)
      throw new ServiceUnavailableError(
        'No Kubernetes cluster is configured for dev sessions, so there are no container logs',
      );
    res.json(
      await options.logs.read(session, { container, previous, tailLines }),
    );
  });

  // stop (0 replicas, the volumes stay) and start; both idempotent, `?wait=true` until done
  for (const [action, running] of [
    ['stop', false],
    ['start', true],
  ] as const) {
    router.post(
      `/projects/:projectUuid/session/${action}`,
      async (req, res) => {
        const credentials = await caller(req);
        await audited(
          `session-${action}`,
          req,
          { projectUuid: String(req.params.projectUuid).slice(0, 64) },
          async () => {
            const uuid = validateProjectUuid(req.params.projectUuid);
            const wait = boolQuery(req.query.wait, 'wait');
            const timeoutSeconds = timeoutQuery(req.query.timeoutSeconds, 1);
            await authorize(credentials, {
              permission: devSessionUpdatePermission,
              resourceRef: uuid,
            });
            const session = await service.setRunning(uuid, running, {
              wait,
              timeoutSeconds,
            });
            res
              .status(
                session.state === (running ? 'ready' : 'stopped') ? 200 : 202,
              )
              .json(session);
            return {
              result: undefined,
              meta: { owner: session.owner, state: session.state },
            };
          },
        );
      },
    );
  }

  // A use of the session: the workspace's heartbeat (its own token from the Secret the chart
  // mounts; this path lets requests through without Backstage credentials for it) or a
  // Backstage caller who may read the session (API and agent use). 204; nothing else changes.
  router.post(ACTIVITY_ROUTE, async (req, res) => {
    const uuid = validateProjectUuid(req.params.projectUuid);
    const bearer = /^Bearer\s+(\S+)$/i.exec(
      req.header('authorization') ?? '',
    )?.[1];
    if (bearer?.startsWith(ACTIVITY_TOKEN_PREFIX)) {
      const check = await service.checkActivityToken(uuid, bearer);
      if (check === 'other-session')
        throw new NotAllowedError(
          `This heartbeat token belongs to another dev session, not to project ${uuid}`,
        );
      if (check !== 'valid')
        throw new AuthenticationError(
          `Invalid heartbeat token for the dev session of project ${uuid}`,
        );
    } else {
      await authorize(await caller(req), {
        permission: devSessionReadPermission,
        resourceRef: uuid,
      });
    }
    if (!(await service.recordActivity(uuid)) && !(await service.find(uuid)))
      throw new NotFoundError(`Project ${uuid} has no dev session`);
    res.status(204).end();
  });

  // 202 with the session while it is being deleted, 204 once it is gone (or when there was
  // none: then only the right to create is checked, so a caller learns nothing about others).
  router.delete('/projects/:projectUuid/session', async (req, res) => {
    const credentials = await caller(req);
    await audited(
      'session-delete',
      req,
      { projectUuid: String(req.params.projectUuid).slice(0, 64) },
      async () => {
        const uuid = validateProjectUuid(req.params.projectUuid);
        const wait = boolQuery(req.query.wait, 'wait');
        // only how long to wait (Helm's timeout is the platform's)
        const timeoutSeconds = timeoutQuery(req.query.timeoutSeconds, 1);
        const existing = await service.find(uuid);
        if (!existing) {
          await authorize(credentials, {
            permission: devSessionCreatePermission,
          });
          res.status(204).end();
          return { result: undefined, meta: { outcome: 'absent' } };
        }
        await authorize(credentials, {
          permission: devSessionDeletePermission,
          resourceRef: uuid,
        });
        const deleting = await service.delete(uuid, { wait, timeoutSeconds });
        if (deleting) {
          res.status(202).json(deleting);
          return {
            result: undefined,
            meta: { outcome: 'deleting', owner: deleting.owner },
          };
        }
        res.status(204).end();
        return {
          result: undefined,
          meta: { outcome: 'deleted', owner: existing.owner },
        };
      },
    );
  });

  // namespaces labelled as ours with no session: for the platform team (dev-session.admin)
  router.get('/orphans', async (req, res) => {
    await authorize(await caller(req), {
      permission: devSessionAdminPermission,
    });
    if (!options.orphans)
      throw new NotFoundError('Orphan detection needs a cluster');
    res.json({ items: await options.orphans() });
  });

  // Without paging parameters: every session the caller may read, `{ items }` (the catalog
  // module, the node client's list()). With any of mine/state/q/offset/limit: one page,
  // `{ items, totalCount, offset, limit }`, newest first, paged after the permission's filter.
  router.get('/sessions', async (req, res) => {
    const credentials = await caller(req);
    const owner =
      req.query.owner === undefined
        ? undefined
        : validateOwner(oneQuery(req.query.owner, 'owner'));
    if (!PAGE_PARAMS.some(p => req.query[p] !== undefined)) {
      const items = await filter(credentials, devSessionReadPermission, () =>
        service.list({ owner }),
      );
      res.json({ items });
      return;
    }
    const mine = boolQuery(oneQuery(req.query.mine, 'mine'), 'mine');
    const states = statesQuery(req.query.state);
    const search = searchQuery(req.query.q);
    const offset =
      intQuery(req.query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const limit =
      intQuery(req.query.limit, 'limit', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
    let owners: string[] | undefined;
    if (mine) {
      if (credentials.principal.type !== 'user')
        throw new InputError(
          'Invalid mine: only a signed-in user has sessions of their own; a service may pass owner',
        );
      const info = await userInfo.getUserInfo(credentials);
      owners = [
        ...new Set(
          [info.userEntityRef, ...info.ownershipEntityRefs].map(r =>
            normalizeEntityRef(r),
          ),
        ),
      ];
    }
    const access = await authorizer.access(
      credentials,
      devSessionReadPermission,
    );
    const page = await service.listPage(
      { owners, owner, states, search, offset, limit },
      access,
    );
    res.json({ ...page, offset, limit });
  });

  return router;
}
