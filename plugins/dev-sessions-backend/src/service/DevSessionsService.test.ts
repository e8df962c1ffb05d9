import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DevSessionsService, DevSessionsSettings, mergeValues } from './DevSessionsService';
import { SessionStore } from './store';
import * as path from 'node:path';

const chartPath = path.resolve(__dirname, '../../../../charts/dev-session');
const settings: DevSessionsSettings = {
  chart: { kind: 'path', path: chartPath },
  chartVersion: '0.1.0',
  chartSchema: require(path.join(chartPath, 'values.schema.json')),
  releaseName: 'dev-session',
  timeoutSeconds: 60,
  defaultValues: {},
  defaultSize: 'medium',
  urls: { mode: 'service', scheme: 'https' },
};
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function setup(helmStatus: Record<string, { status: string; revision: number } | undefined>) {
  const knex = await databases.init('SQLITE_3');
  const store = await SessionStore.create({ getClient: async () => knex } as any);
  const helm = {
    status: jest.fn(async (_r: string, ns: string) => helmStatus[ns]),
    upgradeInstall: jest.fn(),
    uninstall: jest.fn(),
    template: jest.fn(),
  };
  const cluster = { name: 'test', checkReachable: jest.fn(), ensureNamespace: jest.fn(), deleteNamespace: jest.fn() };
  const service = new DevSessionsService({
    store, helm: helm as any, cluster: cluster as any, logger: mockServices.logger.mock(), settings,
  });
  return { store, helm, cluster, service, knex };
}

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('DevSessionsService', () => {
  it('merges values deeply, later sources winning, arrays replaced', () => {
    expect(mergeValues({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] } }, { d: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 2 });
  });

  it('sets project, user, size and ingress itself; request values cannot override them', () => {
    const s = new DevSessionsService({
      store: {} as any, helm: {} as any, logger: mockServices.logger.mock(),
      settings: { ...settings, urls: { mode: 'ingress-host', host: '{projectUuid}.dev.example.com', scheme: 'https' } },
    });
    const v = s.buildValues({ projectUuid: A, projectId: 'p', owner: 'user:default/jane', size: 'large', values: { size: 'small' } as any });
    expect(v).toMatchObject({
      project: { uuid: A, id: 'p' }, user: { id: 'user:default/jane' }, size: 'large',
      ingress: { enabled: true, mode: 'host', host: `${A}.dev.example.com` },
    });
  });

  it('reconcile corrects interrupted provisioning and vanished releases', async () => {
    const { store, service } = await setup({ [A]: { status: 'deployed', revision: 1 }, [B]: undefined });
    const ep = { url: 'http://x/', path: '/x' };
    const base = { projectId: 'p', owner: 'user:default/jane', releaseName: 'dev-session', chartVersion: '0.1.0', size: 'medium' as const, values: {}, endpoints: { preview: ep, chat: ep, vscode: ep } };
    const old = new Date(Date.now() - 3600_000).toISOString();
    await store.insertIfAbsent({ ...base, projectUuid: A, namespace: A }, old); // provisioning, interrupted an hour ago
    await store.insertIfAbsent({ ...base, projectUuid: B, namespace: B }, old);
    await store.transition(B, ['provisioning'], 'ready');

    const changes: string[] = [];
    service.onChange(c => changes.push(c.type === 'upsert' ? `${c.session.projectUuid}:${c.session.state}` : c.projectUuid));
    expect(await service.reconcile()).toEqual({ checked: 2, changed: 2 });
    expect((await store.get(A))!.state).toBe('ready');
    const b = await store.get(B);
    expect(b!.state).toBe('failed');
    expect(b!.lastError).toBe('Helm release not found in the cluster (found by reconcile)');
    expect(changes.sort()).toEqual([`${A}:ready`, `${B}:failed`]);
  });

  it('reconcile leaves fresh provisioning alone', async () => {
    const { store, service, helm } = await setup({});
    const ep = { url: 'http://x/', path: '/x' };
    await store.insertIfAbsent({ projectUuid: A, namespace: A, projectId: 'p', owner: 'user:default/jane', releaseName: 'dev-session', chartVersion: '0.1.0', size: 'medium', values: {}, endpoints: { preview: ep, chat: ep, vscode: ep } });
    expect(await service.reconcile()).toEqual({ checked: 1, changed: 0 });
    expect(helm.status).not.toHaveBeenCalled();
  });

  it('marks a session failed with helm\'s message, and a retry provisions again', async () => {
    const { service, helm } = await setup({});
    helm.upgradeInstall.mockRejectedValueOnce(new Error('helm upgrade exited with 1: Error: context deadline exceeded'));
    const req = { projectUuid: A, projectId: 'p', owner: 'user:default/jane', size: 'small' as const, values: {} };
    const first = await service.getOrCreate(req, { wait: true });
    expect(first).toMatchObject({ created: true, session: { state: 'failed', lastError: 'helm upgrade exited with 1: Error: context deadline exceeded' } });
    const retry = await service.getOrCreate(req, { wait: true });
    expect(retry).toMatchObject({ created: false, session: { state: 'ready' } });
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(2);
    expect(helm.upgradeInstall.mock.calls[0][0]).toMatchObject({ release: 'dev-session', namespace: A, timeoutSeconds: 60 });
  });
});
