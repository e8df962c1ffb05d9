import {
  AuditorService,
  BackstageCredentials,
  PermissionsService,
  PermissionsServiceRequestOptions,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  Permission,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import { JsonObject } from '@backstage/types';
import {
  DevSession,
  devSessionCreatePermission,
  devSessionDeletePermission,
  devSessionReadPermission,
  devSessionUpdatePermission,
  DevSessionSpec,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import express from 'express';
import request from 'supertest';
import { DevSessionQuery } from '../permissions';
import { devSessionPolicyDecision } from '../policyDecision';
import {
  DeleteOptions,
  DevSessionsApi,
  GetOrCreateOptions,
  GetOrCreateResult,
  RenderResult,
  SessionAccess,
  SessionListQuery,
} from '../service/types';
import { createRouter } from './createRouter';

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const PAYMENTS = 'group:default/payments';
const groups: Record<string, string[]> = {
  [ALICE]: [PAYMENTS],
  [BOB]: ['group:default/search'],
};
const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const OTHER = '7d9e2c1a-3b4f-4a5e-8c6d-1e2f3a4b5c6d';
const THIRD = 'b3a1c2d4-5e6f-4789-9abc-def012345678';
const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});
const asService = { Authorization: mockCredentials.service.header() };
const session = (uuid: string) => `/projects/${uuid}/session`;
/** The n-th of many project UUIDs (n < 1000). */
const uuidNo = (n: number) =>
  `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

function makeSession(spec: DevSessionSpec): DevSession {
  const endpoint = (role: string) => ({
    url: `http://${spec.projectUuid}.example.test/${role}`,
    internalUrl: `http://dev-session-${role}.${spec.projectUuid}.svc.cluster.local:3000/`,
    path: `/${role}`,
  });
  return {
    ...spec,
    namespace: spec.projectUuid,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    state: 'provisioning',
    endpoints: {
      preview: endpoint('preview'),
      chat: endpoint('chat'),
      vscode: endpoint('vscode'),
    },
    entityRef: `resource:default/dev-session-${spec.projectUuid}`,
    cluster: 'test-cluster',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** In-memory sessions: get-or-create asks back as the engine does; delete finishes on `wait`. */
class FakeSessions implements DevSessionsApi {
  readonly clusterName = 'test-cluster';
  readonly defaultSize = 'small';
  readonly sessions = new Map<string, DevSession>();
  readonly calls = {
    getOrCreate: [] as Array<{
      spec: DevSessionSpec;
      opts?: GetOrCreateOptions;
    }>,
    delete: [] as Array<{ projectUuid: string; opts?: DeleteOptions }>,
    list: [] as Array<{ owner?: string } | undefined>,
    listPage: [] as Array<{ query: SessionListQuery; access: SessionAccess }>,
  };

  add(
    spec: Partial<DevSessionSpec> & { projectUuid: string },
    state: DevSession['state'] = 'ready',
  ) {
    const s = {
      ...makeSession({
        projectId: 'p',
        owner: ALICE,
        size: 'small',
        values: {},
        ...spec,
      }),
      state,
    };
    this.sessions.set(s.projectUuid, s);
    return s;
  }

  async getOrCreate(
    spec: DevSessionSpec,
    opts?: GetOrCreateOptions,
  ): Promise<GetOrCreateResult> {
    this.calls.getOrCreate.push({ spec, opts });
    const existing = this.sessions.get(spec.projectUuid);
    if (existing) {
      const retry = existing.state === 'failed';
      await opts?.authorize?.(existing, retry ? 'update' : 'read');
      if (!retry) return { session: existing, created: false, retried: false };
      const retried: DevSession = { ...existing, state: 'provisioning' };
      this.sessions.set(spec.projectUuid, retried);
      return { session: retried, created: false, retried: true };
    }
    const created = {
      ...makeSession(spec),
      state: opts?.wait ? ('ready' as const) : ('provisioning' as const),
    };
    this.sessions.set(spec.projectUuid, created);
    return { session: created, created: true, retried: false };
  }

  async render(spec: DevSessionSpec): Promise<RenderResult> {
    return {
      session: makeSession(spec),
      manifests: 'kind: Namespace\n',
      objects: [`Namespace/${spec.projectUuid}`],
    };
  }

  async get(projectUuid: string): Promise<DevSession> {
    const s = this.sessions.get(projectUuid);
    if (!s)
      throw new NotFoundError(`No dev session for project ${projectUuid}`);
    return s;
  }

  async find(projectUuid: string): Promise<DevSession | undefined> {
    return this.sessions.get(projectUuid);
  }

  async list(filter?: { owner?: string }): Promise<DevSession[]> {
    this.calls.list.push(filter);
    return [...this.sessions.values()].filter(
      s => !filter?.owner || s.owner === filter.owner,
    );
  }

  /** As the store pages: filters, the access, newest first (then by UUID), then the page. */
  async listPage(query: SessionListQuery, access: SessionAccess) {
    this.calls.listPage.push({ query, access });
    const meets = (
      c: PermissionCriteria<DevSessionQuery>,
      s: DevSession,
    ): boolean => {
      if ('allOf' in c) return c.allOf.every(x => meets(x, s));
      if ('anyOf' in c) return c.anyOf.some(x => meets(x, s));
      if ('not' in c) return !meets(c.not, s);
      return c.owners.includes(s.owner);
    };
    const text = query.search?.toLowerCase();
    const matching = [...this.sessions.values()]
      .filter(
        s =>
          (!query.owners || query.owners.includes(s.owner)) &&
          (!query.owner || s.owner === query.owner) &&
          (!query.states || query.states.includes(s.state)) &&
          (!text ||
            [s.projectId, s.projectUuid, s.owner].some(t =>
              t.toLowerCase().includes(text),
            )) &&
          (access.type === 'all' ||
            (access.type === 'criteria'
              ? meets(access.criteria, s)
              : access.matches(s))),
      )
      .sort(
        (a, b) =>
          b.createdAt.localeCompare(a.createdAt) ||
          a.projectUuid.localeCompare(b.projectUuid),
      );
    return {
      items: matching.slice(query.offset, query.offset + query.limit),
      totalCount: matching.length,
    };
  }

  readonly statusSource = 'cluster';

  statusOf(
    s: DevSession,
    timing?: (t: { source: 'cache' | 'cluster'; ms: number }) => void,
  ): Promise<DevSessionStatus> {
    timing?.({ source: 'cluster', ms: 0 });
    return this.status(s.projectUuid);
  }

  async status(projectUuid: string): Promise<DevSessionStatus> {
    const s = await this.get(projectUuid);
    const endpoint = (role: 'preview' | 'chat' | 'vscode') => ({
      ...s.endpoints[role],
      ready: true,
    });
    return {
      projectUuid,
      state: s.state,
      cluster: s.cluster,
      clusterReachable: true,
      containers: [],
      events: [],
      endpoints: {
        preview: endpoint('preview'),
        chat: endpoint('chat'),
        vscode: endpoint('vscode'),
      },
      checkedAt: '2026-01-01T00:00:00.000Z',
    };
  }

  readonly used: string[] = [];
  /** Heartbeat tokens: token -> project. */
  readonly tokens = new Map<string, string>();

  async recordActivity(projectUuid: string) {
    if (!this.sessions.has(projectUuid)) return false;
    this.used.push(projectUuid);
    return true;
  }

  async checkActivityToken(projectUuid: string, token: string) {
    const of = this.tokens.get(token);
    if (of === undefined) return 'unknown' as const;
    return of === projectUuid ? ('valid' as const) : ('other-session' as const);
  }

  async setRunning(projectUuid: string, running: boolean) {
    const s = await this.get(projectUuid);
    const next: DevSession = { ...s, state: running ? 'starting' : 'stopping' };
    this.sessions.set(projectUuid, next);
    return next;
  }

  async delete(
    projectUuid: string,
    opts?: DeleteOptions,
  ): Promise<DevSession | undefined> {
    this.calls.delete.push({ projectUuid, opts });
    const s = this.sessions.get(projectUuid);
    if (!s) return undefined;
    if (opts?.wait) {
      this.sessions.delete(projectUuid);
      return undefined;
    }
    const deleting: DevSession = { ...s, state: 'deleting' };
    this.sessions.set(projectUuid, deleting);
    return deleting;
  }
}

/** Users own themselves and their groups, as the catalog's user info would say. */
const userInfo: UserInfoService = {
  async getUserInfo(credentials) {
    const info = await mockServices.userInfo().getUserInfo(credentials);
    return {
      ...info,
      ownershipEntityRefs: [
        info.userEntityRef,
        ...(groups[info.userEntityRef] ?? []),
      ],
    };
  },
};

/**
 * Permissions decided by the policy this repository ships (devSessionPolicyDecision), as the
 * permission backend would: conditional decisions for a resourceRef are resolved against the
 * stored session; without one they are returned for the router to apply.
 */
function policyPermissions(sessions: FakeSessions): PermissionsService {
  const auth = mockServices.auth();
  /** The policy's user: undefined for a service, as the permission backend passes it. */
  const policyUser = async (
    credentials: BackstageCredentials,
  ): Promise<PolicyQueryUser | undefined> =>
    auth.isPrincipal(credentials, 'user')
      ? { credentials, info: await userInfo.getUserInfo(credentials) }
      : undefined;
  const decide = async (
    permission: Permission,
    user: PolicyQueryUser | undefined,
  ): Promise<PolicyDecision> =>
    devSessionPolicyDecision({ permission }, user) ?? {
      result: AuthorizeResult.DENY,
    };
  const credentialsOf = (options?: PermissionsServiceRequestOptions) => {
    if (!options || !('credentials' in options)) {
      throw new Error('the router must pass the caller credentials');
    }
    return options.credentials;
  };
  return {
    async authorize(requests, options) {
      const user = await policyUser(credentialsOf(options));
      return Promise.all(
        requests.map(async r => {
          const decision = await decide(r.permission, user);
          if (decision.result !== AuthorizeResult.CONDITIONAL) return decision;
          // IS_OWNER with the user's claims, resolved as the permission backend would
          const s = r.resourceRef
            ? await sessions.find(r.resourceRef)
            : undefined;
          const owned =
            s !== undefined &&
            user !== undefined &&
            user.info.ownershipEntityRefs.includes(s.owner);
          return {
            result: owned ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
          };
        }),
      );
    },
    async authorizeConditional(queries, options) {
      const user = await policyUser(credentialsOf(options));
      return Promise.all(queries.map(q => decide(q.permission, user)));
    },
  };
}

interface AuditRecord {
  eventId: string;
  meta?: JsonObject;
  status: 'succeeded' | 'failed';
  outcome?: JsonObject;
  error?: string;
}

async function setup(
  options: {
    permissions?: (sessions: FakeSessions) => PermissionsService;
  } = {},
) {
  const sessions = new FakeSessions();
  const audit: AuditRecord[] = [];
  const auditor: AuditorService = mockServices.auditor.mock({
    async createEvent({ eventId, meta }) {
      return {
        async success(opts) {
          audit.push({
            eventId,
            meta,
            status: 'succeeded',
            outcome: opts?.meta,
          });
        },
        async fail({ error }) {
          audit.push({ eventId, meta, status: 'failed', error: error.message });
        },
      };
    },
  });
  const decider = (options.permissions ?? policyPermissions)(sessions);
  // spies on what the router asks, whatever decides
  const permissions = mockServices.permissions.mock({
    authorize: (requests, opts) => decider.authorize(requests, opts),
    authorizeConditional: (queries, opts) =>
      decider.authorizeConditional(queries, opts),
  });
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    permissions,
    userInfo,
    auditor,
    service: sessions,
    orphans: async () => [{ namespace: 'left-behind', releases: [] }],
  });
  const app = express()
    .use(router)
    .use(
      MiddlewareFactory.create({
        config: mockServices.rootConfig(),
        logger: mockServices.logger.mock(),
      }).error(),
    );
  return { app, sessions, audit, permissions };
}

