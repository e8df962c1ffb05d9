import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { DevSession } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { PodSnapshot } from '../cluster/podSnapshot';
import { StatusReader } from './StatusReader';

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const ep = (role: string) => ({
  url: `http://localhost:7007/api/dev-sessions/projects/${A}/open/${role}/`,
  internalUrl: `http://dev-session-${role}.${A}.svc.cluster.local:3000/`,
  path: `/${role}`,
});
const session: DevSession = {
  projectUuid: A,
  projectId: 'p',
  owner: 'user:default/jane',
  namespace: A,
  releaseName: 'dev-session',
  chartVersion: '0.1.0',
  size: 'small',
  state: 'ready',
  endpoints: { preview: ep('preview'), chat: ep('chat'), vscode: ep('vscode') },
  entityRef: `resource:default/dev-session-${A}`,
  cluster: 'test',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const container = (name: string, ready: boolean) => ({
  name,
  role: name as any,
  ready,
  restartCount: 0,
  state: ready ? ('running' as const) : ('waiting' as const),
});

function reader(snapshot: () => Promise<PodSnapshot>) {
  const cluster = { name: 'test', snapshot: jest.fn(snapshot) };
  return { cluster, reader: new StatusReader(cluster as any) };
}

describe('StatusReader', () => {
  it('marks a link ready when the container of its role is', async () => {
    const snap: PodSnapshot = {
      pod: { name: 'dev-session-abc', phase: 'Running', conditions: [] },
      containers: [
        container('preview', true),
        container('chat', false),
        container('vscode', true),
      ],
      events: [
        {
          type: 'Warning',
          reason: 'BackOff',
          message: 'Back-off restarting failed container chat',
          object: 'Pod/dev-session-abc',
          count: 3,
        },
      ],
    };
    const { cluster, reader: r } = reader(async () => snap);
    const status = await r.status(session);
    expect(cluster.snapshot).toHaveBeenCalledWith(A, A);
    expect(status).toEqual({
      projectUuid: A,
      state: 'ready',
      cluster: 'test',
      clusterReachable: true,
      pod: snap.pod,
      containers: snap.containers,
      events: snap.events,
      endpoints: {
        preview: { ...ep('preview'), ready: true },
        chat: { ...ep('chat'), ready: false },
        vscode: { ...ep('vscode'), ready: true },
      },
      checkedAt: expect.any(String),
    });
    expect(Date.parse(status.checkedAt)).not.toBeNaN();
  });

  it('reports no pod and no ready link when the namespace is gone', async () => {
    const { reader: r } = reader(async () => {
      throw new NotFoundError('namespace not found');
    });
    const status = await r.status({ ...session, state: 'provisioning' });
    expect(status).toMatchObject({
      state: 'provisioning',
      pod: undefined,
      containers: [],
      events: [],
      endpoints: {
        preview: { ready: false },
        chat: { ready: false },
        vscode: { ready: false },
      },
    });
  });

  it('passes other errors on (503 when the cluster is unreachable)', async () => {
    const { reader: r } = reader(async () => {
      throw new ServiceUnavailableError('Cluster test is not reachable');
    });
    await expect(r.status(session)).rejects.toThrow(ServiceUnavailableError);
  });

  it('reads the watch cache when it has the session, the cluster when it has not', async () => {
    const cached: PodSnapshot = {
      pod: { name: 'from-cache', phase: 'Running', conditions: [] },
      containers: [container('preview', true)],
      events: [],
    };
    const cluster = {
      name: 'test',
      snapshot: jest.fn(async () => ({ containers: [], events: [] })),
    };
    const cache = {
      snapshot: jest.fn(() => cached as PodSnapshot | undefined),
    };
    const r = new StatusReader(cluster as any, cache as any);
    const timings: string[] = [];
    const st = await r.status(session, t => timings.push(t.source));
    expect(st.pod?.name).toBe('from-cache');
    expect(st.endpoints.preview.ready).toBe(true);
    expect(cache.snapshot).toHaveBeenCalledWith(A, A);
    expect(cluster.snapshot).not.toHaveBeenCalled();

    // not synced (or not one of this installation's namespaces): the API server
    cache.snapshot.mockReturnValue(undefined);
    const direct = await r.status(session, t => timings.push(t.source));
    expect(direct.pod).toBeUndefined();
    expect(cluster.snapshot).toHaveBeenCalledWith(A, A);
    expect(timings).toEqual(['cache', 'cluster']);
  });
});
