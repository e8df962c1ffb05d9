import {
  AuthService,
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  DevSession,
  DevSessionsApiError,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import express from 'express';
import { DevSessionsService } from './DevSessionsService';
import { devSessionsServiceRef } from './devSessionsServiceRef';

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function session(projectUuid: string, owner: string): DevSession {
  const ep = (role: string) => ({
    url: `https://backstage.example.com/api/dev-sessions/projects/${projectUuid}/open/${role}/`,
    internalUrl: `http://dev-session-${role}.${projectUuid}.svc.cluster.local:3000/`,
    path: `/${role}`,
  });
  return {
    projectUuid,
    projectId: 'checkout',
    owner,
    namespace: projectUuid,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    size: 'small',
    state: 'provisioning',
    endpoints: {
      preview: ep('preview'),
      chat: ep('chat'),
      vscode: ep('vscode'),
    },
    entityRef: `resource:default/checkout-${projectUuid}`,
    cluster: 'local',
    createdAt: '2026-11-24T00:00:00.000Z',
    updatedAt: '2026-11-24T00:00:00.000Z',
  };
}

/**
 * A stand-in for the dev-sessions backend plugin: its REST contract over a map, behind the real
 * HTTP router and auth of the test backend. It records each call with the principal the
 * request was authenticated as. A deletion finishes only when a caller waits for it.
 */
function fakeDevSessionsBackend() {
  const sessions = new Map<string, DevSession>();
  const calls: string[] = [];
  const plugin = createBackendPlugin({
    pluginId: 'dev-sessions',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          httpAuth: coreServices.httpAuth,
        },
        async init({ httpRouter, httpAuth }) {
          const router = express.Router();
          router.use(express.json());
          router.use((req, _res, next) => {
            httpAuth
              .credentials(req, { allow: ['user', 'service'] })
              .then(c => {
                const who =
                  c.principal.type === 'user'
                    ? c.principal.userEntityRef
                    : c.principal.subject;
                calls.push(`${req.method} ${req.url} by ${who}`);
                next();
              }, next);
          });
          const notFound = (res: express.Response, uuid: string) =>
            res.status(404).json({
              error: {
                name: 'NotFoundError',
                message: `Project ${uuid} has no dev session`,
              },
            });
          router.put('/projects/:uuid/session', (req, res) => {
            const { uuid } = req.params;
            const s = {
              ...session(uuid, req.body.owner),
              projectId: req.body.projectId,
            };
            if (req.query.dryRun === 'true') {
              res.json({
                dryRun: true,
                session: s,
                objects: ['Deployment/dev-session'],
                manifests: 'kind: Deployment',
              });
              return;
            }
            const existing = sessions.get(uuid);
            if (existing) {
              res.status(200).json(existing);
              return;
            }
            if (req.query.wait === 'true') s.state = 'ready';
            sessions.set(uuid, s);
            res.status(201).json(s);
          });
          router.get('/projects/:uuid/session', (req, res) => {
            const s = sessions.get(req.params.uuid);
            if (!s) notFound(res, req.params.uuid);
            else res.json(s);
          });
          router.get('/projects/:uuid/session/status', (req, res) => {
            const s = sessions.get(req.params.uuid);
            if (!s) notFound(res, req.params.uuid);
            else res.json({ projectUuid: s.projectUuid, state: s.state });
          });
          router.get('/sessions', (req, res) => {
            res.json({
              items: [...sessions.values()].filter(
                s => !req.query.owner || s.owner === req.query.owner,
              ),
            });
          });
          router.delete('/projects/:uuid/session', (req, res) => {
            const s = sessions.get(req.params.uuid);
            if (!s) {
              res.status(204).end();
            } else if (req.query.wait === 'true') {
              sessions.delete(req.params.uuid);
              res.status(204).end();
            } else {
              s.state = 'deleting';
              res.status(202).json(s);
            }
          });
          httpRouter.use(router);
        },
      });
    },
  });
  return { plugin, store: sessions, calls };
}

/** Starts the fake backend and a plugin `caller` that uses the service through its ref. */
async function start() {
  const fake = fakeDevSessionsBackend();
  let sessions: DevSessionsService | undefined;
  let auth: AuthService | undefined;
  const caller = createBackendPlugin({
    pluginId: 'caller',
    register(env) {
      env.registerInit({
        deps: { service: devSessionsServiceRef, callerAuth: coreServices.auth },
        async init({ service, callerAuth }) {
          sessions = service;
          auth = callerAuth;
        },
      });
    },
  });
  // nothing registers a factory for devSessionsServiceRef: the default one is used
  const backend = await startTestBackend({ features: [fake.plugin, caller] });
  return { ...fake, backend, sessions: sessions!, auth: auth! };
}

