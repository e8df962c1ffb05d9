import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { SessionChart } from '../chart/SessionChart';
import { Cluster } from '../cluster/Cluster';
import { JobSettings } from '../config/settings';
import { DevSessionState } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Job, JobKind, JobStore } from '../database/JobStore';
import { SessionStore, specOf, StoredSession } from '../database/SessionStore';
import { Helm } from '../helm/Helm';
import { ActivityTokens } from '../lifecycle/ActivityTokens';
import { TransitionName } from '../lifecycle/transitions';
import { SessionEvents } from '../service/SessionEvents';
import { StatusCache } from '../status/StatusCache';
import { Lease } from './Lease';

/**
 * The Helm upgrades a job runs, by kind: the state the session must be in, whether the session
 * runs afterwards (the chart's `running`: stopped is 0 replicas, the volumes stay) and the
 * transitions of success and failure.
 */
const RUNS = {
  provision: {
    state: 'provisioning',
    running: true,
    done: 'ready',
    succeeded: 'provisioned',
    failed: 'provisionFailed',
  },
  start: {
    state: 'starting',
    running: true,
    done: 'ready',
    succeeded: 'started',
    failed: 'stopFailed',
  },
  stop: {
    state: 'stopping',
    running: false,
    done: 'stopped',
    succeeded: 'stopped',
    failed: 'stopFailed',
  },
} as const satisfies Record<
  Exclude<JobKind, 'delete'>,
  {
    state: DevSessionState;
    running: boolean;
    done: string;
    succeeded: TransitionName;
    failed: TransitionName;
  }
>;

/** A provision job claimed this often (its runners kept dying) fails the session. */
export const MAX_ATTEMPTS = 3;

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 4000);
}

/**
 * Runs the durable jobs on this replica: the ones it creates itself (at once) and the ones it
 * claims from the database because nobody holds them (a replica died, or a run finished and a
 * newer request is waiting). The database is the only source of truth; `running` only limits
 * how many jobs this replica runs at once.
 */
export class JobRunner {
  private readonly running = new Set<string>();

  constructor(
    private readonly deps: {
      store: SessionStore;
      jobs: JobStore;
      chart: SessionChart;
      helm: Helm;
      cluster?: Cluster;
      settings: JobSettings & { releaseName: string };
      logger: LoggerService;
      events: SessionEvents;
      /** The sessions' heartbeat Secrets, made before Helm runs. */
      activity?: ActivityTokens;
      /** Pods from the cluster-wide watch: a create or start waits on it, not on polls. */
      statusCache?: StatusCache;
    },
  ) {}

  get replicaId(): string {
    return this.deps.settings.replicaId;
  }

  get leaseMs(): number {
    return this.deps.settings.leaseMs;
  }

  /** Claims and starts the jobs nobody holds, up to this replica's concurrency. */
  async poll(): Promise<number> {
    const { concurrency, replicaId, leaseMs } = this.deps.settings;
    const free = concurrency - this.running.size;
    if (free <= 0) return 0;
    let started = 0;
    for (const candidate of await this.deps.jobs.claimable(free)) {
      if (this.running.has(candidate.projectUuid)) continue;
      const job = await this.deps.jobs.claim(
        candidate.projectUuid,
        replicaId,
        leaseMs,
      );
      if (job) {
        this.start(job);
        started++;
      }
    }
    return started;
  }

  /**
   * Runs a job this replica holds, in the background. When this replica is still running an
   * earlier generation of the project's job (a delete that arrived during the install), that run
   * finishes first, finds its generation superseded, releases the job and polls: the new work
   * starts right after it, never beside it.
   */
  start(job: Job): void {
    if (this.running.has(job.projectUuid)) return;
    this.running.add(job.projectUuid);
    this.run(job)
      .catch(e =>
        this.deps.logger.error(
          `The ${job.kind} job of project ${
            job.projectUuid
          } failed unexpectedly: ${message(e)}`,
        ),
      )
      .finally(() => {
        this.running.delete(job.projectUuid);
        // a request that arrived during this run (e.g. delete during an install) is next
        this.poll().catch(() => undefined);
      });
  }

