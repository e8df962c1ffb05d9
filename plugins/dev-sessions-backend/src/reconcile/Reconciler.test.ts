import { TestDatabases } from '@backstage/backend-test-utils';
import {
  newSession,
  recordedEvents,
  sqliteStores,
  storeSession,
} from '../__testUtils__/sessions';
import { Reconciler } from './Reconciler';

jest.setTimeout(30_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const uuid = (n: number) =>
  `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

type State = 'provisioning' | 'ready' | 'failed' | 'deleting' | 'stopped';

async function setup(
  releases: Record<
    string,
    { status: string; revision: number } | undefined
  > = {},
  opts: { cluster?: boolean } = {},
) {
  const { store, jobs } = await sqliteStores(databases);
  const cluster = {
    checkReachable: jest.fn(async () => {}),
    // the one labelled list; empty by default, so each session's namespace is asked for
    ourNamespaces: jest.fn(
      async (): Promise<
        { name: string; projectUuid?: string; deleting: boolean }[]
      > => [],
    ),
    helmReleaseStatus: jest.fn(
      async (ns: string, _release: string) => releases[ns],
    ),
    namespaceOwnership: jest.fn(
      async (_ns: string, _uuid: string): Promise<{ state: string }> => ({
        state: 'owned',
      }),
    ),
  };
  const { logger, events, changes } = recordedEvents('test', c =>
    c.type === 'upsert'
      ? `${c.session.projectUuid}:${c.session.state}`
      : `${c.projectUuid}:gone`,
  );
  const reconciler = new Reconciler({
    store,
    jobs,
    cluster: opts.cluster === false ? undefined : (cluster as any),
    logger,
    events,
    timeoutSeconds: 75,
  });

  const insert = (id: string, state: State) =>
    storeSession(store, newSession(id, { size: 'medium' }), state, 'boom');

  const withJob = (id: string, kind: 'provision' | 'delete') =>
    store.transaction(trx =>
      jobs.request(trx, id, kind, 60, { owner: 'other', leaseMs: 60_000 }),
    );

  return {
    store,
    jobs,
    helm: { status: cluster.helmReleaseStatus },
    cluster,
    logger,
    changes,
    reconciler,
    insert,
    withJob,
  };
}

describe('Reconciler', () => {
  it.each(['ready', 'stopped'] as const)(
    'fails a %s session whose release is missing',
    async state => {
      const t = await setup({});
      await t.insert(uuid(1), state);
      expect(await t.reconciler.reconcile()).toEqual({
        checked: 1,
        changed: 1,
      });
      expect(await t.store.get(uuid(1))).toMatchObject({
        state: 'failed',
        lastError: 'Helm release not found in the cluster (found by reconcile)',
      });
      expect(t.helm.status).toHaveBeenCalledWith(uuid(1), 'dev-session');
      expect(t.changes).toEqual([`${uuid(1)}:failed`]);
    },
  );

  it.each(['failed', 'uninstalled'])(
    'fails a ready session whose release is %s',
    async status => {
      const t = await setup({ [uuid(1)]: { status, revision: 2 } });
      await t.insert(uuid(1), 'ready');
      expect(await t.reconciler.reconcile()).toEqual({
        checked: 1,
        changed: 1,
      });
      expect(await t.store.get(uuid(1))).toMatchObject({
        state: 'failed',
        lastError: `Helm release is ${status} (found by reconcile)`,
      });
    },
  );

  it.each(['absent', 'foreign', 'deleting'])(
    'fails a ready session whose namespace is %s, without asking helm',
    async state => {
      const t = await setup({ [uuid(1)]: { status: 'deployed', revision: 1 } });
      t.cluster.namespaceOwnership.mockResolvedValue({ state });
      await t.insert(uuid(1), 'ready');
      expect(await t.reconciler.reconcile()).toEqual({
        checked: 1,
        changed: 1,
      });
      expect((await t.store.get(uuid(1)))!.state).toBe('failed');
      expect(t.cluster.namespaceOwnership).toHaveBeenCalledWith(
        uuid(1),
        uuid(1),
      );
      expect(t.helm.status).not.toHaveBeenCalled();
    },
  );

  it('takes namespaces from the one labelled list, asking only for those not in it', async () => {
    const t = await setup({
      [uuid(1)]: { status: 'deployed', revision: 1 },
      [uuid(2)]: { status: 'deployed', revision: 1 },
      [uuid(3)]: { status: 'deployed', revision: 1 },
    });
    t.cluster.ourNamespaces.mockResolvedValue([
      { name: uuid(1), projectUuid: uuid(1), deleting: false },
      { name: uuid(2), projectUuid: uuid(2), deleting: true },
      { name: uuid(3), projectUuid: uuid(9), deleting: false },
    ]);
    t.cluster.namespaceOwnership.mockResolvedValue({ state: 'foreign' });
    for (const n of [1, 2, 3, 4]) await t.insert(uuid(n), 'ready');
    expect(await t.reconciler.reconcile()).toEqual({ checked: 4, changed: 3 });
    expect((await t.store.get(uuid(1)))!.state).toBe('ready');
    // deleting: lost without reading the release; another project's namespace and an unlisted
    // one are asked for (here: foreign)
    for (const n of [2, 3, 4])
      expect((await t.store.get(uuid(n)))!.state).toBe('failed');
    expect(t.cluster.ourNamespaces).toHaveBeenCalledTimes(1);
    expect(
      t.cluster.namespaceOwnership.mock.calls.map(c => c[0]).sort(),
    ).toEqual([uuid(3), uuid(4)]);
    expect(t.helm.status.mock.calls).toEqual([[uuid(1), 'dev-session']]);
  });

  it('checks many sessions at once, 16 at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const t = await setup({});
    t.cluster.helmReleaseStatus.mockImplementation(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise(r => setTimeout(r, 5));
      inFlight--;
      return { status: 'deployed', revision: 1 };
    });
    for (let n = 1; n <= 40; n++) await t.insert(uuid(n), 'ready');
    expect(await t.reconciler.reconcile()).toEqual({ checked: 40, changed: 0 });
    expect(t.cluster.helmReleaseStatus).toHaveBeenCalledTimes(40);
    expect(most).toBe(16);
  });

  it('leaves ready and stopped sessions with a deployed (or pending) release and failed ones alone', async () => {
    const t = await setup({
      [uuid(1)]: { status: 'deployed', revision: 3 },
      [uuid(2)]: { status: 'pending-upgrade', revision: 4 },
      [uuid(4)]: { status: 'deployed', revision: 5 },
    });
    await t.insert(uuid(1), 'ready');
    await t.insert(uuid(2), 'ready');
    await t.insert(uuid(3), 'failed');
    await t.insert(uuid(4), 'stopped');
    expect(await t.reconciler.reconcile()).toEqual({ checked: 4, changed: 0 });
    expect((await t.store.get(uuid(1)))!.state).toBe('ready');
    expect((await t.store.get(uuid(2)))!.state).toBe('ready');
    expect((await t.store.get(uuid(4)))!.state).toBe('stopped');
    expect(await t.store.get(uuid(3))).toMatchObject({
      state: 'failed',
      lastError: 'boom',
    });
    expect(t.helm.status).toHaveBeenCalledTimes(3);
    expect(await t.jobs.projects()).toEqual(new Set());
    expect(t.changes).toEqual([]);
  });

  it('skips sessions that have a job: they are the job runner’s', async () => {
    const t = await setup({});
    await t.insert(uuid(1), 'ready'); // release missing, but a job is on it
    await t.insert(uuid(2), 'provisioning');
    await t.insert(uuid(3), 'deleting');
    const jobs = [
      await t.withJob(uuid(1), 'provision'),
      await t.withJob(uuid(2), 'provision'),
      await t.withJob(uuid(3), 'delete'),
    ];
    expect(await t.reconciler.reconcile()).toEqual({ checked: 3, changed: 0 });
    expect((await t.store.get(uuid(1)))!.state).toBe('ready');
    expect(t.helm.status).not.toHaveBeenCalled();
    expect(t.cluster.namespaceOwnership).not.toHaveBeenCalled();
    for (const job of jobs)
      expect(await t.jobs.get(job.projectUuid)).toEqual(job); // untouched
  });

  it('gives provisioning and deleting sessions without a job their job back', async () => {
    const t = await setup({});
    await t.insert(uuid(1), 'provisioning');
    await t.insert(uuid(2), 'deleting');
    expect(await t.reconciler.reconcile()).toEqual({ checked: 2, changed: 2 });
    expect(await t.jobs.get(uuid(1))).toMatchObject({
      kind: 'provision',
      generation: 1,
      owner: undefined,
      timeoutSeconds: 75,
    });
    expect(await t.jobs.get(uuid(2))).toMatchObject({
      kind: 'delete',
      owner: undefined,
      timeoutSeconds: 75,
    });
    // not leased: any replica's poll takes them
    expect((await t.jobs.claimable(10)).map(j => j.projectUuid).sort()).toEqual(
      [uuid(1), uuid(2)],
    );
    // the states are the jobs' business
    expect((await t.store.get(uuid(1)))!.state).toBe('provisioning');
    expect((await t.store.get(uuid(2)))!.state).toBe('deleting');
    expect(t.helm.status).not.toHaveBeenCalled();
    // the next round sees the jobs and changes nothing
    expect(await t.reconciler.reconcile()).toEqual({ checked: 2, changed: 0 });
    expect((await t.jobs.get(uuid(1)))!.generation).toBe(1);
  });

  it('skips everything when the cluster cannot be reached', async () => {
    const t = await setup({});
    t.cluster.checkReachable.mockRejectedValueOnce(
      new Error('Cluster test is not reachable: ECONNREFUSED'),
    );
    await t.insert(uuid(1), 'ready');
    await t.insert(uuid(2), 'provisioning');
    expect(await t.reconciler.reconcile()).toEqual({ checked: 0, changed: 0 });
    expect((await t.store.get(uuid(1)))!.state).toBe('ready');
    expect(await t.jobs.projects()).toEqual(new Set());
    expect(t.helm.status).not.toHaveBeenCalled();
    expect(t.logger.warn).toHaveBeenCalledWith(
      'dev-sessions reconcile skipped: Cluster test is not reachable: ECONNREFUSED',
    );
  });

  it('does nothing without a cluster', async () => {
    const t = await setup({}, { cluster: false });
    await t.insert(uuid(1), 'ready');
    expect(await t.reconciler.reconcile()).toEqual({ checked: 0, changed: 0 });
    expect((await t.store.get(uuid(1)))!.state).toBe('ready');
  });

  it('goes on with the other sessions when one check fails', async () => {
    const t = await setup({});
    t.helm.status.mockRejectedValueOnce(new Error('secrets is forbidden'));
    await t.insert(uuid(1), 'ready');
    await t.insert(uuid(2), 'ready');
    expect(await t.reconciler.reconcile()).toEqual({ checked: 2, changed: 1 });
    const states = [
      (await t.store.get(uuid(1)))!.state,
      (await t.store.get(uuid(2)))!.state,
    ];
    expect(states.sort()).toEqual(['failed', 'ready']);
    expect(t.logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/reconcile of .* failed: secrets is forbidden/),
    );
  });
});
