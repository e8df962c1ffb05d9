import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PolicyDecision,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import {
  DevSession,
  devSessionCreatePermission,
  devSessionDeletePermission,
  devSessionReadPermission,
  devSessionUpdatePermission,
  normalizeEntityRef,
} from '@internal/backstage-plugin-dev-sessions-common';
import express from 'express';
import Router from 'express-promise-router';
import { devSessionRules } from './permissions';
import { DevSessionsService } from './service/DevSessionsService';
import {
  validateCreateRequest,
  validateOwner,
  validateProjectUuid,
  validateTimeoutSeconds,
} from './service/validation';

const conditionAuthorizer = createConditionAuthorizer(
  Object.values(devSessionRules) as any,
);

function boolQuery(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InputError(`Invalid ${name}: must be true or false`);
}

/** The REST API under /api/dev-sessions. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  auditor: AuditorService;
  service: DevSessionsService;
}): Promise<express.Router> {
  const { httpAuth, permissions, userInfo, auditor, service } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));

  const userRef = (c: BackstageCredentials) =>
    c.principal && (c.principal as any).type === 'user'
      ? ((c.principal as any).userEntityRef as string)
      : undefined;

  /** Runs fn as one audit event: who did what to which project, and how it ended. */
  async function audited<T>(
    eventId: string,
    req: express.Request,
    meta: Record<string, string | boolean>,
    fn: () => Promise<{
      result: T;
      meta?: Record<string, string | boolean | undefined>;
    }>,
  ): Promise<T> {
    const event = await auditor.createEvent({
      eventId,
      request: req,
      severityLevel: 'medium',
      meta,
    });
    try {
      const { result, meta: outcome } = await fn();
      await event.success({
        meta: outcome && JSON.parse(JSON.stringify(outcome)),
      });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  /**
   * The owner of a new session: whom the caller names, normalised. A user may name only
   * themselves or one of their ownership refs (their groups); a service must name one.
   */
  async function checkOwner(credentials: BackstageCredentials, owner: string) {
    const user = userRef(credentials);
    if (!user) return;
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

  async function authorize(
    credentials: BackstageCredentials,
    permission:
      | typeof devSessionReadPermission
      | typeof devSessionCreatePermission
      | typeof devSessionUpdatePermission
      | typeof devSessionDeletePermission,
    resourceRef?: string,
  ) {
    const [decision] = await permissions.authorize(
      [
        isResourcePermission(permission)
          ? { permission, resourceRef: resourceRef! }
          : { permission },
      ] as any,
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
  }

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', cluster: service.clusterName });
  });

  router.put('/projects/:projectUuid/session', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const dryRun = boolQuery(req.query.dryRun, 'dryRun');
    await audited(
      'session-create',
      req,
      { projectUuid: String(req.params.projectUuid).slice(0, 64), dryRun },
      async () => {
        const wait = boolQuery(req.query.wait, 'wait');
        const timeoutSeconds = validateTimeoutSeconds(
          req.query.timeoutSeconds === undefined
            ? undefined
            : Number(req.query.timeoutSeconds),
        );
        const request = validateCreateRequest(
          req.params.projectUuid,
          req.body,
          {
            owner: userRef(credentials),
            size: service.defaultSize,
          },
        );
        await authorize(credentials, devSessionCreatePermission);
        await checkOwner(credentials, request.owner);
        if (dryRun) {
          const rendered = await service.render(request);
          res.status(200).json({ dryRun: true, ...rendered });
          return {
            result: undefined,
            meta: { outcome: 'dry-run', owner: request.owner },
          };
        }
        const { session, created, retried } = await service.getOrCreate(
          request,
          {
            wait,
            timeoutSeconds,
            authorize: async (existing, action) =>
              authorize(
                credentials,
                action === 'read'
                  ? devSessionReadPermission
                  : devSessionUpdatePermission,
                existing.projectUuid,
              ),
          },
        );
        res.status(created ? 201 : 200).json(session);
        let outcome = 'existing';
        if (created) outcome = 'created';
        else if (retried) outcome = 'retried';
        return {
          result: undefined,
          meta: {
            outcome,
            owner: session.owner,
            state: session.state,
          },
        };
      },
    );
  });

  router.get('/projects/:projectUuid/session', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const uuid = validateProjectUuid(req.params.projectUuid);
    await authorize(credentials, devSessionReadPermission, uuid);
    res.json(await service.get(uuid));
  });

  router.get('/projects/:projectUuid/session/status', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const uuid = validateProjectUuid(req.params.projectUuid);
    await authorize(credentials, devSessionReadPermission, uuid);
    res.json(await service.status(uuid));
  });

  router.delete('/projects/:projectUuid/session', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    await audited(
      'session-delete',
      req,
      { projectUuid: String(req.params.projectUuid).slice(0, 64) },
      async () => {
        const uuid = validateProjectUuid(req.params.projectUuid);
        const existing = await service.find(uuid);
        if (existing) {
          await authorize(credentials, devSessionDeletePermission, uuid);
          await service.delete(uuid);
        } else {
          await authorize(credentials, devSessionCreatePermission);
        }
        res.status(204).end();
        return {
          result: undefined,
          meta: { outcome: existing ? 'deleted' : 'absent' },
        };
      },
    );
  });

  router.get('/sessions', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const owner =
      req.query.owner === undefined
        ? undefined
        : validateOwner(req.query.owner);
    const [decision] = (await permissions.authorizeConditional(
      [{ permission: devSessionReadPermission }],
      { credentials },
    )) as PolicyDecision[];
    if (decision.result === AuthorizeResult.DENY)
      throw new NotAllowedError('Not allowed: dev-session.read');
    let items: DevSession[] = await service.list({ owner });
    if (decision.result === AuthorizeResult.CONDITIONAL) {
      items = items.filter(s => conditionAuthorizer(decision as any, s));
    }
    res.json({ items });
  });

  return router;
}
