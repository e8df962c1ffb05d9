/*
 * Two replicas of the real dev-sessions backend on one PostgreSQL and the local cluster.
 *
 * Each replica is a minimal real Backstage backend (replica.ts: backend-defaults with the
 * dev-sessions plugin) in its own OS process group, with a short job lease. Helm goes through a
 * recording wrapper (helm-wrapper.cjs) that logs when every helm run started and ended, so the
 * test can prove that no two mutating Helm operations on one release ever overlapped in time —
 * across replicas, and including a run killed with its replica.
 *
 * A: 20 projects created at once, each asked of both replicas at the same time (get-or-create
 *    racing across replicas): one session and one release per project, all ready.
 * B: the replica holding a job's lease is killed (SIGKILL of its process group, as a pod dies)
 *    while its helm install runs; the other replica claims the job once the lease expired,
 *    recovers the interrupted release and finishes: one release, ready.
 *
 * Needs the local cluster (KUBECONFIG, DEV_SESSIONS_HELM) and PostgreSQL: the one of
 * `./dev test` (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING) or, without it, a private
 * one on port 55442 (scripts/postgres.ts). Replica logs, configs and the helm log go to
 * test-results/replicas-<time>/.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Knex } from 'knex';
import {
  clusterEnv,
  helmReleases,
  repoRoot,
  run as runBinary,
  StopWaiting,
  waitFor,
} from '../index';
import {
  prepareRunDir,
  randomDatabasePrefix,
  randomToken,
  Replica,
  RunDir,
  sharedPostgres,
  SharedPostgres,
} from './harness';
import {
  describeOps,
  HelmOp,
  MUTATING,
  overlappingMutations,
  readHelmOps,
} from './helmLog';
import { dropDatabases, jobRow, JobRow, openPluginDb } from './jobsDb';

jest.setTimeout(900_000);

const LEASE_SECONDS = 10;
const POLL_SECONDS = 2;
/** Process scheduling, database round trips and our own polling on top of the lease bound. */
const SLACK_MS = 5_000;
const OWNER = 'group:default/platform-team';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

let postgres: SharedPostgres | undefined;
let run: RunDir;
let prefix: string;
let db: Knex | undefined;
let a: Replica;
let b: Replica;
const projects = new Set<string>();

const killedAt = (): Record<string, number> =>
  Object.fromEntries(
    [a, b].filter(r => r?.killedAt).map(r => [r.id, r.killedAt!]),
  );

const logs = () =>
  [a, b]
    .filter(Boolean)
    .map(r => `--- replica ${r.id} (${r.logFile}) ---\n${r.logTail(30)}`)
    .join('\n');

/** The release's status straight from helm (not through the wrapper), or undefined. */
async function releaseStatus(
  namespace: string,
  release: string,
): Promise<string | undefined> {
  const env = clusterEnv();
  const r = await runBinary(
    env.helm,
    ['status', release, '-n', namespace, '-o', 'json'],
    { env: { KUBECONFIG: env.kubeconfig } },
  );
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout).info?.status;
}

/** Polls GET until every project's session is ready or failed; alternates the replicas asked. */
async function waitSettled(
  uuids: string[],
  timeoutMs: number,
): Promise<Map<string, any>> {
  const settled = new Map<string, any>();
  const deadline = Date.now() + timeoutMs;
  const poll = async (round: number) => {
    const live = [a, b].filter(r => r.alive);
    await Promise.all(
      uuids
        .filter(u => !settled.has(u))
        .map(async (u, i) => {
          const r = live[(i + round) % live.length];
          const res = await r.api('GET', `/projects/${u}/session`);
          if (
            res.status === 200 &&
            ['ready', 'failed'].includes(res.body.state)
          )
            settled.set(u, res.body);
        }),
    );
  };
  for (let round = 0; Date.now() < deadline; round++) {
    await poll(round);
    if (settled.size === uuids.length) break;
    await sleep(1000);
  }
  const missing = uuids.filter(u => !settled.has(u));
  if (missing.length) {
    const states = await Promise.all(
      missing.map(async u => {
        const r = await [a, b]
          .find(x => x.alive)!
          .api('GET', `/projects/${u}/session`);
        return `${u}: ${r.status} ${r.body?.state ?? ''} ${
          r.body?.lastError ?? ''
        }`;
      }),
    );
    throw new Error(
      `${
        missing.length
      } sessions not ready or failed after ${timeoutMs} ms:\n${states.join(
        '\n',
      )}\n${logs()}`,
    );
  }
  return settled;
}

