/*
 * The lifecycle on the local cluster with real Helm and the real scheduler: each session's
 * heartbeat token lives in a Secret of its namespace and reaches the workspace containers; a
 * heartbeat with it keeps the session in use, one with another session's token (or none) is
 * refused and changes nothing; an idle session stops after idleStopAfter and not before; a
 * stopped, unused one is deleted after deleteStoppedAfter with its owner told first; a namespace
 * labelled as ours with no session is reported and deleted after its grace period.
 */
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  kubectl,
  kubectlApply,
  kubectlJson,
  namespaceExists,
  startDevSessionsTestBackend,
  waitFor,
} from '@dev-sessions/integration-tests';
import {
  notificationService,
  NotificationSendOptions,
} from '@backstage/plugin-notifications-node';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';
import { ownerScopedFeatures } from '../__testUtils__/ownerScoped';

jest.setTimeout(400_000);

const IDLE_S = 20;
const DELETE_STOPPED_S = 45;
const GRACE_S = 6;
const INSTANCE = `lifecycle-test-${randomUUID().slice(0, 8)}`;

const sent: NotificationSendOptions[] = [];
let server: any;
beforeAll(async () => {
  ({ server } = await startDevSessionsTestBackend({
    features: [
      devSessionsPlugin,
      // the real scheduler (the test backend's mock one runs tasks only when triggered)
      schedulerServiceFactory,
      // the policy this repository ships: the orphans report is for services and admins
      ...ownerScopedFeatures({ groups: {}, admins: [] }),
      // what the notifications plugin would deliver, recorded
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({
          async send(o: NotificationSendOptions) {
            sent.push(o);
          },
        }),
      }),
    ],
    config: { permission: { enabled: true } },
    devSessions: {
      // orphans are looked for among this installation's namespaces only (other test files
      // share the cluster)
      instance: INSTANCE,
      lifecycle: {
        idleStopAfter: { seconds: IDLE_S },
        deleteStoppedAfter: { seconds: DELETE_STOPPED_S },
        notifyBefore: { seconds: 0 },
        sweepInterval: { seconds: 2 },
        deleteOrphans: true,
        orphanGracePeriod: { seconds: GRACE_S },
      },
    },
  }));
});

const api = () => request(server);
const path = (uuid: string) => `/api/dev-sessions/projects/${uuid}/session`;
const a = randomUUID();
const b = randomUUID();
const orphan = randomUUID();

afterAll(async () => {
  for (const uuid of [a, b]) await api().delete(`${path(uuid)}?wait=true`);
  if (await namespaceExists(orphan))
    await kubectl(['delete', 'namespace', orphan, '--wait=false']);
});

async function secretOf(uuid: string) {
  const s = await kubectlJson([
    '-n',
    uuid,
    'get',
    'secret',
    'dev-session-activity',
  ]);
  const data = (k: string) => Buffer.from(s.data[k], 'base64').toString();
  return { url: data('url'), token: data('token'), labels: s.metadata.labels };
}

const beat = (uuid: string, token?: string) => {
  const r = api().post(`${path(uuid)}/activity`);
  return token ? r.set('Authorization', `Bearer ${token}`) : r;
};

// reads as a backend service (a user may not read a session that is gone: 403, not 404)
const asService = { Authorization: mockCredentials.service.header() };
async function session(uuid: string) {
  return (await api().get(path(uuid)).set(asService)).body;
}

