/*
 * The dev-sessions backend for real: the plugin inside startTestBackend, SQLite, the real helm
 * binary and the local cluster (./dev test provides KUBECONFIG and DEV_SESSIONS_HELM).
 */
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createDevSessionCreateAction,
  createDevSessionDeleteAction,
} from '@dev-sessions/backstage-plugin-scaffolder-backend-module-dev-sessions';
import {
  clusterEnv,
  helmReleases as releases,
  kubectlJson,
  namespaceExists,
  startDevSessionsTestBackend,
  waitFor,
} from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';
import { DEFAULT_USER_SETTABLE } from '../chart/ValuesPolicy';
import { actionDeps } from '../__testUtils__/actionDeps';

jest.setTimeout(300_000);

let server: any;

beforeAll(async () => {
  clusterEnv();
  const backend = await startDevSessionsTestBackend({
    features: [devSessionsPlugin],
    devSessions: {
      // the platform of this test lets the failure simulation through: a pod annotation
      // and images on the reserved registry.invalid host
      values: {
        userSettable: [...DEFAULT_USER_SETTABLE, 'podAnnotations.*'],
        allowedImageRegistries: ['docker.io', 'registry.invalid'],
      },
    },
  });
  server = backend.server;
});

const api = () => request(server);
const session = (id: string) => `/api/dev-sessions/projects/${id}/session`;
/** DELETE that answers once the session is gone (204). */
const deleteAndWait = (id: string) => api().delete(`${session(id)}?wait=true`);

