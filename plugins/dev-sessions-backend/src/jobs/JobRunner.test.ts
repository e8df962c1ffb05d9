/*
 * The job runner on a real SQLite store with stubbed Helm, cluster and chart. A short lease
 * (300 ms, renewed every 100 ms) makes the Lease heartbeats happen within the tests.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { DevSessionChange } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Job } from '../database/JobStore';
import { HelmError } from '../helm/Helm';
import {
  newSession,
  recordedEvents,
  sqliteStores,
  storeSession,
} from '../__testUtils__/sessions';
import { deferred, eventually, sleep } from '../__testUtils__/wait';
import { JobRunner, MAX_ATTEMPTS } from './JobRunner';

jest.setTimeout(30_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const LEASE_MS = 300;
const CHART = { kind: 'path', path: '/charts/dev-session' };

async function setup(
  opts: { concurrency?: number; cluster?: boolean; statusCache?: object } = {},
) {
  const { knex, store, jobs } = await sqliteStores(databases);
  const helm = {
    recoverPending: jest.fn(
      async (
        _release: string,
        _ns: string,
        _timeout: number,
        _signal?: AbortSignal,
      ): Promise<string | undefined> => undefined,
    ),
    upgradeInstall: jest.fn(
      async (_o: { signal?: AbortSignal; [k: string]: unknown }) => {},
    ),
    uninstall: jest.fn(
      async (_r: string, _ns: string, _t: number, _s?: AbortSignal) => {},
    ),
    rollback: jest.fn(
      async (_r: string, _ns: string, _t: number, _s?: AbortSignal) => {},
    ),
  };
  const cluster = {
    ensureNamespace: jest.fn(async () => {}),
    namespaceOwnership: jest.fn(
      async (): Promise<{ state: string }> => ({ state: 'owned' }),
    ),
    deleteNamespace: jest.fn(async () => 'deleted'),
    // Helm's storage read in-process: no release by default
    helmReleaseStatus: jest.fn(
      async (
        _ns: string,
        _release: string,
      ): Promise<{ status: string; revision: number } | undefined> => undefined,
    ),
    waitForRollout: jest.fn(
      async (
        _ns: string,
        _release: string,
        _o: { timeoutMs: number; signal?: AbortSignal },
      ) => {},
    ),
  };
  const chart = {
    values: jest.fn(async (spec: any) => ({
      project: { uuid: spec.projectUuid, id: spec.projectId },
      user: { id: spec.owner },
      size: spec.size,
      ...spec.values,
    })),
    source: jest.fn(async () => CHART),
  };
  const { logger, events, changes } = recordedEvents(
    'test-cluster',
    (c): DevSessionChange => c,
  );
  const runner = new JobRunner({
    store,
    jobs,
    chart: chart as any,
    helm: helm as any,
    cluster: opts.cluster === false ? undefined : (cluster as any),
    statusCache: opts.statusCache as any,
    settings: {
      replicaId: 'r1',
      leaseMs: LEASE_MS,
      pollIntervalMs: 1000,
      concurrency: opts.concurrency ?? 4,
      releaseName: 'dev-session',
    },
    logger,
    events,
  });
  // every run ends with a poll: the way to know the runner is done with a job
  const poll = jest.spyOn(runner, 'poll');
  const polled = async (n = 1) => {
    await eventually(() => poll.mock.calls.length >= n, `${n} poll(s)`);
    await poll.mock.results[n - 1].value;
  };

  const insert = (uuid: string, state?: 'ready' | 'failed' | 'deleting') =>
    storeSession(
      store,
      newSession(uuid, {
        component: 'component:default/shop',
        values: {
          containers: { preview: { env: [{ name: 'MODE', value: 'x' }] } },
        },
      }),
      state,
    );

  /** Requests a job leased by this replica (as the service does) and starts it. */
  async function startJob(uuid: string, kind: Job['kind']) {
    const job = await store.transaction(trx =>
      jobs.request(trx, uuid, kind, 60, { owner: 'r1', leaseMs: LEASE_MS }),
    );
    runner.start(job);
    return job;
  }

  /** Stores a session in a state, runs one job of this replica on it to its end. */
  async function runJob(
    uuid: string,
    kind: Job['kind'],
    state?: 'ready' | 'failed' | 'deleting',
  ) {
    await insert(uuid, state);
    await startJob(uuid, kind);
    await polled();
  }

  return {
    knex,
    store,
    jobs,
    helm,
    cluster,
    chart,
    logger,
    changes,
    runner,
    poll,
    polled,
    insert,
    startJob,
    runJob,
  };
}