  private async run(job: Job): Promise<void> {
    const { jobs, logger } = this.deps;
    const { replicaId, leaseMs } = this.deps.settings;
    const lease = new Lease(job, jobs, replicaId, leaseMs, logger);
    try {
      if (job.kind === 'delete') await this.remove(job, lease.signal);
      else await this.provision(job, lease.signal);
    } finally {
      lease.stop();
    }
  }

  private requireCluster(): Cluster {
    if (!this.deps.cluster)
      throw new ServiceUnavailableError('No Kubernetes cluster is configured');
    return this.deps.cluster;
  }

  /** Applies the outcome of a provision run, unless a newer request superseded it. */
  private async settle(
    job: Job,
    outcome?: { transition: TransitionName; lastError: string | null },
  ) {
    const { store, jobs, events, settings } = this.deps;
    const done = await store.transaction(async trx => {
      if (!(await jobs.complete(trx, job, settings.replicaId))) return false;
      if (outcome) {
        const { transition, lastError } = outcome;
        await store.transition(job.projectUuid, transition, { lastError }, trx);
      }
      return true;
    });
    if (done) events.upserted(await store.get(job.projectUuid));
    else await jobs.release(job.projectUuid, settings.replicaId);
  }

  private async provision(job: Job, signal: AbortSignal): Promise<void> {
    const { store, chart, helm, logger } = this.deps;
    const uuid = job.projectUuid;
    const s = await store.get(uuid);
    const run = RUNS[job.kind as keyof typeof RUNS];
    if (!s || s.state !== run.state) {
      // nothing to provision any more (the session moved on); drop this generation
      await this.settle(job);
      return;
    }
    if (job.attempts > MAX_ATTEMPTS) {
      await this.settle(job, {
        transition: 'provisionFailed',
        lastError: `Provisioning was interrupted ${MAX_ATTEMPTS} times (the backend replicas running it stopped); create again to retry`,
      });
      return;
    }
    try {
      const cluster = this.requireCluster();
      // the values are built again from the stored request under the platform's current policy
      const { activity } = this.deps;
      const values = await chart.values(specOf(s), {
        running: run.running,
        activitySecret: activity?.secretName,
      });
      await cluster.ensureNamespace(s.namespace, uuid);
      if (run.running) await activity?.ensure(s);
      // a release left pending by a Helm that died is made workable first; whether it is
      // pending is read from Helm's storage in-process (no helm process on the usual path)
      const current = await cluster.helmReleaseStatus(
        s.namespace,
        s.releaseName,
      );
      const recovered = current?.status.startsWith('pending-')
        ? await helm.recoverPending(
            s.releaseName,
            s.namespace,
            job.timeoutSeconds,
            signal,
          )
        : undefined;
      if (recovered)
        logger.warn(`Dev session of project ${uuid}: ${recovered}`);
      // Create and start: Helm applies the objects and the job waits for the session itself
      // (the status cache's watch says the moment the pod is ready; without it, polling 8x as
      // often as Helm's --wait), instead of Helm's --wait polling every 2 s: a developer waits
      // for exactly this. What --atomic would do on failure the job does (see undo). Stop keeps
      // Helm's --atomic --wait.
      const ownWait = job.kind !== 'stop';
      // what an undo goes back to: the release as it is now (after a recovery, read again)
      const before = recovered
        ? await cluster.helmReleaseStatus(s.namespace, s.releaseName)
        : current;
      await helm.upgradeInstall({
        release: s.releaseName,
        namespace: s.namespace,
        chart: await chart.source(),
        values,
        timeoutSeconds: job.timeoutSeconds,
        signal,
        wait: !ownWait,
      });
      if (ownWait) {
        try {
          await this.waitUntilReady(s, job.timeoutSeconds * 1000, signal);
        } catch (e) {
          if (signal.aborted) throw e;
          await this.undo(job.kind, s, before, signal);
          throw new Error(
            `helm upgrade --install of ${
              s.releaseName
            } was applied, but the session did not get ready: ${message(e)}`,
          );
        }
      }
      logger.info(`Dev session of project ${uuid} is ${run.done}`);
      await this.settle(job, { transition: run.succeeded, lastError: null });
    } catch (e) {
      if (signal.aborted) return; // another replica owns the job now
      logger.warn(`Dev session of project ${uuid} failed: ${message(e)}`);
      await this.settle(job, {
        transition: run.failed,
        lastError: message(e),
      });
    }
  }

