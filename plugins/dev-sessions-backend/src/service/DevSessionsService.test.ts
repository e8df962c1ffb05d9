import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  DevSessionsService,
  DevSessionsSettings,
  mergeValues,
} from './DevSessionsService';
import { SessionStore } from './store';
import { ManifestCheck } from './ManifestCheck';
import { ValuesPolicy } from './ValuesPolicy';
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
  policy: new ValuesPolicy(),
  manifestCheck: new ManifestCheck(),
};
const rendered = (ns: string, extra = '') =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: dev-session-preview\n  labels:\n    dev-sessions.io/project-uuid: ${ns}\n${extra}`;
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function setup(
  helmStatus: Record<string, { status: string; revision: number } | undefined>,
) {
  const knex = await databases.init('SQLITE_3');
  const store = await SessionStore.create({
    getClient: async () => knex,
  } as any);
  const helm = {
    status: jest.fn(async (_r: string, ns: string) => helmStatus[ns]),
    upgradeInstall: jest.fn(),
    uninstall: jest.fn(),
    recoverPending: jest.fn(),
    template: jest.fn(async (o: { namespace: string }) =>
      rendered(o.namespace),
    ),
  };
  const cluster = {
    name: 'test',
    checkReachable: jest.fn(),
    ensureNamespace: jest.fn(),
    assertNamespaceUsable: jest.fn(),
    namespaceOwnership: jest.fn(async () => ({ state: 'owned' })),
    deleteNamespace: jest.fn(),
  };
  const service = new DevSessionsService({
    store,
    helm: helm as any,
    cluster: cluster as any,
    logger: mockServices.logger.mock(),
    settings,
  });
  return { store, helm, cluster, service, knex };
}

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('DevSessionsService', () => {
  it('merges values deeply, later sources winning, arrays replaced', () => {
    expect(
      mergeValues(
        { a: { b: 1, c: [1, 2] }, d: 1 },
        { a: { c: [3] } },
        { d: 2 },
      ),
    ).toEqual({ a: { b: 1, c: [3] }, d: 2 });
  });

  it('sets project, user, size, ingress and the guardrails itself; request values cannot touch them', () => {
    const s = new DevSessionsService({
      store: {} as any,
      helm: {} as any,
      logger: mockServices.logger.mock(),
      settings: {
        ...settings,
        urls: {
          mode: 'ingress-host',
          host: '{projectUuid}.dev.example.com',
          scheme: 'https',
        },
      },
    });
    const req = {
      projectUuid: A,
      projectId: 'p',
      owner: 'user:default/jane',
      size: 'large' as const,
      values: {},
    };
    expect(() => s.buildValues({ ...req, values: { size: 'small' } })).toThrow(
      /^Invalid values\.size: is set by the platform/,
    );
    expect(() =>
      s.buildValues({ ...req, values: { project: { uuid: B } } }),
    ).toThrow(/^Invalid values\.project\.uuid: is set by the platform/);
    const v = s.buildValues(req);
    expect(v).toMatchObject({
      project: { uuid: A, id: 'p' },
      user: { id: 'user:default/jane' },
      size: 'large',
      ingress: { enabled: true, mode: 'host', host: `${A}.dev.example.com` },
      networkPolicy: { enabled: true },
      quota: { enabled: true },
      limitRange: { enabled: true },
    });
  });

  it('reconcile corrects interrupted provisioning and vanished releases', async () => {
    const { store, service } = await setup({
      [A]: { status: 'deployed', revision: 1 },
      [B]: undefined,
    });
    const ep = { url: 'http://x/', path: '/x' };
    const base = {
      projectId: 'p',
      owner: 'user:default/jane',
      releaseName: 'dev-session',
      chartVersion: '0.1.0',
      size: 'medium' as const,
      values: {},
      endpoints: { preview: ep, chat: ep, vscode: ep },
    };
    const old = new Date(Date.now() - 3600_000).toISOString();
    await store.insertIfAbsent({ ...base, projectUuid: A, namespace: A }, old); // provisioning, interrupted an hour ago
    await store.insertIfAbsent({ ...base, projectUuid: B, namespace: B }, old);
    await store.transition(B, ['provisioning'], 'ready');

    const changes: string[] = [];
    service.onChange(c =>
      changes.push(
        c.type === 'upsert'
          ? `${c.session.projectUuid}:${c.session.state}`
          : c.projectUuid,
      ),
    );
    expect(await service.reconcile()).toEqual({ checked: 2, changed: 2 });
    expect((await store.get(A))!.state).toBe('ready');
    const b = await store.get(B);
    expect(b!.state).toBe('failed');
    expect(b!.lastError).toBe(
      'Helm release not found in the cluster (found by reconcile)',
    );
    expect(changes.sort()).toEqual([`${A}:ready`, `${B}:failed`]);
  });

  it('reconcile leaves fresh provisioning alone', async () => {
    const { store, service, helm } = await setup({});
    const ep = { url: 'http://x/', path: '/x' };
    await store.insertIfAbsent({
      projectUuid: A,
      namespace: A,
      projectId: 'p',
      owner: 'user:default/jane',
      releaseName: 'dev-session',
      chartVersion: '0.1.0',
      size: 'medium',
      values: {},
      endpoints: { preview: ep, chat: ep, vscode: ep },
    });
    expect(await service.reconcile()).toEqual({ checked: 1, changed: 0 });
    expect(helm.status).not.toHaveBeenCalled();
  });

  it("marks a session failed with helm's message, and a retry provisions again", async () => {
    const { service, helm } = await setup({});
    helm.upgradeInstall.mockRejectedValueOnce(
      new Error('helm upgrade exited with 1: Error: context deadline exceeded'),
    );
    const req = {
      projectUuid: A,
      projectId: 'p',
      owner: 'user:default/jane',
      size: 'small' as const,
      values: {},
    };
    const first = await service.getOrCreate(req, { wait: true });
    expect(first).toMatchObject({
      created: true,
      session: {
        state: 'failed',
        lastError:
          'helm upgrade exited with 1: Error: context deadline exceeded',
      },
    });
    const retry = await service.getOrCreate(req, { wait: true });
    expect(retry).toMatchObject({
      created: false,
      session: { state: 'ready' },
    });
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(2);
    expect(helm.upgradeInstall.mock.calls[0][0]).toMatchObject({
      release: 'dev-session',
      namespace: A,
      timeoutSeconds: 60,
    });
  });

  it('retries a failed session with its stored values and asks for read and update first', async () => {
    const { service: svc, helm, store } = await setup({});
    helm.upgradeInstall.mockRejectedValueOnce(new Error('boom'));
    const env = [{ name: 'MODE', value: 'first' }];
    const req = {
      projectUuid: A,
      projectId: 'p',
      owner: 'user:default/jane',
      size: 'small' as const,
      values: { containers: { preview: { env } } },
    };
    await svc.getOrCreate(req, { wait: true });
    expect((await store.get(A))!.state).toBe('failed');

    const asked: string[] = [];
    const other = {
      ...req,
      owner: 'user:default/mallory',
      size: 'large' as const,
      values: {
        containers: { preview: { env: [{ name: 'MODE', value: 'evil' }] } },
      },
    };
    const retry = await svc.getOrCreate(other, {
      wait: true,
      authorize: async (s, action) => {
        asked.push(`${action}:${s.owner}`);
      },
    });
    expect(retry).toMatchObject({
      created: false,
      retried: true,
      session: { state: 'ready', owner: 'user:default/jane', size: 'small' },
    });
    expect(asked).toEqual([
      'read:user:default/jane',
      'update:user:default/jane',
    ]);
    const installed = helm.upgradeInstall.mock.calls[1][0].values;
    expect(installed.containers.preview.env).toEqual(env);
    expect(installed.user).toEqual({ id: 'user:default/jane' });
  });

  it('refuses an existing session when authorize throws, and retries nothing', async () => {
    const { service: svc, helm } = await setup({});
    helm.upgradeInstall.mockRejectedValueOnce(new Error('boom'));
    const req = {
      projectUuid: A,
      projectId: 'p',
      owner: 'user:default/jane',
      size: 'small' as const,
      values: {},
    };
    await svc.getOrCreate(req, { wait: true });
    const denied = svc.getOrCreate(req, {
      authorize: async (_s, action) => {
        if (action === 'update') throw new Error('denied');
      },
    });
    await expect(denied).rejects.toThrow('denied');
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(1);
  });

  it('refuses a rendered manifest with a foreign object before storing anything or running helm install', async () => {
    const { service: svc, helm, store } = await setup({});
    helm.template.mockImplementationOnce(async (o: { namespace: string }) =>
      rendered(
        o.namespace,
        '---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: freeze\n  namespace: kube-system\n',
      ),
    );
    const req = {
      projectUuid: A,
      projectId: 'p',
      owner: 'user:default/jane',
      size: 'small' as const,
      values: {},
    };
    await expect(svc.getOrCreate(req)).rejects.toThrow(
      /ResourceQuota\/freeze is in namespace "kube-system"/,
    );
    expect(await store.get(A)).toBeUndefined();
    expect(helm.upgradeInstall).not.toHaveBeenCalled();
  });

  it('recovers a release stuck in pending-install before installing', async () => {
    const { service: svc, helm } = await setup({});
    helm.recoverPending.mockResolvedValueOnce(
      'uninstalled release dev-session that was stuck in pending-install',
    );
    const req = {
      projectUuid: A,
      projectId: 'p',
      owner: 'user:default/jane',
      size: 'small' as const,
      values: {},
    };
    expect(await svc.getOrCreate(req, { wait: true })).toMatchObject({
      session: { state: 'ready' },
    });
    expect(helm.recoverPending).toHaveBeenCalledWith('dev-session', A, 60);
    expect(helm.recoverPending.mock.invocationCallOrder[0]).toBeLessThan(
      helm.upgradeInstall.mock.invocationCallOrder[0],
    );
  });
});