/** The overlapping mutating helm runs among these namespaces, one line per pair. */
function overlaps(namespaces: Set<string>, ops: HelmOp[]): string[] {
  const t0 = ops[0]?.start ?? 0;
  return overlappingMutations(
    ops.filter(o => o.namespace && namespaces.has(o.namespace)),
    killedAt(),
  ).map(
    ([x, y]) =>
      `${x.op.namespace}: ${x.op.replica} ${x.op.sub} [${x.from - t0}, ${
        x.to - t0
      }] (${x.until}) overlaps ${y.op.replica} ${y.op.sub} [${y.from - t0}, ${
        y.to - t0
      }] (${y.until})`,
  );
}

beforeAll(async () => {
  const cluster = clusterEnv();
  postgres = await sharedPostgres();
  run = prepareRunDir(
    path.join(
      repoRoot,
      'test-results',
      `replicas-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    ),
  );
  prefix = randomDatabasePrefix();
  const common = {
    run,
    cluster,
    postgres: postgres.connectionString,
    databasePrefix: prefix,
    token: randomToken(),
    leaseSeconds: LEASE_SECONDS,
    pollIntervalSeconds: POLL_SECONDS,
  };
  // both at once, as a Deployment's pods start. On a fresh database two backends can race on
  // creating knex's migration tables (backend-defaults' public key store, the plugin's own
  // migrations): the loser exits at start-up, and Kubernetes would restart it. So does this
  // test, once, and says so.
  const start = async (id: string) => {
    try {
      return await Replica.start({ ...common, id });
    } catch (e) {
      if (!/already exists/.test(String(e))) throw e;
      console.warn(
        `replica ${id} lost the start-up migration race and is restarted once: ${
          String(e).match(/error: .*already exists/)?.[0]
        }`,
      );
      return Replica.start({ ...common, id });
    }
  };
  const started = await Promise.allSettled([start('a'), start('b')]);
  [a, b] = started.map(s => (s.status === 'fulfilled' ? s.value : undefined!));
  const failed = started.filter(s => s.status === 'rejected');
  if (failed.length)
    throw new Error(
      failed.map(f => String((f as PromiseRejectedResult).reason)).join('\n'),
    );
  db = openPluginDb(postgres.connectionString, prefix);
});

afterAll(async () => {
  try {
    const live = [a, b].find(r => r?.alive);
    if (live) {
      await Promise.all(
        [...projects].map(async u => {
          const del = await live.api(
            'DELETE',
            `/projects/${u}/session?wait=true`,
          );
          if (![202, 204].includes(del.status))
            console.warn(`cleanup: DELETE ${u}: ${del.status}`);
          const deadline = Date.now() + 180_000;
          while (Date.now() < deadline) {
            const g = await live.api('GET', `/projects/${u}/session`);
            if (g.status === 404) return;
            await sleep(1000);
          }
          console.warn(`cleanup: session ${u} still there`);
        }),
      );
    }
  } finally {
    await Promise.all([a, b].filter(Boolean).map(r => r.stop()));
    await db?.destroy();
    if (postgres && prefix)
      await dropDatabases(postgres.connectionString, prefix).catch(e =>
        console.warn(`cleanup: dropping ${prefix}* databases: ${e}`),
      );
    await postgres?.stop();
  }
});

describe('two replicas of the dev-sessions backend on one database', () => {
  it('20 concurrent creates, each sent to both replicas at once: one session and one release per project, all ready, no overlapping Helm mutations', async () => {
    const uuids: string[] = Array.from({ length: 20 }, () => randomUUID());
    uuids.forEach(u => projects.add(u));
    const calls = uuids.flatMap((u, i) => {
      // 10 projects asked of a first and 10 of b first; every project of both at once. (Which
      // replica wins a project's insert is luck: both check the request and render the chart
      // before they store; the test logs how it went.)
      const pair = i < 10 ? [a, b] : [b, a];
      return pair.map(async r => {
        const res = await r.api('PUT', `/projects/${u}/session?wait=false`, {
          projectId: `replicas ${i}`,
          owner: OWNER,
          size: 'small',
        });
        return { u, replica: r.id, ...res };
      });
    });
    const responses = await Promise.all(calls);
    const createdBy = (id: string) =>
      responses.filter(r => r.replica === id && r.status === 201).length;

    for (const u of uuids) {
      const mine = responses.filter(r => r.u === u);
      // get-or-create across replicas: one created it, the other got the same session
      expect({
        u,
        statuses: mine.map(r => r.status).sort(),
        errors: mine.filter(r => r.status >= 300).map(r => r.body),
      }).toEqual({ u, statuses: [200, 201], errors: [] });
      expect(new Set(mine.map(r => r.body.createdAt)).size).toBe(1);
      for (const r of mine)
        expect(['provisioning', 'ready']).toContain(r.body.state);
    }

    const settled = await waitSettled(uuids, 600_000);
    const notReady = [...settled.values()]
      .filter(s => s.state !== 'ready')
      .map(s => `${s.projectUuid}: ${s.state} ${s.lastError ?? ''}`);
    expect(notReady).toEqual([]);

    // exactly one release per project, installed once
    const rels = await Promise.all(
      uuids.map(async u => ({
        u,
        releases: (
          await helmReleases(u)
        ).map(r => [r.name, r.status, r.revision]),
      })),
    );
    for (const r of rels)
      expect(r).toEqual({
        u: r.u,
        releases: [['dev-session', 'deployed', '1']],
      });

    // no project ever had two mutating Helm operations at the same time
    const ops = readHelmOps(run.helmLog);
    expect(overlaps(new Set(uuids), ops)).toEqual([]);
    // and every mutating run the wrapper saw finished (nothing left running or lost)
    const unfinished = ops.filter(
      o =>
        uuids.includes(o.namespace!) &&
        MUTATING.has(o.sub!) &&
        o.end === undefined,
    );
    expect(describeOps(unfinished)).toBe('');
    const upgradesBy = (id: string) =>
      ops.filter(
        o =>
          uuids.includes(o.namespace!) &&
          o.sub === 'upgrade' &&
          o.replica === id,
      ).length;
    console.log(
      `created (201) by a: ${createdBy('a')}, by b: ${createdBy(
        'b',
      )}; helm upgrades run by a: ${upgradesBy('a')}, by b: ${upgradesBy('b')}`,
    );
  });

  it('the lease holder is killed while its helm install runs: the other replica claims the job after the lease, recovers and finishes; one release, no overlapping Helm mutations', async () => {
    const u = randomUUID();
    projects.add(u);
    const put = await a.api('PUT', `/projects/${u}/session?wait=false`, {
      projectId: 'replica killed',
      owner: OWNER,
      size: 'small',
    });
    expect(put.status).toBe(201);
    const release: string = put.body.releaseName ?? 'dev-session';

    // who holds the job's lease (any replica may have claimed it)
    const claimed = await waitForValue(
      'a replica to hold the job of the new session',
      async () => {
        const j = await jobRow(db!, u);
        return j?.owner ? j : undefined;
      },
      60_000,
      100,
    );
    const holder = claimed.owner === a.id ? a : b;
    const survivor = holder === a ? b : a;
    expect([a.id, b.id]).toContain(claimed.owner);
    expect(claimed.kind).toBe('provision');

    // the holder's helm install runs, and has begun changing the cluster (pending-install)
    const upgrade = await waitForValue(
      'the lease holder to run helm upgrade',
      async () =>
        readHelmOps(run.helmLog).find(
          o => o.namespace === u && o.sub === 'upgrade' && o.exec !== undefined,
        ),
      60_000,
      50,
    );
    expect(upgrade.replica).toBe(holder.id);
    const pendingSince = await waitForValue(
      'the release to be pending-install while helm runs',
      async () => {
        const op = readHelmOps(run.helmLog).find(o => o.id === upgrade.id);
        if (op?.end !== undefined)
          throw new StopWaiting(
            `helm upgrade ended (exit ${
              op.exitCode
            }) before the kill: the install is too fast to interrupt\n${describeOps(
              readHelmOps(run.helmLog).filter(o => o.namespace === u),
            )}`,
          );
        return (await releaseStatus(u, release)) === 'pending-install'
          ? Date.now()
          : undefined;
      },
      60_000,
      50,
    );

    // the pod dies: the backend and its helm children, at once
    const killed = await holder.kill();
    expect(
      readHelmOps(run.helmLog).find(o => o.id === upgrade.id)?.end,
    ).toBeUndefined();
    expect(await releaseStatus(u, release)).toBe('pending-install');

    // the lease the dead replica left behind
    await sleep(500);
    const left = await jobRow(db!, u);
    expect(left).toMatchObject({ owner: holder.id, kind: 'provision' });
    const leaseExpiresAt = left!.leaseExpiresAt;
    // a lease is never longer than leaseSeconds ahead of the last heartbeat
    expect(leaseExpiresAt - killed).toBeLessThanOrEqual(
      LEASE_SECONDS * 1000 + SLACK_MS,
    );

    // the survivor claims it within the lease bound (lease + one poll interval + slack)
    const bound = LEASE_SECONDS * 1000 + POLL_SECONDS * 1000 + SLACK_MS;
    const claim = await waitForValue(
      `${survivor.id} to claim the job`,
      async (): Promise<{ at: number; job?: JobRow } | undefined> => {
        const j = await jobRow(db!, u);
        if (!j) return { at: Date.now() };
        return j.owner === survivor.id ? { at: Date.now(), job: j } : undefined;
      },
      bound + 30_000,
      100,
    );
    const survivorOps = () =>
      readHelmOps(run.helmLog).filter(
        o => o.namespace === u && o.replica === survivor.id && o.start > killed,
      );
    const report = () =>
      `killed ${holder.id} at ${
        killed - pendingSince
      } ms after pending-install; lease expired ${
        leaseExpiresAt - killed
      } ms after the kill; claimed ${
        claim.at - killed
      } ms after the kill\n${describeOps(
        readHelmOps(run.helmLog).filter(o => o.namespace === u),
        killed,
      )}`;
    expect({
      claimedWithinBound: claim.at - killed <= bound,
      claimedAfterMs: claim.at - killed,
      boundMs: bound,
      report: report(),
    }).toMatchObject({ claimedWithinBound: true });

    // it finishes: ready (or failed with a clear reason)
    const [final] = [...(await waitSettled([u], 300_000)).values()];
    const rels = (await helmReleases(u)).map(r => [r.name, r.status]);

    // the survivor touched helm only after the lease had expired
    // (same machine, same clock; 250 ms for rounding between Date.now() and the database)
    const mine = survivorOps();
    expect({
      survivorRanHelm: mine.length > 0,
      report: report(),
    }).toMatchObject({
      survivorRanHelm: true,
    });
    expect(Math.min(...mine.map(o => o.start))).toBeGreaterThanOrEqual(
      leaseExpiresAt - 250,
    );

    // ready after recovering the interrupted install (uninstall or rollback, then install), with
    // exactly one release; or, if it failed, failed with a clear reason and no second release
    const outcome = {
      state: final.state,
      lastError: final.lastError,
      survivorMutations: survivorOps()
        .filter(o => MUTATING.has(o.sub!))
        .map(o => `${o.sub}:${o.exitCode}`),
      releases: rels,
      atMostOneRelease: rels.length <= 1,
      report: report(),
    };
    if (final.state === 'failed')
      console.warn(`the recovered session failed: ${final.lastError}`);
    const failedClearly = {
      lastError: expect.stringMatching(/\S.{10,}/),
      atMostOneRelease: true,
    };
    const recovered = {
      state: 'ready',
      survivorMutations: [
        expect.stringMatching(/^(uninstall|rollback):0$/),
        'upgrade:0',
      ],
      releases: [['dev-session', 'deployed']],
    };
    expect(outcome).toMatchObject(
      final.state === 'failed' ? failedClearly : recovered,
    );

    // never two mutating helm runs at once (the killed run lasts until its replica was killed)
    expect(overlaps(new Set([u]), readHelmOps(run.helmLog))).toEqual([]);
    // the timeline, for the record (times in ms from the kill)
    console.log(report());
  });
});

/** waitFor, with the replicas' logs in its error. */
function waitForValue<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs: number,
): Promise<T> {
  return waitFor(what, check, timeoutMs, intervalMs).catch(e => {
    throw new Error(`${e.message}\n${logs()}`);
  });
}
