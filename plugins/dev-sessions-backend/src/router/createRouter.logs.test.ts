/*
 * GET /projects/:projectUuid/session/logs: the router with the real ContainerLogs over a stubbed
 * cluster read (the pod snapshot and the Kubernetes pod log call).
 */
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  DevSession,
  devSessionReadPermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import express from 'express';
import request from 'supertest';
import { ContainerLogs, LOG_LIMIT_BYTES } from '../cluster/ContainerLogs';
import { PodSnapshot } from '../cluster/podSnapshot';
import { DevSessionsApi } from '../service/types';
import { createRouter } from './createRouter';

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const OTHER = '7d9e2c1a-3b4f-4a5e-8c6d-1e2f3a4b5c6d';
const POD = 'dev-session-5d8f7c9b4-x2k8q';
const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});
const logsOf = (uuid: string, query: string) =>
  `/projects/${uuid}/session/logs${query ? `?${query}` : ''}`;

function makeSession(state: DevSession['state'] = 'ready'): DevSession {
  const endpoint = (role: string) => ({
    url: `http://${UUID}.example.test/${role}`,
    internalUrl: `http://dev-session-${role}.${UUID}.svc.cluster.local:3000/`,
    path: `/${role}`,
  });
  return {
    projectUuid: UUID,
    projectId: 'p',
    owner: ALICE,
    size: 'small',
    namespace: UUID,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    state,
    endpoints: {
      preview: endpoint('preview'),
      chat: endpoint('chat'),
      vscode: endpoint('vscode'),
    },
    entityRef: `resource:default/dev-session-${UUID}`,
    cluster: 'test-cluster',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

type Container = PodSnapshot['containers'][number];
const running = (name: string): Container => ({
  name,
  role: name as Container['role'],
  ready: true,
  restartCount: 0,
  state: 'running',
});
/** A crash loop as kwok simulates it: waiting, restarted, last terminated with Error. */
const crashLooping = (name: string): Container => ({
  name,
  role: name as Container['role'],
  ready: false,
  restartCount: 5,
  state: 'waiting',
  reason: 'CrashLoopBackOff',
  lastTerminationReason: 'Error',
});
const podWith = (...containers: Container[]): PodSnapshot => ({
  pod: { name: POD, phase: 'Running', conditions: [] },
  containers,
  events: [],
});
const healthy = () =>
  podWith(running('preview'), running('chat'), running('vscode'));

/** An error the API server answered with, as @kubernetes/client-node throws it. */
const apiError = (code: number, message: string) =>
  Object.assign(new Error(`HTTP-Code: ${code}`), {
    code,
    body: JSON.stringify({ kind: 'Status', message, code }),
  });

async function setup(
  opts: { state?: DevSession['state']; withCluster?: boolean } = {},
) {
  const session = makeSession(opts.state);
  const service = {
    clusterName: 'test-cluster',
    defaultSize: 'small',
    async find(uuid: string) {
      return uuid === UUID ? session : undefined;
    },
    async get(uuid: string) {
      if (uuid !== UUID)
        throw new NotFoundError(`Project ${uuid} has no dev session`);
      return session;
    },
  } as unknown as DevSessionsApi;
  const cluster = {
    name: 'test-cluster',
    snapshot: jest.fn(async (): Promise<PodSnapshot> => healthy()),
    checkReachable: jest.fn(async () => undefined),
  };
  const core = {
    readNamespacedPodLog: jest.fn(
      async (_req: Record<string, unknown>): Promise<string> =>
        'listening on :3001\nGET /health 200\n',
    ),
  };
  // the owner may read the session, nobody else
  const permissions = mockServices.permissions.mock({
    async authorize(requests, options) {
      const principal = (options as any).credentials.principal;
      return requests.map(() => ({
        result:
          principal.userEntityRef === ALICE
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      }));
    },
  });
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    permissions,
    userInfo: mockServices.userInfo(),
    auditor: mockServices.auditor.mock(),
    service,
    logs:
      opts.withCluster === false
        ? undefined
        : new ContainerLogs(cluster as any, core as any),
  });
  const app = express()
    .use(router)
    .use(
      MiddlewareFactory.create({
        config: mockServices.rootConfig(),
        logger: mockServices.logger.mock(),
      }).error(),
    );
  const get = (query: string, user = ALICE, uuid = UUID) =>
    request(app).get(logsOf(uuid, query)).set(as(user));
  return { get, cluster, core, permissions };
}

