import { LoggerService } from '@backstage/backend-plugin-api';
import { Cluster } from '../cluster/Cluster';
import { JobStore } from '../database/JobStore';
import { JOB_OF_STATE } from '../lifecycle/transitions';
import { SessionStore, StoredSession } from '../database/SessionStore';
import { SessionEvents } from '../service/SessionEvents';

/** Release checks in flight at once (API reads of Helm's storage, no processes). */
const CONCURRENCY = 16;

type Namespaces = Map<string, { projectUuid?: string; deleting: boolean }>;

/**
 * Corrects stored state from the cluster, on one replica at a time (a global scheduled task):
 * a ready or stopped session whose namespace or Helm release vanished (or whose release failed)
 * becomes `failed` with the reason; a busy session
 * (provisioning, deleting, stopping, starting) without its job gets the job again. Sessions
 * with a job are the job's business and are left alone.
 *
 * One pass runs no helm process: it lists this installation's namespaces once (by label) and
 * reads each live session's release from Helm's storage Secrets with one API call, 16 at a time.
 * (A single list of every release would need list on Secrets cluster-wide, which the
 * least-privilege RBAC does not grant.)
 */
export class Reconciler {
  constructor(
    private readonly deps: {
      store: SessionStore;
      jobs: JobStore;
      cluster?: Cluster;
      logger: LoggerService;
      events: SessionEvents;
      timeoutSeconds: number;
    },
  ) {}

  async reconcile(): Promise<{ checked: number; changed: number }> {
    const { cluster, store, jobs, logger } = this.deps;
    if (!cluster) return { checked: 0, changed: 0 };
    let namespaces: Namespaces;
    try {
      await cluster.checkReachable();
      namespaces = new Map(
        (await cluster.ourNamespaces()).map(n => [n.name, n]),
      );
    } catch (e) {
      logger.warn(`dev-sessions reconcile skipped: ${(e as Error).message}`);
      return { checked: 0, changed: 0 };
    }
    const sessions = await store.list();
    const busy = await jobs.projects();
    const todo = sessions.filter(s => !busy.has(s.projectUuid));
    let changed = 0;
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const s = todo[next++];
        try {
          if (await this.check(s, cluster, namespaces)) changed++;
        } catch (e) {
          logger.warn(
            `dev-sessions reconcile of ${s.projectUuid} failed: ${
              (e as Error).message
            }`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { checked: sessions.length, changed };
  }

  /** Returns true when the session was corrected. */
  private async check(
    s: StoredSession,
    cluster: Cluster,
    namespaces: Namespaces,
  ): Promise<boolean> {
    const { store, jobs, events, timeoutSeconds } = this.deps;
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
    const listed = namespaces.get(s.namespace);
    let own: string;
    if (listed && listed.projectUuid === s.projectUuid)
      own = listed.deleting ? 'deleting' : 'owned';
    // not in the labelled list (gone, foreign, or made before the instance label): ask
    else
      own = (await cluster.namespaceOwnership(s.namespace, s.projectUuid))
        .state;
    const release =
      own === 'owned'
        ? await cluster.helmReleaseStatus(s.namespace, s.releaseName)
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
