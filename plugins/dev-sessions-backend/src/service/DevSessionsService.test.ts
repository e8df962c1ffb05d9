/*
 * The sessions service wired as the plugin wires it (SQLite store, job store, job runner,
 * session chart on the repository's chart), with `helm template` and the cluster stubbed: the
 * stub renders the three annotated Services the chart renders.
 */
import { ConfigReader } from '@backstage/config';
import { TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import { DevSessionSpec } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { SessionChart } from '../chart/SessionChart';
import { readSettings } from '../config/settings';
import { JobRunner } from '../jobs/JobRunner';
import { chartPath, chartVersion } from '../__testUtils__/chart';
import { recordedEvents, sqliteStores } from '../__testUtils__/sessions';
import { deferred, eventually } from '../__testUtils__/wait';
import { DevSessionsService } from './DevSessionsService';

jest.setTimeout(30_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** What `helm template` renders, reduced to the objects the backend reads. */
const rendered = (ns: string, extra = '') =>
  ['preview', 'chat', 'vscode']
    .map(
      (role, i) =>
        `---\napiVersion: v1\nkind: Service\nmetadata:\n  name: dev-session-${role}\n  labels:\n    dev-sessions.io/project-uuid: "${ns}"\n  annotations:\n    dev-sessions.io/role: ${role}\n    dev-sessions.io/path: /${role}\nspec:\n  ports:\n    - port: ${
          3000 + i
        }\n`,
    )
    .join('') + extra;

const spec = (extra: Partial<DevSessionSpec> = {}): DevSessionSpec => ({
  projectUuid: A,
  projectId: 'p',
  owner: 'user:default/jane',
  size: 'small',
  values: {},
  ...extra,
});

async function setup(
  opts: { cluster?: boolean; limits?: Record<string, number> } = {},
) {
  const { store, jobs } = await sqliteStores(databases);
  const settings = readSettings(
    new ConfigReader({
      devSessions: {
        chart: { path: chartPath },
        helm: { timeoutSeconds: 60 },
        jobs: { replicaId: 'r1', leaseSeconds: 0.3 },
        ...(opts.limits && { limits: opts.limits }),
      },
    }),
  );
  const helm = {
    template: jest.fn(async (o: { namespace: string }) =>
      rendered(o.namespace),
    ),
    upgradeInstall: jest.fn(async (_o: Record<string, any>) => {}),
    uninstall: jest.fn(async () => {}),
    recoverPending: jest.fn(async (): Promise<string | undefined> => undefined),
    status: jest.fn(),
    pull: jest.fn(),
  };
  const cluster = {
    name: 'test',
    checkReachable: jest.fn(async () => {}),
    assertNamespaceUsable: jest.fn(async () => {}),
    ensureNamespace: jest.fn(async () => {}),
    namespaceOwnership: jest.fn(async () => ({ state: 'owned' })),
    deleteNamespace: jest.fn(async () => 'deleted'),
    // Helm's storage read in-process (no release yet), and the job's own wait (ready at once)
    helmReleaseStatus: jest.fn(async () => undefined),
    waitForRollout: jest.fn(async () => {}),
  };
  const { logger, events, changes } = recordedEvents('test', c =>
    c.type === 'upsert'
      ? `upsert:${c.session.state}`
      : `delete:${c.projectUuid}`,
  );
  const chart = new SessionChart(settings, helm as any);
  const withCluster = opts.cluster === false ? undefined : (cluster as any);
  const runner = new JobRunner({
    store,
    jobs,
    chart,
    helm: helm as any,
    cluster: withCluster,
    settings: { ...settings.jobs, releaseName: settings.releaseName },
    logger,
    events,
  });
  const service = new DevSessionsService({
    store,
    jobs,
    runner,
    chart,
    cluster: withCluster,
    events,
    logger,
    settings,
  });
  return { store, jobs, helm, cluster, service, changes, logger };
}

describe('DevSessionsService', () => {
  it('keeps an owner within maxSessionsPerOwner: 409 naming the limit and the count, nothing created', async () => {
    const { service, store, helm } = await setup({
      limits: { maxSessionsPerOwner: 1 },
    });
    await service.getOrCreate(spec(), { wait: true });
    const error = await service
      .getOrCreate(spec({ projectUuid: B }))
      .catch(e => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      'user:default/jane has 1 dev sessions, the most the platform allows (devSessions.limits.maxSessionsPerOwner = 1); delete one first',
    );
    expect(await store.get(B)).toBeUndefined();
    expect(helm.template).toHaveBeenCalledTimes(1);
    // another owner is not limited by Jane's sessions; get-or-create of her own still answers
    await service.getOrCreate(
      spec({ projectUuid: B, owner: 'user:default/joe' }),
    );
    expect((await service.getOrCreate(spec())).created).toBe(false);
  });

  it('keeps an owner within maxRunningPerOwner on create and on start; a stopped one does not count', async () => {
    const { service, store } = await setup({
      limits: { maxRunningPerOwner: 1 },
    });
    await service.getOrCreate(spec(), { wait: true });
    await expect(service.getOrCreate(spec({ projectUuid: B }))).rejects.toThrow(
      'user:default/jane has 1 running dev sessions, the most the platform allows (devSessions.limits.maxRunningPerOwner = 1); stop one first',
    );
    expect((await service.setRunning(A, false, { wait: true })).state).toBe(
      'stopped',
    );
    await service.getOrCreate(spec({ projectUuid: B }), { wait: true });
    await expect(service.setRunning(A, true)).rejects.toThrow(
      /maxRunningPerOwner = 1/,
    );
    expect((await store.get(A))!.state).toBe('stopped');
  });

  it('creates a session: stored provisioning with its links, then ready through its job', async () => {
    const { service, store, jobs, helm, cluster, changes } = await setup();
    const first = await service.getOrCreate(spec());
    expect(first).toMatchObject({
      created: true,
      retried: false,
      session: {
        projectUuid: A,
        namespace: A,
        releaseName: 'dev-session',
        chartVersion,
        cluster: 'test',
        entityRef: expect.stringContaining(A),
        endpoints: {
          chat: {
            url: `http://localhost:7007/api/dev-sessions/projects/${A}/open/chat/`,
            internalUrl: `http://dev-session-chat.${A}.svc.cluster.local:3001/`,
            path: '/chat',
          },
        },
      },
    });
    expect(first.session).not.toHaveProperty('values');
    expect(cluster.assertNamespaceUsable).toHaveBeenCalledWith(A, A);
    await eventually(
      async () => (await store.get(A))?.state === 'ready',
      'ready',
    );
    expect(await jobs.get(A)).toBeUndefined();
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(1);
    expect(helm.upgradeInstall.mock.calls[0][0]).toMatchObject({
      release: 'dev-session',
      namespace: A,
      timeoutSeconds: 60,
      chart: { kind: 'path', path: chartPath },
      values: { project: { uuid: A }, user: { id: 'user:default/jane' } },
    });
    expect(changes).toEqual(['upsert:provisioning', 'upsert:ready']);
    // a second call returns the session as it is
    expect(await service.getOrCreate(spec())).toMatchObject({
      created: false,
      retried: false,
      session: { state: 'ready' },
    });
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(1);
  });

  it('creates once under 10 concurrent get-or-create calls: one row, one job, one install', async () => {
    const { service, store, jobs, helm } = await setup();
    const install = deferred();
    helm.upgradeInstall.mockImplementation(() => install.promise);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => service.getOrCreate(spec())),
    );
    expect(results.filter(r => r.created)).toHaveLength(1);
    expect(results.filter(r => r.retried)).toHaveLength(0);
    for (const r of results) expect(r.session.projectUuid).toBe(A);
    expect(await store.list()).toHaveLength(1);
    // one request: generation 1 (every further request would have bumped it)
    expect(await jobs.get(A)).toMatchObject({
      kind: 'provision',
      generation: 1,
      owner: 'r1',
    });
    await eventually(() => helm.upgradeInstall.mock.calls.length, 'install');
    install.resolve();
    await eventually(
      async () => (await store.get(A))?.state === 'ready',
      'ready',
    );
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(1);
  });

  it("marks a session failed with helm's message, and a retry provisions again", async () => {
    const { service, helm } = await setup();
    helm.upgradeInstall.mockRejectedValueOnce(
      new Error('helm upgrade exited with 1: Error: context deadline exceeded'),
    );
    const first = await service.getOrCreate(spec(), { wait: true });
    expect(first).toMatchObject({
      created: true,
      session: {
        state: 'failed',
        lastError:
          'helm upgrade exited with 1: Error: context deadline exceeded',
      },
    });
    const retry = await service.getOrCreate(spec(), {
      wait: true,
      timeoutSeconds: 33,
    });
    expect(retry).toMatchObject({
      created: false,
      retried: true,
      session: { state: 'ready' },
    });
    expect(retry.session.lastError).toBeUndefined();
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(2);
    expect(helm.upgradeInstall.mock.calls[0][0]).toMatchObject({
      release: 'dev-session',
      namespace: A,
      timeoutSeconds: 60,
    });
    expect(helm.upgradeInstall.mock.calls[1][0].timeoutSeconds).toBe(33);
  });

  it('retries a failed session with its stored values and asks for read, then update', async () => {
    const { service, helm, store, cluster } = await setup();
    helm.upgradeInstall.mockRejectedValueOnce(new Error('boom'));
    const env = [{ name: 'MODE', value: 'first' }];
    await service.getOrCreate(
      spec({ values: { containers: { preview: { env } } } }),
      { wait: true },
    );
    expect((await store.get(A))!.state).toBe('failed');

    const asked: string[] = [];
    const retry = await service.getOrCreate(
      spec({
        owner: 'user:default/mallory',
        size: 'large',
        values: {
          containers: { preview: { env: [{ name: 'MODE', value: 'evil' }] } },
        },
      }),
      {
        wait: true,
        authorize: async (s, action) => {
          asked.push(`${action}:${s.owner}:${s.state}`);
        },
      },
    );
    expect(retry).toMatchObject({
      created: false,
      retried: true,
      session: { state: 'ready', owner: 'user:default/jane', size: 'small' },
    });
    expect(asked).toEqual([
      'read:user:default/jane:failed',
      'update:user:default/jane:failed',
    ]);
    const installed = helm.upgradeInstall.mock.calls[1][0].values;
    expect(installed.containers.preview.env).toEqual(env);
    expect(installed.user).toEqual({ id: 'user:default/jane' });
    expect(installed.size).toBe('small');
    // the stored request is checked again before the retry is stored
    expect(cluster.assertNamespaceUsable).toHaveBeenCalledTimes(2);
  });

  it('refuses a retry when authorize refuses the update, and retries nothing', async () => {
    const { service, helm, store, jobs } = await setup();
    helm.upgradeInstall.mockRejectedValueOnce(new Error('boom'));
    await service.getOrCreate(spec(), { wait: true });
    const asked: string[] = [];
    await expect(
      service.getOrCreate(spec(), {
        authorize: async (_s, action) => {
          asked.push(action);
          if (action === 'update') throw new Error('denied');
        },
      }),
    ).rejects.toThrow('denied');
    expect(asked).toEqual(['read', 'update']);
    expect(helm.upgradeInstall).toHaveBeenCalledTimes(1);
    expect(await store.get(A)).toMatchObject({
      state: 'failed',
      lastError: 'boom',
    });
    expect(await jobs.get(A)).toBeUndefined();
  });

  it('asks only for read on a session that needs no retry, and refuses when read is refused', async () => {
    const { service } = await setup();
    await service.getOrCreate(spec(), { wait: true });
    const asked: string[] = [];
    await service.getOrCreate(spec(), {
      authorize: async (_s, action) => {
        asked.push(action);
      },
    });
    expect(asked).toEqual(['read']);
    await expect(
      service.getOrCreate(spec(), {
        authorize: async () => {
          throw new Error('not yours');
        },
      }),
    ).rejects.toThrow('not yours');
  });

  it('refuses a rendered manifest with a foreign object before storing anything or running helm', async () => {
    const { service, helm, store, jobs, cluster } = await setup();
    helm.template.mockImplementationOnce(async (o: { namespace: string }) =>
      rendered(
        o.namespace,
        '---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: freeze\n  namespace: kube-system\n',
      ),
    );
    await expect(service.getOrCreate(spec())).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(
        /ResourceQuota\/freeze is in namespace "kube-system"/,
      ),
    });
    expect(await store.get(A)).toBeUndefined();
    expect(await jobs.get(A)).toBeUndefined();
    expect(helm.upgradeInstall).not.toHaveBeenCalled();
    expect(helm.recoverPending).not.toHaveBeenCalled();
    expect(cluster.ensureNamespace).not.toHaveBeenCalled();
  });

  it('refuses values against the policy with a 400 before asking the cluster', async () => {
    const { service, helm, store, cluster } = await setup();
    await expect(
      service.getOrCreate(spec({ values: { size: 'large' } })),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(
        /^Invalid values\.size: is set by the platform/,
      ),
    });
    expect(cluster.checkReachable).not.toHaveBeenCalled();
    expect(helm.template).not.toHaveBeenCalled();
    expect(await store.get(A)).toBeUndefined();
  });

  it('stores nothing when the namespace is not usable', async () => {
    const { service, store, jobs, cluster } = await setup();
    cluster.assertNamespaceUsable.mockRejectedValueOnce(
      new ConflictError(
        `Namespace ${A} exists and is not managed by dev sessions`,
      ),
    );
    await expect(service.getOrCreate(spec())).rejects.toThrow(ConflictError);
    expect(await store.get(A)).toBeUndefined();
    expect(await jobs.get(A)).toBeUndefined();
  });

  it('answers 503 when no cluster is configured', async () => {
    const { service, store } = await setup({ cluster: false });
    await expect(service.getOrCreate(spec())).rejects.toThrow(
      ServiceUnavailableError,
    );
    expect(await store.get(A)).toBeUndefined();
  });

  it('renders a dry run without storing anything', async () => {
    const { service, store, helm } = await setup();
    const r = await service.render(spec());
    expect(r.session).toMatchObject({
      projectUuid: A,
      state: 'provisioning',
      cluster: 'test',
    });
    expect(r.objects).toEqual([
      'Service/dev-session-preview',
      'Service/dev-session-chat',
      'Service/dev-session-vscode',
    ]);
    expect(await store.get(A)).toBeUndefined();
    expect(helm.upgradeInstall).not.toHaveBeenCalled();
  });

  it('delete returns the deleting session, then undefined with wait', async () => {
    const { service, helm, store, jobs, changes, cluster } = await setup();
    await service.getOrCreate(spec(), { wait: true });
    await service.getOrCreate(spec({ projectUuid: B }), { wait: true });
    const uninstall = deferred();
    helm.uninstall.mockImplementationOnce(() => uninstall.promise);

    const deleting = await service.delete(A);
    expect(deleting).toMatchObject({ projectUuid: A, state: 'deleting' });
    expect(await jobs.get(A)).toMatchObject({ kind: 'delete', owner: 'r1' });
    await eventually(() => helm.uninstall.mock.calls.length, 'uninstall');

    const waited = service.delete(A, { wait: true });
    uninstall.resolve();
    expect(await waited).toBeUndefined();
    expect(await store.get(A)).toBeUndefined();
    expect(await jobs.get(A)).toBeUndefined();
    expect(helm.uninstall).toHaveBeenCalledTimes(1);
    expect(changes).toContain(`delete:${A}`);
    expect((await store.get(B))!.state).toBe('ready');
    // nothing to delete: undefined, without asking the cluster
    cluster.checkReachable.mockClear();
    expect(await service.delete(A)).toBeUndefined();
    expect(cluster.checkReachable).not.toHaveBeenCalled();
    expect(helm.uninstall).toHaveBeenCalledTimes(1);
  });

  it('answers 409 to get-or-create while the session is being deleted', async () => {
    const { service, helm, jobs } = await setup();
    await service.getOrCreate(spec(), { wait: true });
    const uninstall = deferred();
    helm.uninstall.mockImplementationOnce(() => uninstall.promise);
    await service.delete(A);
    const job = await jobs.get(A);
    await expect(service.getOrCreate(spec())).rejects.toThrow(ConflictError);
    await expect(service.getOrCreate(spec())).rejects.toThrow(
      `The dev session of project ${A} is being deleted; try again when it is gone`,
    );
    // deleting again changes nothing
    expect(await service.delete(A)).toMatchObject({ state: 'deleting' });
    expect((await jobs.get(A))!.generation).toBe(job!.generation);
    uninstall.resolve();
    expect(await service.delete(A, { wait: true })).toBeUndefined();
    // and then it can be created again
    expect(await service.getOrCreate(spec(), { wait: true })).toMatchObject({
      created: true,
      session: { state: 'ready' },
    });
  });

  it('never runs an uninstall while the install of the same session is still running', async () => {
    // a delete arriving on the replica that is still installing: the delete must wait for the
    // install (JobStore.request keeps the install's lease for that), never run Helm on the
    // release at the same time, and the row must outlive the install
    const { service, helm, cluster, store } = await setup();
    const install = deferred();
    let installRunning = false;
    const overlaps: string[] = [];
    helm.upgradeInstall.mockImplementationOnce(async () => {
      installRunning = true;
      await install.promise;
      installRunning = false;
    });
    helm.uninstall.mockImplementation(async () => {
      if (installRunning) overlaps.push('helm uninstall');
    });
    cluster.deleteNamespace.mockImplementation(async () => {
      if (installRunning) overlaps.push('namespace deleted');
      return 'deleted';
    });
    await service.getOrCreate(spec());
    await eventually(() => installRunning, 'install');

    const deleting = await service.delete(A);
    await new Promise(r => setTimeout(r, 500));
    const rowDuringInstall = (await store.get(A))?.state;
    install.resolve();
    await eventually(async () => !(await store.get(A)), 'the row to go');

    expect({ deleting: deleting?.state, rowDuringInstall, overlaps }).toEqual({
      deleting: 'deleting',
      rowDuringInstall: 'deleting',
      overlaps: [],
    });
    expect(helm.uninstall).toHaveBeenCalledTimes(1);
  });

  it('lists, gets and finds sessions in the public shape', async () => {
    const { service } = await setup();
    await service.getOrCreate(spec(), { wait: true });
    await service.getOrCreate(
      spec({ projectUuid: B, owner: 'group:default/team' }),
      { wait: true },
    );
    expect((await service.list()).map(s => s.projectUuid)).toEqual([A, B]);
    expect(
      (await service.list({ owner: 'group:default/team' })).map(
        s => s.projectUuid,
      ),
    ).toEqual([B]);
    expect(await service.get(A)).toMatchObject({
      projectUuid: A,
      cluster: 'test',
    });
    expect(await service.get(A)).not.toHaveProperty('values');
    expect(
      await service.find('00000000-0000-4000-8000-000000000000'),
    ).toBeUndefined();
    await expect(
      service.get('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});
