/*
 * Stop and start on the local cluster with real Helm: stop scales the session to 0 (no pod) and
 * keeps its volumes (same claim UID, still Bound); start brings it back ready on the same
 * claim; both are idempotent, also when asked twice at once; get-or-create starts a stopped one.
 */
import {
  kubectlJson,
  startDevSessionsTestBackend,
} from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createDevSessionStartAction,
  createDevSessionStopAction,
} from '@dev-sessions/backstage-plugin-scaffolder-backend-module-dev-sessions';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';
import { actionDeps } from '../__testUtils__/actionDeps';

jest.setTimeout(300_000);

let server: any;
beforeAll(async () => {
  ({ server } = await startDevSessionsTestBackend({
    features: [devSessionsPlugin],
  }));
});

const uuid = randomUUID();
const session = `/api/dev-sessions/projects/${uuid}/session`;
const api = () => request(server);

async function workspaceClaim() {
  return kubectlJson(['-n', uuid, 'get', 'pvc', 'dev-session-workspace']);
}
async function pods() {
  return (await kubectlJson(['-n', uuid, 'get', 'pods'])).items.filter(
    (p: any) => !p.metadata.deletionTimestamp,
  );
}
async function replicas() {
  const d = await kubectlJson(['-n', uuid, 'get', 'deployment', 'dev-session']);
  return d.spec.replicas;
}

afterAll(async () => {
  await api().delete(`${session}?wait=true`);
});

describe('stop and start', () => {
  let claimUid: string;

  it('stops a ready session: 0 replicas, no pod, the same claim still Bound', async () => {
    const created = await api()
      .put(`${session}?wait=true`)
      .send({ projectId: 'stop start', size: 'small' });
    expect(created.body.state).toBe('ready');
    claimUid = (await workspaceClaim()).metadata.uid;

    const [a, b] = await Promise.all([
      api().post(`${session}/stop?wait=true`),
      api().post(`${session}/stop?wait=true`),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.state).toBe('stopped');
    expect(b.body.state).toBe('stopped');
    expect(await replicas()).toBe(0);
    // the pod goes once the ReplicaSet has scaled down
    for (let i = 0; i < 60 && (await pods()).length; i++)
      await new Promise(r => setTimeout(r, 500));
    expect(await pods()).toEqual([]);
    const claim = await workspaceClaim();
    expect(claim.metadata.uid).toBe(claimUid);
    expect(claim.status.phase).toBe('Bound');

    const again = await api().post(`${session}/stop`);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('stopped');
    const status = await api().get(`${session}/status`);
    expect(status.body.state).toBe('stopped');
    expect(status.body.containers).toEqual([]);
  });

  it('starts it again on the same claim, idempotently', async () => {
    const [a, b] = await Promise.all([
      api().post(`${session}/start?wait=true`),
      api().post(`${session}/start?wait=true`),
    ]);
    expect([a.body.state, b.body.state]).toEqual(['ready', 'ready']);
    expect(await replicas()).toBe(1);
    expect((await workspaceClaim()).metadata.uid).toBe(claimUid);
    const again = await api().post(`${session}/start`);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('ready');
  });

  it('get-or-create of a stopped session starts it', async () => {
    expect((await api().post(`${session}/stop?wait=true`)).body.state).toBe(
      'stopped',
    );
    const got = await api()
      .put(`${session}?wait=true`)
      .send({ projectId: 'stop start' });
    expect(got.status).toBe(200);
    expect(got.body.state).toBe('ready');
    expect(await replicas()).toBe(1);
    expect((await workspaceClaim()).metadata.uid).toBe(claimUid);
  });

  it('stops and starts through the scaffolder actions (action -> REST -> Helm)', async () => {
    const deps = actionDeps(server.port());
    const stop = createMockActionContext({ input: { projectUuid: uuid } });
    await createDevSessionStopAction(deps).handler(stop as any);
    expect(await replicas()).toBe(0);
    const start = createMockActionContext({ input: { projectUuid: uuid } });
    await createDevSessionStartAction(deps).handler(start as any);
    expect(await replicas()).toBe(1);
    expect((await workspaceClaim()).metadata.uid).toBe(claimUid);
  });

  it('answers 404 to stop a project without a session', async () => {
    const none = await api().post(
      `/api/dev-sessions/projects/${randomUUID()}/session/stop`,
    );
    expect(none.status).toBe(404);
  });
});