const jane = mockCredentials.user('user:default/jane');

describe('devSessionsServiceRef default factory', () => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeEach(async () => {
    t = await start();
  });
  afterEach(async () => {
    await t.backend.stop();
  });

  it('gets or creates over REST on behalf of the given user', async () => {
    const request = {
      projectId: 'checkout',
      owner: 'user:default/jane',
      size: 'small' as const,
    };
    const first = await t.sessions.getOrCreate(A, request, {
      credentials: jane,
      timeoutSeconds: 60,
    });
    expect(first.created).toBe(true);
    expect(first.session).toMatchObject({
      projectUuid: A,
      owner: 'user:default/jane',
      state: 'provisioning',
    });
    const again = await t.sessions.getOrCreate(A, request, {
      credentials: jane,
      wait: true,
    });
    expect(again).toEqual({ session: first.session, created: false });
    expect(t.calls).toEqual([
      `PUT /projects/${A}/session?timeoutSeconds=60 by user:default/jane`,
      `PUT /projects/${A}/session?wait=true by user:default/jane`,
    ]);
  });

  it('passes wait through to the backend on create', async () => {
    const { session: s } = await t.sessions.getOrCreate(
      B,
      { projectId: 'checkout', owner: 'user:default/jane' },
      { credentials: jane, wait: true },
    );
    expect(s.state).toBe('ready');
  });

  it('dry-runs, gets and reads the status without creating anything on a dry run', async () => {
    const dry = await t.sessions.dryRun(
      A,
      { projectId: 'checkout', owner: 'user:default/jane' },
      { credentials: jane },
    );
    expect(dry).toMatchObject({
      dryRun: true,
      objects: ['Deployment/dev-session'],
      session: { projectUuid: A },
    });
    expect(t.store.size).toBe(0);

    t.store.set(A, session(A, 'user:default/jane'));
    expect((await t.sessions.get(A, { credentials: jane })).entityRef).toBe(
      `resource:default/checkout-${A}`,
    );
    expect(await t.sessions.status(A, { credentials: jane })).toEqual({
      projectUuid: A,
      state: 'provisioning',
    });
    expect(t.calls).toEqual([
      `PUT /projects/${A}/session?dryRun=true by user:default/jane`,
      `GET /projects/${A}/session by user:default/jane`,
      `GET /projects/${A}/session/status by user:default/jane`,
    ]);
  });

  it("lists with the calling plugin's own service credentials", async () => {
    t.store.set(A, session(A, 'user:default/jane'));
    t.store.set(B, session(B, 'group:default/payments'));
    const credentials = await t.auth.getOwnServiceCredentials();
    const all = await t.sessions.list(undefined, { credentials });
    expect(all.map(s => s.projectUuid)).toEqual([A, B]);
    const mine = await t.sessions.list(
      { owner: 'user:default/jane' },
      { credentials },
    );
    expect(mine.map(s => s.projectUuid)).toEqual([A]);
    expect(t.calls).toEqual([
      'GET /sessions by plugin:caller',
      'GET /sessions?owner=user%3Adefault%2Fjane by plugin:caller',
    ]);
  });

  it('returns the session while it is being deleted and undefined once it is gone', async () => {
    expect(await t.sessions.delete(A, { credentials: jane })).toBeUndefined();
    t.store.set(A, session(A, 'user:default/jane'));
    const deleting = await t.sessions.delete(A, { credentials: jane });
    expect(deleting).toMatchObject({ projectUuid: A, state: 'deleting' });
    expect(
      await t.sessions.delete(A, {
        credentials: jane,
        wait: true,
        timeoutSeconds: 30,
      }),
    ).toBeUndefined();
    expect(t.store.has(A)).toBe(false);
    expect(t.calls).toEqual([
      `DELETE /projects/${A}/session by user:default/jane`,
      `DELETE /projects/${A}/session by user:default/jane`,
      `DELETE /projects/${A}/session?wait=true&timeoutSeconds=30 by user:default/jane`,
    ]);
  });

  it('fails with the backend error and its status', async () => {
    const err = await t.sessions.get(B, { credentials: jane }).catch(e => e);
    expect(err).toBeInstanceOf(DevSessionsApiError);
    expect(err).toMatchObject({
      status: 404,
      errorName: 'NotFoundError',
      message: `Project ${B} has no dev session`,
    });
  });

  it('refuses to call without credentials it can act for', async () => {
    await expect(
      t.sessions.list(undefined, { credentials: mockCredentials.none() }),
    ).rejects.toThrow(/Refused to issue service token/);
    expect(t.calls).toEqual([]);
  });
});