describe('lifecycle', () => {
  let tokenA: string;
  let tokenB: string;

  it('gives each session a heartbeat token in a Secret its workspace reads', async () => {
    const [ca, cb] = await Promise.all(
      [a, b].map(uuid =>
        api()
          .put(`${path(uuid)}?wait=true`)
          .send({ projectId: `lifecycle ${uuid.slice(0, 4)}`, size: 'small' }),
      ),
    );
    expect([ca.body.state, cb.body.state]).toEqual(['ready', 'ready']);
    expect(ca.body.lastActivityAt).toBeDefined();
    expect(Date.parse(ca.body.idleStopAt)).toBe(
      Date.parse(ca.body.lastActivityAt) + IDLE_S * 1000,
    );
    const sa = await secretOf(a);
    tokenA = sa.token;
    tokenB = (await secretOf(b)).token;
    expect(sa.url).toMatch(
      new RegExp(`/api/dev-sessions/projects/${a}/session/activity$`),
    );
    expect(tokenA).toMatch(/^dsa_/);
    expect(tokenA).not.toBe(tokenB);
    // the namespace names its installation (what orphan detection looks for)
    expect(
      (await kubectlJson(['get', 'namespace', a])).metadata.labels,
    ).toMatchObject({
      'dev-sessions.io/instance': INSTANCE,
    });
    expect(sa.labels['app.kubernetes.io/managed-by']).toBe(
      'backstage-dev-sessions',
    );
    // VS Code and the agent get it from the Secret; the preview does not
    const deployment = await kubectlJson([
      '-n',
      a,
      'get',
      'deployment',
      'dev-session',
    ]);
    const envOf = (name: string) =>
      deployment.spec.template.spec.containers
        .find((c: any) => c.name === name)
        .env.filter((e: any) => e.name.startsWith('DEV_SESSION_ACTIVITY'))
        .map((e: any) => [e.name, e.valueFrom.secretKeyRef.name]);
    expect(envOf('vscode')).toEqual([
      ['DEV_SESSION_ACTIVITY_URL', 'dev-session-activity'],
      ['DEV_SESSION_ACTIVITY_TOKEN', 'dev-session-activity'],
    ]);
    expect(envOf('preview')).toEqual([]);
  });

  it("refuses another session's token (403), a wrong one and none (401), changing nothing", async () => {
    const before = (await session(a)).lastActivityAt;
    await new Promise(r => setTimeout(r, 1100));
    const other = await beat(a, tokenB);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toMatch(/another dev session/);
    expect((await beat(a, `dsa_${'x'.repeat(43)}`)).status).toBe(401);
    // no Backstage credentials either
    const none = await beat(a).set(
      'Authorization',
      mockCredentials.none.header(),
    );
    expect(none.status).toBe(401);
    expect((await session(a)).lastActivityAt).toBe(before);
  });

  it('stops a session idle for idleStopAfter, not before, and keeps one whose workspace beats', async () => {
    // A's workspace sends a heartbeat every 4 s for longer than the idle time; B's sends none
    const started = Date.now();
    let lastBeat = 0;
    while (Date.now() - started < (IDLE_S + 8) * 1000) {
      const r = await beat(a, tokenA);
      expect(r.status).toBe(204);
      lastBeat = Date.now();
      expect((await session(a)).state).toBe('ready');
      await new Promise(res => setTimeout(res, 4000));
    }
    // B was idle all along: it was stopped by now, and not before its idle time
    const sb = await waitFor('B stopped', async () => {
      const s = await session(b);
      return s.state === 'stopped' && s;
    });
    expect(
      Date.parse(sb.updatedAt) - Date.parse(sb.lastActivityAt),
    ).toBeGreaterThanOrEqual(IDLE_S * 1000);
    // a stopped session shows when it will be deleted
    expect(Date.parse(sb.expiresAt)).toBe(
      Date.parse(sb.lastActivityAt) + DELETE_STOPPED_S * 1000,
    );
    expect(sb.idleStopAt).toBeUndefined();
    // A stops once its heartbeat ends
    const stoppedA = await waitFor(
      'A stopped',
      async () => {
        const s = await session(a);
        return s.state !== 'ready' && Date.now();
      },
      (IDLE_S + 30) * 1000,
    );
    expect(stoppedA - lastBeat).toBeGreaterThanOrEqual((IDLE_S - 4) * 1000);
    await waitFor(
      'A stopped',
      async () => (await session(a)).state === 'stopped',
    );
    expect(await kubectlJson(['-n', a, 'get', 'pvc'])).toMatchObject({
      items: [expect.anything(), expect.anything(), expect.anything()],
    });
    expect(
      sent.filter(n => /stopped after being idle/.test(n.payload.title)).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('deletes a stopped session unused for deleteStoppedAfter, after telling its owner', async () => {
    await waitFor(
      'B deleted',
      async () => (await api().get(path(b)).set(asService)).status === 404,
      (DELETE_STOPPED_S + 90) * 1000,
      1000,
    );
    expect(await namespaceExists(b)).toBe(false);
    // its owner was told before, then after, in that order
    const told = sent.filter(n => n.payload.scope === `dev-session:${b}`);
    expect(told.map(n => n.payload.title)).toEqual([
      expect.stringMatching(/was stopped after being idle/),
      expect.stringMatching(/will be deleted on/),
      expect.stringMatching(/was deleted/),
    ]);
    expect(told[1].recipients).toEqual({
      type: 'entity',
      entityRef: 'user:default/mock',
    });
  });

  it('reports a namespace labelled as ours with no session, and deletes it after the grace period', async () => {
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: orphan,
          labels: {
            'app.kubernetes.io/managed-by': 'backstage-dev-sessions',
            'dev-sessions.io/project-uuid': orphan,
            'dev-sessions.io/instance': INSTANCE,
          },
        },
      }),
    );
    const report = await api().get('/api/dev-sessions/orphans').set(asService);
    expect(report.status).toBe(200);
    const found = report.body.items.find((o: any) => o.namespace === orphan);
    expect(found).toMatchObject({ projectUuid: orphan, releases: [] });
    expect(Date.parse(found.deleteAfter)).toBe(
      Date.parse(found.firstSeenAt) + GRACE_S * 1000,
    );
    // a session's namespace is not an orphan, nor another installation's namespace
    const reported = report.body.items.map((o: any) => o.namespace);
    expect(reported).toEqual([orphan]);
    // users may not see the report
    const asUser = {
      Authorization: mockCredentials.user.header('user:default/jane'),
    };
    expect(
      (await api().get('/api/dev-sessions/orphans').set(asUser)).status,
    ).toBe(403);

    await waitFor(
      'the orphan namespace deleted',
      async () => {
        const ns = await kubectlJson(['get', 'namespace', orphan]).catch(
          () => undefined,
        );
        return !ns || ns.metadata.deletionTimestamp;
      },
      90_000,
      1000,
    );
  });
});