describe('createRouter', () => {
  it('answers the health check with the cluster name', async () => {
    const { app } = await setup();
    const res = await request(app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      cluster: 'test-cluster',
      statusSource: 'cluster',
    });
  });

  describe('PUT /projects/:projectUuid/session', () => {
    it('creates with 201 (owner and size defaulted), then returns the same session with 200', async () => {
      const { app, sessions, audit } = await setup();
      const first = await request(app)
        .put(`${session(UUID)}?wait=true&timeoutSeconds=120`)
        .set(as(ALICE))
        .send({ projectId: 'Checkout' });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        projectUuid: UUID,
        projectId: 'Checkout',
        owner: ALICE,
        size: 'small',
        state: 'ready',
      });
      expect(sessions.calls.getOrCreate[0].opts).toMatchObject({
        wait: true,
        timeoutSeconds: 120,
      });

      const second = await request(app)
        .put(session(UUID))
        .set(as(ALICE))
        .send({ projectId: 'Checkout' });
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(sessions.calls.getOrCreate[1].opts).toMatchObject({
        wait: false,
        timeoutSeconds: undefined,
      });

      expect(audit).toEqual([
        {
          eventId: 'session-create',
          meta: { projectUuid: UUID, dryRun: false },
          status: 'succeeded',
          outcome: { outcome: 'created', owner: ALICE, state: 'ready' },
        },
        {
          eventId: 'session-create',
          meta: { projectUuid: UUID, dryRun: false },
          status: 'succeeded',
          outcome: { outcome: 'existing', owner: ALICE, state: 'ready' },
        },
      ]);
    });

    it.each([
      [session('not-a-uuid'), {}, /^Invalid projectUuid: must be a UUID/],
      [session(UUID), { size: 'huge' }, /^Invalid size: must be one of small/],
      [
        session(UUID),
        { colour: 'red' },
        /^Invalid colour: is not a known field/,
      ],
      [session(UUID), { values: { user: {} } }, /^Invalid values\.user:/],
      [`${session(UUID)}?timeoutSeconds=5`, {}, /^Invalid timeoutSeconds:/],
      [
        `${session(UUID)}?wait=maybe`,
        {},
        /^Invalid wait: must be true or false/,
      ],
      [
        `${session(UUID)}?dryRun=yes`,
        {},
        /^Invalid dryRun: must be true or false/,
      ],
    ])('answers 400 naming the field for %s %j', async (url, body, message) => {
      const { app, sessions } = await setup();
      const res = await request(app).put(url).set(as(ALICE)).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(message);
      expect(sessions.calls.getOrCreate).toHaveLength(0);
    });

    it('records a failed audit event for a refused request', async () => {
      const { app, audit } = await setup();
      await request(app)
        .put(session(UUID))
        .set(as(ALICE))
        .send({ size: 'huge' });
      expect(audit).toEqual([
        {
          eventId: 'session-create',
          meta: { projectUuid: UUID, dryRun: false },
          status: 'failed',
          error: expect.stringMatching(/^Invalid size/),
        },
      ]);
    });

    it("lets a user name their group as owner, not someone else's (403)", async () => {
      const { app, sessions } = await setup();
      const mine = await request(app)
        .put(session(UUID))
        .set(as(ALICE))
        .send({ owner: 'group:payments' });
      expect(mine.status).toBe(201);
      expect(mine.body.owner).toBe(PAYMENTS);

      const foreign = await request(app)
        .put(session(OTHER))
        .set(as(BOB))
        .send({ owner: 'group:default/payments' });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.message).toBe(
        'Invalid owner: group:default/payments is neither you nor one of your groups (you may use: user:default/bob, group:default/search)',
      );
      expect(sessions.sessions.has(OTHER)).toBe(false);
    });

    it('lets a service name any owner, and requires one', async () => {
      const { app } = await setup();
      const named = await request(app)
        .put(session(UUID))
        .set(asService)
        .send({ owner: 'group:default/search' });
      expect(named.status).toBe(201);
      expect(named.body.owner).toBe('group:default/search');

      const unnamed = await request(app)
        .put(session(OTHER))
        .set(asService)
        .send({});
      expect(unnamed.status).toBe(400);
      expect(unnamed.body.error.message).toMatch(/^Invalid owner: is required/);
    });

    it('answers 403 when create is denied, without touching the service', async () => {
      const { app, sessions, audit } = await setup({
        permissions: () =>
          mockServices.permissions({ result: AuthorizeResult.DENY }),
      });
      const res = await request(app).put(session(UUID)).set(as(ALICE)).send({});
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe('Not allowed: dev-session.create');
      expect(sessions.calls.getOrCreate).toHaveLength(0);
      expect(audit[0]).toMatchObject({ status: 'failed' });
    });

    it("checks read on an existing session: a non-owner's get-or-create is refused", async () => {
      const { app, sessions, permissions } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      const res = await request(app).put(session(UUID)).set(as(BOB)).send({});
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe('Not allowed: dev-session.read');
      expect(res.body).not.toHaveProperty('projectUuid');
      expect(permissions.authorize).toHaveBeenLastCalledWith(
        [{ permission: devSessionReadPermission, resourceRef: UUID }],
        { credentials: expect.anything() },
      );

      const own = await request(app).put(session(UUID)).set(as(ALICE)).send({});
      expect(own.status).toBe(200);
    });

    it('checks update before retrying a failed session, and audits the retry', async () => {
      const { app, sessions, permissions, audit } = await setup();
      sessions.add({ projectUuid: UUID, owner: PAYMENTS }, 'failed');
      const res = await request(app).put(session(UUID)).set(as(ALICE)).send({});
      expect(res.status).toBe(200);
      expect(res.body.state).toBe('provisioning');
      expect(permissions.authorize).toHaveBeenLastCalledWith(
        [{ permission: devSessionUpdatePermission, resourceRef: UUID }],
        { credentials: expect.anything() },
      );
      expect(audit[0].outcome).toEqual({
        outcome: 'retried',
        owner: PAYMENTS,
        state: 'provisioning',
      });
    });

    it('renders a dry run without creating anything', async () => {
      const { app, sessions, audit } = await setup();
      const res = await request(app)
        .put(`${session(UUID)}?dryRun=true`)
        .set(as(ALICE))
        .send({ projectId: 'Checkout', size: 'large' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        dryRun: true,
        session: { projectUuid: UUID, owner: ALICE, size: 'large' },
        manifests: 'kind: Namespace\n',
        objects: [`Namespace/${UUID}`],
      });
      expect(sessions.calls.getOrCreate).toHaveLength(0);
      expect(sessions.sessions.size).toBe(0);
      expect(audit).toEqual([
        {
          eventId: 'session-create',
          meta: { projectUuid: UUID, dryRun: true },
          status: 'succeeded',
          outcome: { outcome: 'dry-run', owner: ALICE },
        },
      ]);
    });
  });

  describe('GET /projects/:projectUuid/session and /status', () => {
    it('returns the session and its status to the owner, checking read on the resource', async () => {
      const { app, sessions, permissions } = await setup();
      sessions.add({ projectUuid: UUID, owner: PAYMENTS });
      const res = await request(app)
        .get(session(UUID.toUpperCase()))
        .set(as(ALICE));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ projectUuid: UUID, owner: PAYMENTS });
      expect(permissions.authorize).toHaveBeenCalledWith(
        [{ permission: devSessionReadPermission, resourceRef: UUID }],
        { credentials: expect.anything() },
      );

      const status = await request(app)
        .get(`${session(UUID)}/status`)
        .set(as(ALICE));
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({
        projectUuid: UUID,
        state: 'ready',
        clusterReachable: true,
      });
      // the cluster part of the request, timed inside the backend
      expect(status.headers['server-timing']).toBe(
        'cluster;dur=0.000;desc="cluster"',
      );
    });

    it('answers 403 to a non-owner and 404 for a missing session', async () => {
      const { app, sessions } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      expect((await request(app).get(session(UUID)).set(as(BOB))).status).toBe(
        403,
      );
      expect(
        (
          await request(app)
            .get(`${session(UUID)}/status`)
            .set(as(BOB))
        ).status,
      ).toBe(403);
      const missing = await request(app).get(session(OTHER)).set(asService);
      expect(missing.status).toBe(404);
      expect(missing.body.error.name).toBe('NotFoundError');
    });
  });

  it('answers 404, not 403, to the owner when the session is deleted between the lookup and the decision', async () => {
    const { app, sessions } = await setup({
      permissions: fake => {
        const policy = policyPermissions(fake);
        return {
          ...policy,
          // the delete lands while the permission backend evaluates the owner rule
          async authorize(requests, options) {
            fake.sessions.delete(UUID);
            return policy.authorize(requests, options);
          },
        };
      },
    });
    sessions.add({ projectUuid: UUID, owner: ALICE });
    const res = await request(app).get(session(UUID)).set(as(ALICE));
    expect({ status: res.status, message: res.body.error?.message }).toEqual({
      status: 404,
      message: `Project ${UUID} has no dev session`,
    });
  });

  describe('POST /projects/:projectUuid/session/stop and /start', () => {
    it.each([
      ['stop', 'stopping'],
      ['start', 'starting'],
    ])(
      '%s: asks for dev-session.update on the session and answers 202 on the way',
      async (action, state) => {
        const { app, sessions, permissions, audit } = await setup();
        sessions.add({ projectUuid: UUID, owner: ALICE });
        const res = await request(app)
          .post(`${session(UUID)}/${action}`)
          .set(as(ALICE));
        expect(res.status).toBe(202);
        expect(res.body).toMatchObject({ projectUuid: UUID, state });
        expect(permissions.authorize).toHaveBeenCalledWith(
          [{ permission: devSessionUpdatePermission, resourceRef: UUID }],
          { credentials: expect.anything() },
        );
        expect(audit[0]).toMatchObject({
          eventId: `session-${action}`,
          status: 'succeeded',
        });
      },
    );

    it("refuses someone else's session (403) and bad input (400), changing nothing", async () => {
      const { app, sessions } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      const bob = await request(app)
        .post(`${session(UUID)}/stop`)
        .set(as(BOB));
      expect(bob.status).toBe(403);
      expect(sessions.sessions.get(UUID)!.state).toBe('ready');
      const bad = await request(app)
        .post(`${session('not-a-uuid')}/stop`)
        .set(as(ALICE));
      expect(bad.status).toBe(400);
      const wait = await request(app)
        .post(`${session(UUID)}/start?wait=maybe`)
        .set(as(ALICE));
      expect(wait.status).toBe(400);
      expect(wait.body.error.message).toMatch(/Invalid wait/);
    });
  });

  describe('POST /projects/:projectUuid/session/activity', () => {
    let app_: express.Express;
    let sessions: FakeSessions;
    const heartbeat = (uuid: string, token?: string) => {
      const r = request(app_).post(`${session(uuid)}/activity`);
      return token ? r.set('Authorization', `Bearer ${token}`) : r;
    };
    beforeEach(async () => {
      ({ app: app_, sessions } = await setup());
      sessions.add({ projectUuid: UUID, owner: ALICE });
      sessions.add({ projectUuid: OTHER, owner: BOB });
      sessions.tokens.set('dsa_mine', UUID);
      sessions.tokens.set('dsa_bobs', OTHER);
    });

    it("records the workspace's heartbeat with its own session's token (204)", async () => {
      const res = await heartbeat(UUID, 'dsa_mine');
      expect(res.status).toBe(204);
      expect(sessions.used).toEqual([UUID]);
    });

    it("refuses another session's token (403) and an unknown one (401); nothing is recorded", async () => {
      const other = await heartbeat(UUID, 'dsa_bobs');
      expect(other.status).toBe(403);
      expect(other.body.error.message).toMatch(/another dev session/);
      expect((await heartbeat(UUID, 'dsa_guessed')).status).toBe(401);
      // without a token the caller is whoever Backstage says (the mock's default user here,
      // who does not own it; the cluster test sends none to the real backend: 401)
      expect((await heartbeat(UUID)).status).toBe(403);
      expect(sessions.used).toEqual([]);
    });

    it('records API use by a Backstage caller who may read the session, and no one else', async () => {
      const alice = await request(app_)
        .post(`${session(UUID)}/activity`)
        .set(as(ALICE));
      expect(alice.status).toBe(204);
      const bob = await request(app_)
        .post(`${session(UUID)}/activity`)
        .set(as(BOB));
      expect(bob.status).toBe(403);
      expect(sessions.used).toEqual([UUID]);
      const none = await request(app_)
        .post(`${session(THIRD)}/activity`)
        .set(asService);
      expect(none.status).toBe(404);
      expect((await heartbeat('not-a-uuid', 'dsa_mine')).status).toBe(400);
    });
  });

  describe('GET /orphans', () => {
    it('reports orphan namespaces to backend services and refuses users (dev-session.admin)', async () => {
      const { app } = await setup();
      const svc = await request(app).get('/orphans').set(asService);
      expect(svc.status).toBe(200);
      expect(svc.body.items).toEqual([
        { namespace: 'left-behind', releases: [] },
      ]);
      const alice = await request(app).get('/orphans').set(as(ALICE));
      expect(alice.status).toBe(403);
    });
  });

  describe('DELETE /projects/:projectUuid/session', () => {
    it('answers 202 with the session while it is being deleted', async () => {
      const { app, sessions, permissions, audit } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      const res = await request(app).delete(session(UUID)).set(as(ALICE));
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ projectUuid: UUID, state: 'deleting' });
      expect(sessions.calls.delete).toEqual([
        { projectUuid: UUID, opts: { wait: false, timeoutSeconds: undefined } },
      ]);
      expect(permissions.authorize).toHaveBeenCalledWith(
        [{ permission: devSessionDeletePermission, resourceRef: UUID }],
        { credentials: expect.anything() },
      );
      expect(audit).toEqual([
        {
          eventId: 'session-delete',
          meta: { projectUuid: UUID },
          status: 'succeeded',
          outcome: { outcome: 'deleting', owner: ALICE },
        },
      ]);
    });

    it('answers 204 once the session is gone (wait), passing the timeout', async () => {
      const { app, sessions, audit } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      const res = await request(app)
        .delete(`${session(UUID)}?wait=true&timeoutSeconds=60`)
        .set(as(ALICE));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(sessions.calls.delete).toEqual([
        { projectUuid: UUID, opts: { wait: true, timeoutSeconds: 60 } },
      ]);
      expect(sessions.sessions.has(UUID)).toBe(false);
      expect(audit[0].outcome).toEqual({ outcome: 'deleted', owner: ALICE });
    });

    it('answers 204 for a project without a session, checking only create', async () => {
      const { app, sessions, permissions, audit } = await setup();
      const res = await request(app).delete(session(UUID)).set(as(BOB));
      expect(res.status).toBe(204);
      expect(sessions.calls.delete).toHaveLength(0);
      expect(permissions.authorize).toHaveBeenCalledTimes(1);
      expect(permissions.authorize).toHaveBeenCalledWith(
        [{ permission: devSessionCreatePermission }],
        { credentials: expect.anything() },
      );
      expect(audit[0].outcome).toEqual({ outcome: 'absent' });
    });

    it("refuses a non-owner's delete with 403 and deletes nothing", async () => {
      const { app, sessions, audit } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      const res = await request(app).delete(session(UUID)).set(as(BOB));
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe('Not allowed: dev-session.delete');
      expect(sessions.calls.delete).toHaveLength(0);
      expect(sessions.sessions.get(UUID)?.state).toBe('ready');
      expect(audit[0]).toMatchObject({
        eventId: 'session-delete',
        status: 'failed',
      });
    });

    it('answers 400 for a bad UUID or timeout', async () => {
      const { app, sessions } = await setup();
      const bad = await request(app).delete(session('x')).set(as(ALICE));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^Invalid projectUuid/);
      const timeout = await request(app)
        .delete(`${session(UUID)}?timeoutSeconds=abc`)
        .set(as(ALICE));
      expect(timeout.status).toBe(400);
      expect(timeout.body.error.message).toMatch(/^Invalid timeoutSeconds/);
      expect(sessions.calls.delete).toHaveLength(0);
    });
  });

  describe('GET /sessions', () => {
    it("lists only the caller's sessions under the policy's conditional decision", async () => {
      const { app, sessions, permissions } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      sessions.add({ projectUuid: OTHER, owner: PAYMENTS });
      sessions.add({ projectUuid: THIRD, owner: BOB });

      const alice = await request(app).get('/sessions').set(as(ALICE));
      expect(alice.status).toBe(200);
      expect(alice.body.items.map((s: DevSession) => s.projectUuid)).toEqual([
        UUID,
        OTHER,
      ]);
      expect(permissions.authorizeConditional).toHaveBeenCalledWith(
        [{ permission: devSessionReadPermission }],
        { credentials: expect.anything() },
      );
      const [decision] = await permissions.authorizeConditional.mock.results[0]
        .value;
      expect(decision.result).toBe(AuthorizeResult.CONDITIONAL);

      const bob = await request(app).get('/sessions').set(as(BOB));
      expect(bob.body.items.map((s: DevSession) => s.projectUuid)).toEqual([
        THIRD,
      ]);

      const service = await request(app).get('/sessions').set(asService);
      expect(service.body.items).toHaveLength(3);
    });

    it('passes the normalised owner filter on, and refuses a bad one', async () => {
      const { app, sessions } = await setup();
      sessions.add({ projectUuid: UUID, owner: ALICE });
      sessions.add({ projectUuid: OTHER, owner: PAYMENTS });
      const res = await request(app)
        .get('/sessions?owner=group:Payments')
        .set(as(ALICE));
      expect(res.status).toBe(200);
      expect(sessions.calls.list).toEqual([{ owner: PAYMENTS }]);
      expect(res.body.items.map((s: DevSession) => s.projectUuid)).toEqual([
        OTHER,
      ]);

      const bad = await request(app)
        .get('/sessions?owner=team:x')
        .set(as(ALICE));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^Invalid owner/);
    });

    it('answers 403 on deny without loading sessions', async () => {
      const { app, sessions } = await setup({
        permissions: () =>
          mockServices.permissions({ result: AuthorizeResult.DENY }),
      });
      const res = await request(app).get('/sessions').set(as(ALICE));
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe('Not allowed: dev-session.read');
      expect(sessions.calls.list).toHaveLength(0);
    });

    it('keeps the old answer, every item and no paging, without paging parameters', async () => {
      const { app, sessions } = await setup();
      for (let n = 0; n < 30; n++)
        sessions.add({ projectUuid: uuidNo(n), owner: ALICE });
      const res = await request(app).get('/sessions').set(as(ALICE));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['items']);
      expect(res.body.items).toHaveLength(30);
      expect(sessions.calls.listPage).toHaveLength(0);
    });
  });

  describe('GET /sessions with paging parameters', () => {
    /** Adds n sessions of an owner, created a minute apart from `from` on. */
    function addMany(
      sessions: FakeSessions,
      owner: string,
      numbers: number[],
      state: DevSession['state'] = 'ready',
    ) {
      for (const n of numbers) {
        const s = sessions.add(
          { projectUuid: uuidNo(n), projectId: `project ${n}`, owner },
          state,
        );
        s.createdAt = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
      }
    }
    const range = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => from + i);
    const uuidsOf = (body: { items: DevSession[] }) =>
      body.items.map(s => s.projectUuid);

    it('answers a page of 25 by default, newest first, with the total count', async () => {
      const { app, sessions } = await setup();
      addMany(sessions, ALICE, range(0, 30));
      const res = await request(app).get('/sessions?offset=0').set(as(ALICE));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ totalCount: 30, offset: 0, limit: 25 });
      expect(uuidsOf(res.body)).toEqual(range(5, 30).reverse().map(uuidNo));
      const last = await request(app)
        .get('/sessions?offset=25&limit=10')
        .set(as(ALICE));
      expect(last.body).toMatchObject({
        totalCount: 30,
        offset: 25,
        limit: 10,
      });
      expect(uuidsOf(last.body)).toEqual(range(0, 5).reverse().map(uuidNo));
      expect(
        (await request(app).get('/sessions?q=').set(as(ALICE))).body,
      ).toMatchObject({ totalCount: 30, offset: 0, limit: 25 });
    });

    it('pages after the conditional decision of the read permission, so counts are right', async () => {
      const { app, sessions } = await setup();
      // Alice may read hers and her group's (40), not Bob's (40)
      addMany(
        sessions,
        BOB,
        range(0, 80).filter(n => n % 2 === 0),
      );
      addMany(
        sessions,
        ALICE,
        range(0, 80).filter(n => n % 4 === 1),
      );
      addMany(
        sessions,
        PAYMENTS,
        range(0, 80).filter(n => n % 4 === 3),
      );
      const res = await request(app)
        .get('/sessions?offset=30&limit=20')
        .set(as(ALICE));
      expect(res.body).toMatchObject({ totalCount: 40, offset: 30, limit: 20 });
      expect(uuidsOf(res.body)).toEqual(
        range(0, 80)
          .filter(n => n % 2 === 1)
          .reverse()
          .slice(30)
          .map(uuidNo),
      );
      // the policy's IS_OWNER conditions reach the service as a query, not as a predicate
      const { access } = sessions.calls.listPage[0];
      expect(access).toEqual({
        type: 'criteria',
        criteria: { owners: expect.arrayContaining([ALICE, PAYMENTS]) },
      });
      // a service may read all
      const service = await request(app)
        .get('/sessions?limit=500')
        .set(asService);
      expect(service.body.totalCount).toBe(80);
      expect(service.body.items).toHaveLength(80);
      expect(sessions.calls.listPage[1].access).toEqual({ type: 'all' });
    });

    it("lists the caller's own and their groups' sessions with mine=true", async () => {
      const { app, sessions } = await setup({
        // everyone may read everything: only `mine` narrows the list
        permissions: () =>
          mockServices.permissions({ result: AuthorizeResult.ALLOW }),
      });
      addMany(sessions, ALICE, [1, 2]);
      addMany(sessions, PAYMENTS, [3]);
      addMany(sessions, BOB, [4]);
      const all = await request(app).get('/sessions?mine=false').set(as(ALICE));
      expect(all.body.totalCount).toBe(4);
      const mine = await request(app).get('/sessions?mine=true').set(as(ALICE));
      expect(mine.status).toBe(200);
      expect(uuidsOf(mine.body)).toEqual([3, 2, 1].map(uuidNo));
      expect(sessions.calls.listPage[1].query).toMatchObject({
        owners: [ALICE, PAYMENTS],
        offset: 0,
        limit: 25,
      });
      const bobs = await request(app).get('/sessions?mine=1').set(as(BOB));
      expect(uuidsOf(bobs.body)).toEqual([uuidNo(4)]);
    });

    it('refuses mine=true from a service, which has no sessions of its own', async () => {
      const { app, sessions } = await setup();
      const res = await request(app).get('/sessions?mine=true').set(asService);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(/^Invalid mine: /);
      expect(sessions.calls.listPage).toHaveLength(0);
    });

    it('filters by states and searches, passing both on', async () => {
      const { app, sessions } = await setup();
      addMany(sessions, ALICE, [1, 2], 'ready');
      addMany(sessions, ALICE, [3], 'failed');
      addMany(sessions, PAYMENTS, [4], 'stopped');
      addMany(sessions, PAYMENTS, [12], 'ready');
      const res = await request(app)
        .get('/sessions?state=failed,stopped&state=starting')
        .set(as(ALICE));
      expect(uuidsOf(res.body)).toEqual([4, 3].map(uuidNo));
      expect(sessions.calls.listPage[0].query.states).toEqual([
        'failed',
        'stopped',
        'starting',
      ]);
      const found = await request(app)
        .get(`/sessions?q=${encodeURIComponent(' PROJECT 1')}`)
        .set(as(ALICE));
      expect(uuidsOf(found.body)).toEqual([12, 1].map(uuidNo));
      expect(sessions.calls.listPage[1].query.search).toBe('PROJECT 1');
      const byOwner = await request(app)
        .get('/sessions?q=payments&owner=group:payments&state=ready')
        .set(as(ALICE));
      expect(uuidsOf(byOwner.body)).toEqual([uuidNo(12)]);
    });

    it.each([
      ['limit=0', /^Invalid limit: must be an integer from 1 to 500$/],
      ['limit=501', /^Invalid limit: must be an integer from 1 to 500$/],
      ['limit=ten', /^Invalid limit: must be an integer from 1 to 500$/],
      ['limit=2.5', /^Invalid limit: must be an integer from 1 to 500$/],
      ['limit=1&limit=2', /^Invalid limit: must be given once$/],
      ['offset=-1', /^Invalid offset: must be an integer from 0 to /],
      ['offset=', /^Invalid offset: must be an integer from 0 to /],
      [
        'state=ready,running',
        /^Invalid state: "running" is not one of provisioning, ready, failed, deleting, stopping, stopped, starting$/,
      ],
      ['mine=yes', /^Invalid mine: must be true or false$/],
      [
        'q='.concat('x'.repeat(201)),
        /^Invalid q: must be at most 200 characters$/,
      ],
      ['mine=true&owner=team:x', /^Invalid owner: /],
    ])(
      'answers 400 naming the parameter and its rule: %s',
      async (qs, message) => {
        const { app, sessions } = await setup();
        const res = await request(app).get(`/sessions?${qs}`).set(as(ALICE));
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
        expect(res.body.error.message).toMatch(message);
        expect(sessions.calls.listPage).toHaveLength(0);
      },
    );

    it('answers 403 on deny without loading sessions', async () => {
      const { app, sessions } = await setup({
        permissions: () =>
          mockServices.permissions({ result: AuthorizeResult.DENY }),
      });
      const res = await request(app).get('/sessions?limit=5').set(as(ALICE));
      expect(res.status).toBe(403);
      expect(sessions.calls.listPage).toHaveLength(0);
    });
  });
});
