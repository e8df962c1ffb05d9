import { LoggerService } from '@backstage/backend-plugin-api';
import { Cluster } from '../cluster/Cluster';
import { JobStore } from '../database/JobStore';
import { JOB_OF_STATE } from '../lifecycle/transitions';
import { SessionStore, StoredSession } from '../database/SessionStore';
import { Helm } from '../helm/Helm';
import { SessionEvents } from '../service/SessionEvents';

/**
 * Corrects stored state from the cluster, on one replica at a time (a global scheduled task):
 * a ready or stopped session whose namespace or Helm release vanished (or whose release failed)
 * becomes `failed` with the reason; a busy session
 * (provisioning, deleting, stopping, starting) without its job gets the job again. Sessions
 * with a job are the job's business and are left alone.
 */
export class Reconciler {
  constructor(
    private readonly deps: {
      store: SessionStore;
      jobs: JobStore;
      helm: Helm;
      cluster?: Cluster;
      logger: LoggerService;
      events: SessionEvents;
      timeoutSeconds: number;
    },
  ) {}

  async reconcile(): Promise<{ checked: number; changed: number }> {
    const { cluster, store, jobs, logger } = this.deps;
    if (!cluster) return { checked: 0, changed: 0 };
    try {
      await cluster.checkReachable();
    } catch (e) {
      logger.warn(`dev-sessions reconcile skipped: ${(e as Error).message}`);
      return { checked: 0, changed: 0 };
    }
    const sessions = await store.list();
    const busy = await jobs.projects();
    let changed = 0;
    for (const s of sessions) {
      if (busy.has(s.projectUuid)) continue;
      try {
        if (await this.check(s, cluster)) changed++;
      } catch (e) {
        logger.warn(
          `dev-sessions reconcile of ${s.projectUuid} failed: ${
            (e as Error).message
          }`,
        );
      }
    }
    return { checked: sessions.length, changed };
  }

  /** Returns true when the session was corrected. */
  private async check(s: StoredSession, cluster: Cluster): Promise<boolean> {
    const { store, jobs, helm, events, timeoutSeconds } = this.deps;
    // a busy session without its job (lost before this code kept jobs): queue the job again
    const kind = JOB_OF_STATE[s.state];
    if (kind) {
      await store.transaction(trx =>
        jobs.request(trx, s.projectUuid, kind, timeoutSeconds),
      );
      return true;
    }
    // a stopped session keeps its release (scaled to 0): losing it loses the workspace too
    if (s.state !== 'ready' && s.state !== 'stopped') return false;
    const own = await cluster.namespaceOwnership(s.namespace, s.projectUuid);
    const release =
      own.state === 'owned'
        ? await helm.status(s.releaseName, s.namespace)
        : undefined;
    if (release && !['failed', 'uninstalled'].includes(release.status))
      return false;
    const why = release
      ? `Helm release is ${release.status}`
      : 'Helm release not found in the cluster';
    const ok = await store.transition(s.projectUuid, 'releaseLost', {
      lastError: `${why} (found by reconcile)`,
    });
    if (ok) events.upserted(await store.get(s.projectUuid));
    return ok;
  }
}