describe('GET /projects/:projectUuid/session/logs', () => {
  it("returns the last 500 lines of a container's log (at most 1 MiB), checking read on the session", async () => {
    const { get, core, permissions } = await setup();
    const res = await get('container=chat');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      projectUuid: UUID,
      container: 'chat',
      pod: POD,
      previous: false,
      tailLines: 500,
      text: 'listening on :3001\nGET /health 200\n',
      truncated: false,
    });
    expect(permissions.authorize).toHaveBeenCalledWith(
      [{ permission: devSessionReadPermission, resourceRef: UUID }],
      { credentials: expect.anything() },
    );
    // the chart names each container by its role
    expect(core.readNamespacedPodLog).toHaveBeenCalledWith({
      namespace: UUID,
      name: POD,
      container: 'chat',
      previous: false,
      tailLines: 500,
      limitBytes: 1024 * 1024,
    });
  });

  it('reads the previous instance of a restarted container, with tailLines', async () => {
    const { get, cluster, core } = await setup();
    cluster.snapshot.mockResolvedValue(
      podWith(running('preview'), crashLooping('chat'), running('vscode')),
    );
    core.readNamespacedPodLog.mockResolvedValue('Error: boom\n    at main\n');
    const res = await get('container=chat&previous=true&tailLines=20');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      container: 'chat',
      previous: true,
      tailLines: 20,
      text: 'Error: boom\n    at main\n',
    });
    expect(core.readNamespacedPodLog).toHaveBeenCalledWith(
      expect.objectContaining({ previous: true, tailLines: 20 }),
    );
    // the current log of a crash-looping container is its last instance's, as on a kubelet
    expect((await get('container=chat')).status).toBe(200);
  });

  it('keeps the newest lines of a log over the 1 MiB limit, and says it was cut', async () => {
    const { get, core } = await setup();
    // 5,000 lines of 1,000 bytes: the kubelet stops at 1 MiB from the start of the tail
    const line = `${'x'.repeat(999)}\n`;
    core.readNamespacedPodLog.mockImplementation(async ({ tailLines }: any) =>
      line.repeat(tailLines).slice(0, LOG_LIMIT_BYTES),
    );
    const res = await get('container=vscode&tailLines=5000');
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(true);
    // asked again for as many of the last lines as fit, and says how many
    const again: number = (core.readNamespacedPodLog.mock.calls[1][0] as any)
      .tailLines;
    expect(again).toBeLessThan(1049);
    expect(res.body.tailLines).toBe(again);
    expect(res.body.text).toBe(line.repeat(again));
  });

  it.each([
    ['', 'Invalid container: must be one of preview, chat, vscode'],
    [
      'container=postgres',
      'Invalid container: must be one of preview, chat, vscode',
    ],
    [
      'container=Chat',
      'Invalid container: must be one of preview, chat, vscode',
    ],
    [
      'container=chat&container=vscode',
      'Invalid container: must be given once',
    ],
    [
      'container=chat&previous=maybe',
      'Invalid previous: must be true or false',
    ],
    [
      'container=chat&tailLines=0',
      'Invalid tailLines: must be an integer from 1 to 5000',
    ],
    [
      'container=chat&tailLines=5001',
      'Invalid tailLines: must be an integer from 1 to 5000',
    ],
    [
      'container=chat&tailLines=1.5',
      'Invalid tailLines: must be an integer from 1 to 5000',
    ],
    [
      'container=chat&tailLines=-3',
      'Invalid tailLines: must be an integer from 1 to 5000',
    ],
  ])('answers 400 for %j without reading the cluster', async (query, msg) => {
    const { get, cluster, core } = await setup();
    const res = await get(query);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ name: 'InputError', message: msg });
    expect(cluster.snapshot).not.toHaveBeenCalled();
    expect(core.readNamespacedPodLog).not.toHaveBeenCalled();
  });

  it('answers 403 to someone who may not read the session and 404 without a session', async () => {
    const { get, cluster } = await setup();
    expect((await get('container=chat', BOB)).status).toBe(403);
    const missing = await get('container=chat', ALICE, OTHER);
    expect(missing.status).toBe(404);
    expect(missing.body.error.name).toBe('NotFoundError');
    expect(cluster.snapshot).not.toHaveBeenCalled();
  });

  it('answers 409 in plain words when there is no pod (provisioning, stopped, namespace gone)', async () => {
    const provisioning = await setup({ state: 'provisioning' });
    provisioning.cluster.snapshot.mockResolvedValue({
      containers: [],
      events: [],
    });
    const p = await provisioning.get('container=preview');
    expect(p.status).toBe(409);
    expect(p.body.error).toMatchObject({
      name: 'ConflictError',
      message: `The dev session of project ${UUID} has no pod yet (it is provisioning); the preview log appears once its pod runs`,
    });

    const stopped = await setup({ state: 'stopped' });
    stopped.cluster.snapshot.mockRejectedValue(
      new NotFoundError(`Namespace ${UUID} does not exist`),
    );
    const s = await stopped.get('container=chat');
    expect(s.status).toBe(409);
    expect(s.body.error.message).toBe(
      `The dev session of project ${UUID} is stopped: it has no pod, so there is no chat log; start it to read its logs`,
    );
    expect(stopped.core.readNamespacedPodLog).not.toHaveBeenCalled();
  });

  it('answers 409 when the container has not started yet', async () => {
    const { get, cluster, core } = await setup({ state: 'provisioning' });
    cluster.snapshot.mockResolvedValue(
      podWith(running('preview'), {
        ...running('chat'),
        ready: false,
        state: 'waiting',
        reason: 'ImagePullBackOff',
      }),
    );
    const res = await get('container=chat');
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      'The chat container has not started yet (ImagePullBackOff); its log appears once it runs',
    );
    const absent = await get('container=vscode');
    expect(absent.status).toBe(409);
    expect(absent.body.error.message).toBe(
      `The pod ${POD} of this dev session has no vscode container`,
    );
    expect(core.readNamespacedPodLog).not.toHaveBeenCalled();
  });

  it('answers 409 for the previous log of a container that never restarted', async () => {
    const { get, core } = await setup();
    const res = await get('container=chat&previous=true');
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      name: 'ConflictError',
      message:
        'The chat container has not restarted, so there is no previous log',
    });
    expect(core.readNamespacedPodLog).not.toHaveBeenCalled();
  });

  it('answers 409 when the kubelet has no such log (a race with a restart)', async () => {
    const { get, core } = await setup();
    core.readNamespacedPodLog.mockRejectedValue(
      apiError(
        400,
        `container "chat" in pod "${POD}" is waiting to start: ContainerCreating`,
      ),
    );
    const res = await get('container=chat');
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      `The chat log of pod ${POD} cannot be read now: container "chat" in pod "${POD}" is waiting to start: ContainerCreating`,
    );
  });

  it('answers 503 when there is no cluster, the cluster is unreachable or the node does not answer', async () => {
    const none = await setup({ withCluster: false });
    const n = await none.get('container=chat');
    expect(n.status).toBe(503);
    expect(n.body.error.name).toBe('ServiceUnavailableError');

    // the pod read fails as the status does: 503 naming the cluster
    const down = await setup();
    down.cluster.snapshot.mockRejectedValue(
      new ServiceUnavailableError(
        'Kubernetes cluster "test-cluster" (KUBECONFIG) is unreachable: connect ECONNREFUSED',
      ),
    );
    const d = await down.get('container=chat');
    expect(d.status).toBe(503);
    expect(d.body.error.message).toContain('test-cluster');

    // the log call fails without an answer: the reachability check names the cluster
    const lost = await setup();
    lost.core.readNamespacedPodLog.mockRejectedValue(
      new Error('connect ECONNREFUSED 127.0.0.1:36443'),
    );
    lost.cluster.checkReachable.mockRejectedValue(
      new ServiceUnavailableError(
        'Kubernetes cluster "test-cluster" (KUBECONFIG) is unreachable: connect ECONNREFUSED',
      ),
    );
    const l = await lost.get('container=chat');
    expect(l.status).toBe(503);
    expect(l.body.error.message).toContain('is unreachable');

    // the API server answers, but cannot reach the node's kubelet
    const node = await setup();
    node.core.readNamespacedPodLog.mockRejectedValue(
      apiError(500, 'Get "https://127.0.0.1:10250/containerLogs/…": EOF'),
    );
    const k = await node.get('container=preview');
    expect(k.status).toBe(503);
    expect(k.body.error.message).toBe(
      `The node of pod ${POD} on cluster "test-cluster" did not serve the preview log: Get "https://127.0.0.1:10250/containerLogs/…": EOF`,
    );
  });
});