  /**
   * Waits until the session's pod is ready: through the status cache's watch when it is synced,
   * else by polling the Deployment.
   */
  private async waitUntilReady(
    s: StoredSession,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { statusCache, cluster } = this.deps;
    const deadline = Date.now() + timeoutMs;
    if (statusCache?.pods.synced) {
      try {
        await statusCache.waitForReady(s.namespace, s.projectUuid, {
          timeoutMs,
          signal,
        });
        return;
      } catch (e) {
        // the cache lost its watch meanwhile: ask the cluster for the rest of the time
        if (signal.aborted || statusCache.pods.synced) throw e;
      }
    }
    await cluster!.waitForRollout(s.namespace, s.releaseName, {
      timeoutMs: Math.max(0, deadline - Date.now()),
      signal,
    });
  }

  /**
   * What Helm's --atomic does after an install that did not get ready, best effort: a first
   * install is uninstalled, an upgrade rolled back to the revision before it; a start that did
   * not get ready is scaled back to 0 (so it keeps no pod outside the per-owner limits and the
   * idle sweep).
   */
  private async undo(
    kind: JobKind,
    s: StoredSession,
    before: { status: string; revision: number } | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const { helm, logger } = this.deps;
    if (kind === 'start') {
      await this.stopAfterFailedStart(s, signal);
      return;
    }
    try {
      if (before && before.status === 'deployed')
        await helm.rollback(s.releaseName, s.namespace, 120, signal);
      else await helm.uninstall(s.releaseName, s.namespace, 120, signal);
    } catch (e) {
      logger.warn(
        `Dev session of project ${
          s.projectUuid
        }: could not undo the install that did not get ready: ${message(e)}`,
      );
    }
  }

  /** Best effort: the release back at `running: false` after a start that did not get ready. */
  private async stopAfterFailedStart(
    s: StoredSession,
    signal: AbortSignal,
  ): Promise<void> {
    const { chart, helm, logger, activity } = this.deps;
    try {
      await helm.upgradeInstall({
        release: s.releaseName,
        namespace: s.namespace,
        chart: await chart.source(),
        values: await chart.values(specOf(s), {
          running: false,
          activitySecret: activity?.secretName,
        }),
        timeoutSeconds: 60,
        signal,
      });
    } catch (e) {
      logger.warn(
        `Dev session of project ${
          s.projectUuid
        }: could not stop it again after a failed start: ${message(e)}`,
      );
    }
  }

  private async remove(job: Job, signal: AbortSignal): Promise<void> {
    const { store, jobs, helm, logger, events, settings } = this.deps;
    const uuid = job.projectUuid;
    const s = await store.get(uuid);
    if (!s) {
      await jobs.remove(uuid);
      return;
    }
    try {
      const cluster = this.requireCluster();
      // only in a namespace that is ours: never uninstall or delete what dev sessions did not make
      const own = await cluster.namespaceOwnership(s.namespace, uuid);
      if (own.state === 'owned' || own.state === 'deleting') {
        await helm.uninstall(
          s.releaseName,
          s.namespace,
          job.timeoutSeconds,
          signal,
        );
      }
      await cluster.deleteNamespace(s.namespace, { projectUuid: uuid });
    } catch (e) {
      if (signal.aborted) return;
      // the session stays `deleting` and says why; the job is tried again after a pause
      logger.warn(`Deleting the dev session of ${uuid} failed: ${message(e)}`);
      await store.recordError(uuid, message(e));
      events.upserted(await store.get(uuid));
      const delay = Math.min(300_000, 10_000 * 2 ** Math.min(job.attempts, 5));
      await jobs.release(uuid, settings.replicaId, delay);
      return;
    }
    const gone = await store.transaction(async trx => {
      if (!(await jobs.complete(trx, job, settings.replicaId))) return false;
      await store.delete(uuid, trx);
      return true;
    });
    if (gone) {
      events.deleted(s);
      logger.info(`Deleted dev session of project ${uuid}`);
    } else await jobs.release(uuid, settings.replicaId);
  }
}