describe('dev sessions on the cluster', () => {
  const uuid = randomUUID();

  it('creates a session via REST: release, running pod, status with three ready containers and URLs', async () => {
    const res = await api()
      .put(`/api/dev-sessions/projects/${uuid}/session?wait=true`)
      .send({ projectId: 'checkout service', size: 'small' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      projectUuid: uuid,
      projectId: 'checkout service',
      namespace: uuid,
      releaseName: 'dev-session',
      state: 'ready',
      size: 'small',
      owner: 'user:default/mock',
      entityRef: `resource:default/checkout-service-${uuid}`,
      cluster: expect.any(String),
    });
    // people open the signed-in route; the in-cluster address is only for automation
    expect(res.body.endpoints.vscode.url).toMatch(
      new RegExp(
        `^http://[^/]+/api/dev-sessions/projects/${uuid}/open/vscode/$`,
      ),
    );
    expect(res.body.endpoints.vscode.internalUrl).toBe(
      `http://dev-session-vscode.${uuid}.svc.cluster.local:8080/`,
    );

    const rels = await releases(uuid);
    expect(rels.map((r: any) => [r.name, r.status])).toEqual([
      ['dev-session', 'deployed'],
    ]);
    const ns = await kubectlJson(['get', 'namespace', uuid]);
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'dev-sessions.io/project-uuid': uuid,
      'app.kubernetes.io/managed-by': 'backstage-dev-sessions',
    });

    const status = await api().get(
      `/api/dev-sessions/projects/${uuid}/session/status`,
    );
    expect(status.status).toBe(200);
    expect(status.body.pod.phase).toBe('Running');
    expect(
      status.body.containers.map((c: any) => [c.name, c.ready, c.state]),
    ).toEqual([
      ['preview', true, 'running'],
      ['chat', true, 'running'],
      ['vscode', true, 'running'],
    ]);
    expect(status.body.endpoints.preview).toMatchObject({
      ready: true,
      path: '/preview',
    });
    expect(status.body.clusterReachable).toBe(true);
  });

  it('get-or-create twice returns the same session and leaves one release', async () => {
    const again = await api()
      .put(`/api/dev-sessions/projects/${uuid}/session`)
      .send({ projectId: 'checkout service' });
    expect(again.status).toBe(200);
    expect(again.body.createdAt).toBeDefined();
    const get = await api().get(`/api/dev-sessions/projects/${uuid}/session`);
    expect(get.body).toEqual(again.body);
    const rels = await releases(uuid);
    expect(rels).toHaveLength(1);
    expect(rels[0].revision).toBe('1');
    const list = await api().get(
      '/api/dev-sessions/sessions?owner=user:default/mock',
    );
    expect(list.body.items.map((s: any) => s.projectUuid)).toContain(uuid);
  });

  it('deletes with ?wait=true: release and namespace gone, then 404; deleting again is fine', async () => {
    expect((await deleteAndWait(uuid)).status).toBe(204);
    expect(await namespaceExists(uuid)).toBe(false);
    expect((await api().get(session(uuid))).status).toBe(404);
    expect((await api().delete(session(uuid))).status).toBe(204);
  });

  it('10 concurrent creates for one project make one release and all see the same session', async () => {
    const id = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        api()
          .put(`/api/dev-sessions/projects/${id}/session?wait=true`)
          .send({ projectId: 'race' }),
      ),
    );
    const codes = results.map(r => r.status).sort();
    expect(codes.filter(c => c === 201)).toHaveLength(1);
    expect(codes.filter(c => c === 200)).toHaveLength(9);
    expect(new Set(results.map(r => r.body.createdAt)).size).toBe(1);
    // every caller asked to wait, so every one of them sees the finished session
    expect(results.map(r => r.body.state)).toEqual(Array(10).fill('ready'));
    const rels = await releases(id);
    expect(rels).toHaveLength(1);
    expect(rels[0].revision).toBe('1');
    const final = await api().get(session(id));
    expect(final.body.state).toBe('ready');
    expect((await deleteAndWait(id)).status).toBe(204);
  });

  it('a chart failure (image that cannot be pulled) leaves state failed and no release; a retry reuses the stored values', async () => {
    const id = randomUUID();
    const bad = await api()
      .put(
        `/api/dev-sessions/projects/${id}/session?wait=true&timeoutSeconds=30`,
      )
      .send({
        projectId: 'broken',
        values: {
          containers: {
            preview: {
              image: { repository: 'registry.invalid/acme/preview', tag: '1' },
            },
          },
        },
      });
    expect(bad.status).toBe(201);
    expect(bad.body.state).toBe('failed');
    expect(bad.body.lastError).toMatch(/helm upgrade/);
    expect(bad.body.lastError).toMatch(/timed out|context deadline|failed/i);
    expect(await releases(id)).toEqual([]);

    // a retry provisions what was stored, not what the caller sends now: it fails the same way
    const retry = await api()
      .put(
        `/api/dev-sessions/projects/${id}/session?wait=true&timeoutSeconds=30`,
      )
      .send({ projectId: 'broken' });
    expect(retry.status).toBe(200);
    expect(retry.body.state).toBe('failed');
    expect(retry.body.lastError).toMatch(/helm upgrade/);
    expect(await releases(id)).toEqual([]);

    // the way out of a broken configuration: delete, then create with good values
    expect((await deleteAndWait(id)).status).toBe(204);
    const good = await api()
      .put(`/api/dev-sessions/projects/${id}/session?wait=true`)
      .send({ projectId: 'broken' });
    expect(good.status).toBe(201);
    expect(good.body.state).toBe('ready');
    expect(good.body.lastError).toBeUndefined();
    const rels = await releases(id);
    expect(rels.map((r: any) => r.status)).toEqual(['deployed']);
    expect((await deleteAndWait(id)).status).toBe(204);
  });

  it('dry run renders what would be created and creates nothing', async () => {
    const id = randomUUID();
    const res = await api()
      .put(`/api/dev-sessions/projects/${id}/session?dryRun=true`)
      .send({ projectId: 'dry' });
    expect(res.status).toBe(200);
    expect(res.body.objects).toEqual(
      expect.arrayContaining([
        'Deployment/dev-session',
        'Service/dev-session-preview',
        'PersistentVolumeClaim/dev-session-workspace',
      ]),
    );
    expect((await api().get(session(id))).status).toBe(404);
    expect(await namespaceExists(id)).toBe(false);
  });

  it('creates and deletes through the scaffolder actions (action -> REST -> Helm)', async () => {
    const deps = actionDeps(server.port());
    const id = randomUUID();
    const ctx = createMockActionContext({
      input: { projectUuid: id, projectId: 'from-template', size: 'small' },
    });
    await createDevSessionCreateAction(deps).handler(ctx as any);
    const out = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
    expect(out).toMatchObject({
      projectUuid: id,
      namespace: id,
      releaseName: 'dev-session',
      state: 'ready',
      entityRef: `resource:default/from-template-${id}`,
    });
    expect(out.vscodeUrl).toMatch(
      new RegExp(`/api/dev-sessions/projects/${id}/open/vscode/$`),
    );
    expect((await releases(id)).map((r: any) => r.status)).toEqual([
      'deployed',
    ]);

    // a re-run of the same step returns the same session and installs nothing new
    const again = createMockActionContext({ input: { projectUuid: id } });
    await createDevSessionCreateAction(deps).handler(again as any);
    expect(
      Object.fromEntries((again.output as jest.Mock).mock.calls).state,
    ).toBe('ready');
    expect((await releases(id))[0].revision).toBe('1');

    // the action answers once the session is gone
    await createDevSessionDeleteAction(deps).handler(
      createMockActionContext({ input: { projectUuid: id } }) as any,
    );
    expect(await namespaceExists(id)).toBe(false);
  });

  it('reports a crash-looping container in the live status', async () => {
    const id = randomUUID();
    const res = await api()
      .put(`/api/dev-sessions/projects/${id}/session?timeoutSeconds=30`)
      .send({
        projectId: 'crashy',
        values: {
          podAnnotations: {
            'sim.dev-sessions.io/fail': 'chat=CrashLoopBackOff',
          },
        },
      });
    expect(res.status).toBe(201);
    const status = await waitFor(
      'the crash loop in the status',
      async () => {
        const s = await api().get(
          `/api/dev-sessions/projects/${id}/session/status`,
        );
        const chat = s.body.containers?.find((c: any) => c.name === 'chat');
        return chat?.reason === 'CrashLoopBackOff' && s.body;
      },
      60_000,
      500,
    );
    const chat = status.containers.find((c: any) => c.name === 'chat');
    expect(chat).toMatchObject({
      ready: false,
      state: 'waiting',
      reason: 'CrashLoopBackOff',
    });
    expect(chat.restartCount).toBeGreaterThan(0);
    expect(status.endpoints.chat.ready).toBe(false);
    expect(status.endpoints.preview.ready).toBe(true);
    // the crash loop never gets ready. A DELETE without ?wait answers at once: 202 with the
    // session in state deleting; the session, release and namespace go in the background.
    const del = await api().delete(session(id));
    expect(del.status).toBe(202);
    expect(del.body).toMatchObject({ projectUuid: id, state: 'deleting' });
    await waitFor(
      'the deleted session to be gone',
      async () => (await api().get(session(id))).status === 404,
      120_000,
      500,
    );
    expect(await namespaceExists(id)).toBe(false);
    expect(await releases(id)).toEqual([]);
  });
});