/** Session A stopped and asked to start (state `starting`), as the service leaves it. */
async function startingSession(t: Awaited<ReturnType<typeof setup>>) {
  await t.insert(A, 'ready');
  for (const step of ['stopRequested', 'stopped', 'startRequested'] as const)
    await t.store.transition(A, step);
}

describe('JobRunner', () => {
  it('provisions: ready, job gone, one upsert event', async () => {
    const t = await setup();
    await t.runJob(A, 'provision');

    const s = await t.store.get(A);
    expect(s).toMatchObject({ state: 'ready', lastError: undefined });
    expect(await t.jobs.get(A)).toBeUndefined();
    expect(t.changes).toEqual([
      {
        type: 'upsert',
        session: expect.objectContaining({
          projectUuid: A,
          state: 'ready',
          cluster: 'test-cluster',
        }),
      },
    ]);
    // the values are built again from the stored request
    expect(t.chart.values).toHaveBeenCalledWith(
      {
        projectUuid: A,
        projectId: 'p',
        owner: 'user:default/jane',
        component: 'component:default/shop',
        size: 'small',
        values: {
          containers: { preview: { env: [{ name: 'MODE', value: 'x' }] } },
        },
      },
      { running: true },
    );
    expect(t.cluster.ensureNamespace).toHaveBeenCalledWith(A, A);
    expect(t.helm.upgradeInstall).toHaveBeenCalledTimes(1);
    const install = t.helm.upgradeInstall.mock.calls[0][0];
    expect(install).toEqual({
      release: 'dev-session',
      namespace: A,
      chart: CHART,
      values: expect.objectContaining({
        project: { uuid: A, id: 'p' },
        user: { id: 'user:default/jane' },
        containers: { preview: { env: [{ name: 'MODE', value: 'x' }] } },
      }),
      timeoutSeconds: 60,
      signal: install.signal,
      wait: false,
    });
    expect(install.signal!.aborted).toBe(false);
    // no Helm --wait: the job waits for the session itself (here: no status cache, so it polls)
    expect(t.cluster.waitForRollout).toHaveBeenCalledWith(A, 'dev-session', {
      timeoutMs: 60_000,
      signal: install.signal,
    });
  });

  it('waits on the status cache’s watch when it is synced, not on polls', async () => {
    const cache = {
      pods: { synced: true },
      waitForReady: jest.fn(
        async (
          _ns: string,
          _uuid: string,
          _o: { timeoutMs: number; signal?: AbortSignal },
        ) => {},
      ),
    };
    const t = await setup({ statusCache: cache });
    await t.runJob(A, 'provision');
    expect((await t.store.get(A))!.state).toBe('ready');
    expect(cache.waitForReady).toHaveBeenCalledWith(A, A, {
      timeoutMs: 60_000,
      signal: t.helm.upgradeInstall.mock.calls[0][0].signal,
    });
    expect(t.cluster.waitForRollout).not.toHaveBeenCalled();
  });

  it.each([
    ['a first install is uninstalled', undefined, 'uninstall'],
    [
      'an upgrade is rolled back',
      { status: 'deployed', revision: 3 },
      'rollback',
    ],
  ] as const)(
    'a create that never gets ready fails the session, and as --atomic would, %s',
    async (_name, before, undo) => {
      const cache = {
        pods: { synced: true },
        waitForReady: jest.fn(async () => {
          throw new Error(
            'timed out after 60 s (pod p Pending, container preview: ImagePullBackOff)',
          );
        }),
      };
      const t = await setup({ statusCache: cache });
      t.cluster.helmReleaseStatus.mockResolvedValueOnce(before);
      await t.runJob(A, 'provision');
      expect(await t.store.get(A)).toMatchObject({
        state: 'failed',
        lastError:
          'helm upgrade --install of dev-session was applied, but the session did not get ready: timed out after 60 s (pod p Pending, container preview: ImagePullBackOff)',
      });
      const other = undo === 'uninstall' ? 'rollback' : 'uninstall';
      expect(t.helm[undo]).toHaveBeenCalledWith(
        'dev-session',
        A,
        120,
        expect.anything(),
      );
      expect(t.helm[other]).not.toHaveBeenCalled();
    },
  );

  it('starts a stopped session: Helm applies running: true without --wait, the job waits for the rollout', async () => {
    const t = await setup();
    await startingSession(t);
    await t.startJob(A, 'start');
    await t.polled();
    expect((await t.store.get(A))!.state).toBe('ready');
    expect(t.chart.values).toHaveBeenCalledWith(expect.anything(), {
      running: true,
    });
    const install = t.helm.upgradeInstall.mock.calls[0][0];
    expect(install.wait).toBe(false);
    expect(t.cluster.waitForRollout).toHaveBeenCalledWith(A, 'dev-session', {
      timeoutMs: 60_000,
      signal: install.signal,
    });
    expect(t.helm.upgradeInstall.mock.invocationCallOrder[0]).toBeLessThan(
      t.cluster.waitForRollout.mock.invocationCallOrder[0],
    );
  });

  it('a start whose pod never gets ready fails the session with what was not ready', async () => {
    const t = await setup();
    await startingSession(t);
    t.cluster.waitForRollout.mockRejectedValueOnce(
      new Error('Not ready after 60 s: Deployment dev-session: 0/1 ready'),
    );
    await t.startJob(A, 'start');
    await t.polled();
    expect(await t.store.get(A)).toMatchObject({
      state: 'failed',
      lastError:
        'helm upgrade --install of dev-session was applied, but the session did not get ready: Not ready after 60 s: Deployment dev-session: 0/1 ready',
    });
    expect(await t.jobs.get(A)).toBeUndefined();
    // scaled back to 0: a session that failed to start keeps no pod running
    expect(t.helm.upgradeInstall).toHaveBeenCalledTimes(2);
    expect(t.chart.values.mock.calls.map(c => (c as any[])[1])).toEqual([
      { running: true },
      { running: false },
    ]);
  });

  it('runs no helm to look for a stuck release: it reads Helm’s storage, and recovers only a pending one', async () => {
    const t = await setup();
    t.cluster.helmReleaseStatus.mockResolvedValueOnce({
      status: 'deployed',
      revision: 2,
    });
    await t.runJob(A, 'provision');
    expect((await t.store.get(A))!.state).toBe('ready');
    expect(t.cluster.helmReleaseStatus).toHaveBeenCalledWith(A, 'dev-session');
    expect(t.helm.recoverPending).not.toHaveBeenCalled();
    expect(t.helm.upgradeInstall).toHaveBeenCalledTimes(1);
  });

  it('recovers a stuck release before installing, with the same signal', async () => {
    const t = await setup();
    t.cluster.helmReleaseStatus.mockResolvedValueOnce({
      status: 'pending-install',
      revision: 1,
    });
    t.helm.recoverPending.mockResolvedValueOnce(
      'uninstalled release dev-session that was stuck in pending-install',
    );
    await t.runJob(A, 'provision');
    expect((await t.store.get(A))!.state).toBe('ready');
    expect(t.helm.recoverPending).toHaveBeenCalledWith(
      'dev-session',
      A,
      60,
      expect.any(AbortSignal),
    );
    expect(t.helm.recoverPending.mock.calls[0][3]).toBe(
      t.helm.upgradeInstall.mock.calls[0][0].signal,
    );
    expect(t.helm.recoverPending.mock.invocationCallOrder[0]).toBeLessThan(
      t.helm.upgradeInstall.mock.invocationCallOrder[0],
    );
    expect(t.cluster.ensureNamespace.mock.invocationCallOrder[0]).toBeLessThan(
      t.helm.recoverPending.mock.invocationCallOrder[0],
    );
    expect(t.logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('stuck in pending-install'),
    );
  });

  it("fails the session with helm's message", async () => {
    const t = await setup();
    const msg = 'helm upgrade exited with 1: Error: context deadline exceeded';
    t.helm.upgradeInstall.mockRejectedValueOnce(
      new HelmError(msg, 'Error: context deadline exceeded', 1),
    );
    await t.runJob(A, 'provision');
    expect(await t.store.get(A)).toMatchObject({
      state: 'failed',
      lastError: msg,
    });
    expect(await t.jobs.get(A)).toBeUndefined();
    expect(t.changes).toEqual([
      {
        type: 'upsert',
        session: expect.objectContaining({ state: 'failed', lastError: msg }),
      },
    ]);
  });

  it('fails the session when the values no longer pass, without running helm', async () => {
    const t = await setup();
    t.chart.values.mockRejectedValueOnce(
      new Error(
        'Invalid values.containers.preview.env: is set by the platform',
      ),
    );
    await t.runJob(A, 'provision');
    expect(await t.store.get(A)).toMatchObject({
      state: 'failed',
      lastError:
        'Invalid values.containers.preview.env: is set by the platform',
    });
    expect(t.helm.upgradeInstall).not.toHaveBeenCalled();
    expect(t.cluster.ensureNamespace).not.toHaveBeenCalled();
  });

  it('fails the session when no cluster is configured', async () => {
    const t = await setup({ cluster: false });
    await t.runJob(A, 'provision');
    expect(await t.store.get(A)).toMatchObject({
      state: 'failed',
      lastError: 'No Kubernetes cluster is configured',
    });
    expect(t.helm.upgradeInstall).not.toHaveBeenCalled();
  });

  it('drops a provision job of a session that is no longer provisioning', async () => {
    const t = await setup();
    await t.runJob(A, 'provision', 'ready');
    expect(await t.jobs.get(A)).toBeUndefined();
    expect((await t.store.get(A))!.state).toBe('ready');
    expect(t.helm.upgradeInstall).not.toHaveBeenCalled();
    expect(t.helm.recoverPending).not.toHaveBeenCalled();
  });

  it('does not apply an install superseded by a delete, then runs the delete', async () => {
    const t = await setup();
    const install = deferred();
    t.helm.upgradeInstall.mockImplementationOnce(() => install.promise);
    let seenByUninstall: unknown;
    t.helm.uninstall.mockImplementationOnce(async () => {
      seenByUninstall = {
        session: (await t.store.get(A))?.state,
        job: await t.jobs.get(A),
      };
    });
    await t.insert(A);
    const first = await t.startJob(A, 'provision');
    await eventually(() => t.helm.upgradeInstall.mock.calls.length, 'install');

    // a delete arrives while Helm installs (as DevSessionsService.delete stores it)
    const del = await t.store.transaction(async trx => {
      expect(await t.store.transition(A, 'deleteRequested', {}, trx)).toBe(
        true,
      );
      return t.jobs.request(trx, A, 'delete', 45, {
        owner: 'r2',
        leaseMs: LEASE_MS,
      });
    });
    expect(del).toMatchObject({
      kind: 'delete',
      generation: first.generation + 1,
      owner: 'r1', // the install run keeps the lease
    });
    // the install run keeps renewing its lease; nobody runs the delete meanwhile
    await sleep(LEASE_MS * 2);
    expect((await t.jobs.get(A))!.leaseExpiresAt).toBeGreaterThan(Date.now());
    expect(t.helm.uninstall).not.toHaveBeenCalled();

    install.resolve();
    await eventually(async () => !(await t.store.get(A)), 'the row to go');
    await t.polled(2);

    expect(t.helm.uninstall).toHaveBeenCalledTimes(1);
    expect(t.helm.uninstall).toHaveBeenCalledWith(
      'dev-session',
      A,
      45,
      expect.any(AbortSignal),
    );
    // released by the install run, claimed again by the poll for the delete
    expect(seenByUninstall).toEqual({
      session: 'deleting',
      job: expect.objectContaining({
        kind: 'delete',
        owner: 'r1',
        attempts: 1,
        generation: del.generation,
      }),
    });
    expect(t.cluster.deleteNamespace).toHaveBeenCalledWith(A, {
      projectUuid: A,
    });
    expect(await t.jobs.get(A)).toBeUndefined();
    // the install's outcome (ready) was never stored nor announced
    expect(t.changes).toEqual([
      {
        type: 'delete',
        projectUuid: A,
        entityRef: expect.stringContaining(A),
      },
    ]);
  });

  it('deletes: uninstalls in an owned namespace, deletes it, removes row and job', async () => {
    const t = await setup();
    await t.runJob(A, 'delete', 'deleting');
    expect(await t.store.get(A)).toBeUndefined();
    expect(await t.jobs.get(A)).toBeUndefined();
    expect(t.cluster.namespaceOwnership).toHaveBeenCalledWith(A, A);
    expect(t.helm.uninstall).toHaveBeenCalledWith(
      'dev-session',
      A,
      60,
      expect.any(AbortSignal),
    );
    expect(t.helm.uninstall.mock.invocationCallOrder[0]).toBeLessThan(
      t.cluster.deleteNamespace.mock.invocationCallOrder[0],
    );
    expect(t.changes).toEqual([
      { type: 'delete', projectUuid: A, entityRef: expect.any(String) },
    ]);
  });

  it.each(['foreign', 'absent'])(
    'never uninstalls in a namespace that is %s',
    async state => {
      const t = await setup();
      t.cluster.namespaceOwnership.mockResolvedValue({ state });
      await t.runJob(A, 'delete', 'deleting');
      expect(t.helm.uninstall).not.toHaveBeenCalled();
      expect(t.cluster.deleteNamespace).toHaveBeenCalledWith(A, {
        projectUuid: A,
      });
      expect(await t.store.get(A)).toBeUndefined();
    },
  );

  it('drops a delete job whose session is gone', async () => {
    const t = await setup();
    await t.startJob(B, 'delete');
    await t.polled();
    expect(await t.jobs.get(B)).toBeUndefined();
    expect(t.helm.uninstall).not.toHaveBeenCalled();
    expect(t.changes).toEqual([]);
  });

  it('keeps a session whose delete failed in deleting, says why, and releases the job with a delay', async () => {
    const t = await setup();
    t.helm.uninstall.mockRejectedValueOnce(
      new Error(
        'helm uninstall timed out after 60s: context deadline exceeded',
      ),
    );
    await t.insert(A, 'deleting');
    const before = Date.now();
    await t.startJob(A, 'delete');
    await t.polled();
    const after = Date.now();
    expect(await t.store.get(A)).toMatchObject({
      state: 'deleting',
      lastError:
        'helm uninstall timed out after 60s: context deadline exceeded',
    });
    const job = await t.jobs.get(A);
    expect(job).toMatchObject({ kind: 'delete', owner: undefined });
    // 10 s for a first failure
    expect(job!.leaseExpiresAt).toBeGreaterThanOrEqual(before + 10_000 - 1);
    expect(job!.leaseExpiresAt).toBeLessThanOrEqual(after + 10_000);
    expect(await t.jobs.claimable(10)).toEqual([]);
    expect(t.cluster.deleteNamespace).not.toHaveBeenCalled();
    expect(t.changes).toEqual([
      {
        type: 'upsert',
        session: expect.objectContaining({
          state: 'deleting',
          lastError: expect.stringContaining('helm uninstall timed out'),
        }),
      },
    ]);
  });

  it.each([
    [2, 40_000],
    [5, 300_000],
    [9, 300_000],
  ])(
    'backs off a failing delete claimed %i times by %i ms',
    async (attempts, delay) => {
      const t = await setup();
      t.cluster.deleteNamespace.mockRejectedValueOnce(new Error('api down'));
      await t.insert(A, 'deleting');
      const job = await t.store.transaction(trx =>
        t.jobs.request(trx, A, 'delete', 60, {
          owner: 'r1',
          leaseMs: LEASE_MS,
        }),
      );
      const before = Date.now();
      t.runner.start({ ...job, attempts });
      await t.polled();
      const after = Date.now();
      const released = (await t.jobs.get(A))!;
      expect(released.owner).toBeUndefined();
      expect(released.leaseExpiresAt).toBeGreaterThanOrEqual(
        before + delay - 1,
      );
      expect(released.leaseExpiresAt).toBeLessThanOrEqual(after + delay);
      expect((await t.store.get(A))!.lastError).toBe('api down');
    },
  );

  it('claims jobs nobody holds from the poll, counting the attempt', async () => {
    const t = await setup();
    await t.insert(A);
    await t.store.transaction(trx => t.jobs.request(trx, A, 'provision', 60));
    expect(await t.runner.poll()).toBe(1);
    await t.polled(2);
    expect((await t.store.get(A))!.state).toBe('ready');
    expect(t.helm.upgradeInstall).toHaveBeenCalledTimes(1);
  });

  it('runs no more jobs at once than its concurrency', async () => {
    const t = await setup({ concurrency: 1 });
    const install = deferred();
    t.helm.upgradeInstall.mockImplementation(() => install.promise);
    await t.insert(A);
    await t.insert(B);
    await t.store.transaction(async trx => {
      await t.jobs.request(trx, A, 'provision', 60);
      await t.jobs.request(trx, B, 'provision', 60);
    });
    expect(await t.runner.poll()).toBe(1);
    expect(await t.runner.poll()).toBe(0);
    await eventually(() => t.helm.upgradeInstall.mock.calls.length, 'install');
    await sleep(100);
    expect(t.helm.upgradeInstall).toHaveBeenCalledTimes(1);
    install.resolve();
    // the finished run's poll takes the other one
    await eventually(
      async () =>
        (await t.store.get(A))!.state === 'ready' &&
        (await t.store.get(B))!.state === 'ready',
      'both ready',
    );
    expect(t.helm.upgradeInstall).toHaveBeenCalledTimes(2);
  });

  it(`fails a session whose provision job was claimed more than ${MAX_ATTEMPTS} times`, async () => {
    const t = await setup();
    await t.insert(A);
    await t.store.transaction(trx => t.jobs.request(trx, A, 'provision', 60));
    await t
      .knex('dev_session_jobs')
      .where({ project_uuid: A })
      .update({ attempts: MAX_ATTEMPTS });
    expect(await t.runner.poll()).toBe(1);
    await t.polled(2);
    expect(await t.store.get(A)).toMatchObject({
      state: 'failed',
      lastError: expect.stringMatching(
        new RegExp(`^Provisioning was interrupted ${MAX_ATTEMPTS} times`),
      ),
    });
    expect(await t.jobs.get(A)).toBeUndefined();
    expect(t.helm.upgradeInstall).not.toHaveBeenCalled();
    expect(t.helm.recoverPending).not.toHaveBeenCalled();
  });

  it(`still runs a provision job claimed ${MAX_ATTEMPTS} times`, async () => {
    const t = await setup();
    await t.insert(A);
    await t.store.transaction(trx => t.jobs.request(trx, A, 'provision', 60));
    await t
      .knex('dev_session_jobs')
      .where({ project_uuid: A })
      .update({ attempts: MAX_ATTEMPTS - 1 });
    expect(await t.runner.poll()).toBe(1);
    await t.polled(2);
    expect((await t.store.get(A))!.state).toBe('ready');
    expect(t.helm.upgradeInstall).toHaveBeenCalledTimes(1);
  });

  it('stops Helm when another replica took the lease, and writes nothing', async () => {
    const t = await setup();
    t.helm.upgradeInstall.mockImplementationOnce(
      ({ signal }) =>
        new Promise((_resolve, reject) =>
          signal!.addEventListener('abort', () =>
            reject(
              new HelmError(
                'helm upgrade was stopped: the job lost its lease',
                '',
                -1,
              ),
            ),
          ),
        ),
    );
    await t.insert(A);
    const job = await t.startJob(A, 'provision');
    await eventually(() => t.helm.upgradeInstall.mock.calls.length, 'install');
    const signal = t.helm.upgradeInstall.mock.calls[0][0].signal!;
    expect(signal.aborted).toBe(false);

    const taken = Date.now() + 60_000;
    await t
      .knex('dev_session_jobs')
      .where({ project_uuid: A })
      .update({ owner: 'r2', lease_expires_at: taken });
    await eventually(() => signal.aborted, 'the abort');
    await t.polled();

    expect(await t.store.get(A)).toMatchObject({
      state: 'provisioning',
      lastError: undefined,
    });
    expect(await t.jobs.get(A)).toMatchObject({
      owner: 'r2',
      generation: job.generation,
      leaseExpiresAt: taken,
    });
    expect(t.changes).toEqual([]);
    expect(t.logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        `Lost the lease of the provision job of project ${A}`,
      ),
    );
  });

  it('writes nothing when a run that lost its lease finishes anyway', async () => {
    const t = await setup();
    const install = deferred();
    t.helm.upgradeInstall.mockImplementationOnce(() => install.promise);
    await t.insert(A);
    await t.startJob(A, 'provision');
    await eventually(() => t.helm.upgradeInstall.mock.calls.length, 'install');
    const signal = t.helm.upgradeInstall.mock.calls[0][0].signal!;
    await t
      .knex('dev_session_jobs')
      .where({ project_uuid: A })
      .update({ owner: 'r2', lease_expires_at: Date.now() + 60_000 });
    await eventually(() => signal.aborted, 'the abort');
    install.resolve();
    await t.polled();
    expect((await t.store.get(A))!.state).toBe('provisioning');
    expect(await t.jobs.get(A)).toMatchObject({ owner: 'r2' });
    expect(t.changes).toEqual([]);
  });

  it('stops an uninstall when another replica took the lease, and writes nothing', async () => {
    const t = await setup();
    t.helm.uninstall.mockImplementationOnce(
      (_r, _n, _t, signal) =>
        new Promise((_resolve, reject) =>
          signal!.addEventListener('abort', () =>
            reject(new Error('helm uninstall was stopped')),
          ),
        ),
    );
    await t.insert(A, 'deleting');
    await t.startJob(A, 'delete');
    await eventually(() => t.helm.uninstall.mock.calls.length, 'uninstall');
    await t
      .knex('dev_session_jobs')
      .where({ project_uuid: A })
      .update({ owner: 'r2', lease_expires_at: Date.now() + 60_000 });
    await t.polled();
    expect(t.helm.uninstall.mock.calls[0][3]!.aborted).toBe(true);
    expect(await t.store.get(A)).toMatchObject({
      state: 'deleting',
      lastError: undefined,
    });
    expect(await t.jobs.get(A)).toMatchObject({ owner: 'r2' });
    expect(t.cluster.deleteNamespace).not.toHaveBeenCalled();
    expect(t.changes).toEqual([]);
  });
});
