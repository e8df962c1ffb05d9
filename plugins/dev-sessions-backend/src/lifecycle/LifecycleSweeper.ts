import { LoggerService } from '@backstage/backend-plugin-api';
import { Cluster } from '../cluster/Cluster';
import { Orphan, OrphanStore } from '../database/OrphanStore';
import { SessionStore, StoredSession } from '../database/SessionStore';
import { DevSessionsApi } from '../service/types';
import { LifecycleNotifier } from './LifecycleNotifier';
import { EXPIRABLE_STATES, LifecyclePolicy } from './LifecyclePolicy';

/** What one sweep did. */
export interface SweepResult {
  stopped: string[];
  notified: string[];
  deleted: string[];
  orphans: Orphan[];
  orphansDeleted: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The lifecycle sweep (a scheduled task that runs on one replica at a time): stops sessions
 * idle past `idleStopAfter`, tells owners of coming expiries and deletes expired sessions, and
 * records (and, when allowed, deletes) orphan namespaces. Every change goes through the sessions
 * service with a guard on the last use, so a use that arrives during the sweep keeps its session,
 * and two sweeps at once cannot both act (the state transitions are conditional).
 */
export class LifecycleSweeper {
  constructor(
    private readonly deps: {
      store: SessionStore;
      orphans: OrphanStore;
      service: DevSessionsApi;
      policy: LifecyclePolicy;
      notifier: LifecycleNotifier;
      cluster?: Cluster;
      logger: LoggerService;
    },
  ) {}

  async sweep(now = new Date()): Promise<SweepResult> {
    const stopped = await this.stopIdle(now);
    const { notified, deleted } = await this.expire(now);
    const { orphans, orphansDeleted } = await this.sweepOrphans(now);
    return { stopped, notified, deleted, orphans, orphansDeleted };
  }

  private async each(
    sessions: StoredSession[],
    what: string,
    fn: (s: StoredSession) => Promise<boolean>,
  ): Promise<string[]> {
    const done: string[] = [];
    for (const s of sessions) {
      try {
        if (await fn(s)) done.push(s.projectUuid);
      } catch (e) {
        this.deps.logger.warn(
          `dev-sessions lifecycle: could not ${what} ${s.projectUuid}: ${
            (e as Error).message
          }`,
        );
      }
    }
    return done;
  }

  private async stopIdle(now: Date): Promise<string[]> {
    const { store, policy, service, notifier } = this.deps;
    const idle = policy.settings.idleStopAfterMs;
    if (idle === undefined) return [];
    const due = await store.list({
      states: ['ready'],
      unusedSince: iso(now.getTime() - idle),
    });
    return this.each(due, 'stop the idle session', async s => {
      if (!policy.shouldStop(s, now)) return false;
      const after = await service.setRunning(s.projectUuid, false, {
        notUsedAfter: s.lastActivityAt,
      });
      if (after.state !== 'stopping' && after.state !== 'stopped') return false;
      await notifier.stoppedIdle(s);
      return true;
    });
  }

  private async expire(
    now: Date,
  ): Promise<{ notified: string[]; deleted: string[] }> {
    const { store, policy, service, notifier } = this.deps;
    const { notifyBeforeMs } = policy.settings;
    const candidates = await store.list({
      states: EXPIRABLE_STATES,
      unusedSince: iso(
        now.getTime() - (policy.shortestRetentionMs - notifyBeforeMs),
      ),
    });
    const notified = await this.each(candidates, 'notify', async s => {
      if (!policy.shouldNotify(s, now)) return false;
      if (!(await store.markExpiryNotified(s.projectUuid, now))) return false;
      s.expiryNotifiedAt = now.toISOString();
      await notifier.expiring(s, policy.expiresAt(s)!);
      return true;
    });
    const deleted = await this.each(candidates, 'delete', async s => {
      if (!policy.shouldDelete(s, now)) return false;
      const after = await service.delete(s.projectUuid, {
        notUsedAfter: s.lastActivityAt,
      });
      if (after && after.state !== 'deleting') return false;
      await notifier.expired(s);
      return true;
    });
    return { notified, deleted };
  }

  /**
   * Namespaces labelled as ours with no session (with the Helm releases in them), recorded with
   * when each was first seen; each has `deleteAfter` when `deleteOrphans` is on.
   */
  async findOrphans(
    now = new Date(),
  ): Promise<(Orphan & { deleting: boolean; deleteAfter?: string })[]> {
    const { cluster, store, orphans, policy } = this.deps;
    if (!cluster) return [];
    const namespaces = await cluster.ourNamespaces();
    const known = await store.existing(
      namespaces.flatMap(n => (n.projectUuid ? [n.projectUuid] : [])),
    );
    const found: Omit<Orphan, 'firstSeenAt' | 'lastSeenAt'>[] = [];
    for (const ns of namespaces) {
      if (ns.projectUuid && known.has(ns.projectUuid)) continue;
      found.push({
        namespace: ns.name,
        projectUuid: ns.projectUuid,
        releases: await cluster.helmReleases(ns.name),
      });
    }
    const deleting = new Set(
      namespaces.filter(n => n.deleting).map(n => n.name),
    );
    const { deleteOrphans, orphanGracePeriodMs } = policy.settings;
    return (await orphans.record(found, now)).map(o => ({
      ...o,
      deleting: deleting.has(o.namespace),
      deleteAfter: deleteOrphans
        ? iso(new Date(o.firstSeenAt).getTime() + orphanGracePeriodMs)
        : undefined,
    }));
  }

  private async sweepOrphans(
    now: Date,
  ): Promise<{ orphans: Orphan[]; orphansDeleted: string[] }> {
    const { cluster, store, logger } = this.deps;
    const found = await this.findOrphans(now);
    const orphansDeleted: string[] = [];
    for (const o of found) {
      if (!cluster || !o.deleteAfter || o.deleting) continue;
      if (now.getTime() < new Date(o.deleteAfter).getTime()) continue;
      // a session created for the project meanwhile claims the namespace: leave it
      if (o.projectUuid && (await store.get(o.projectUuid))) continue;
      try {
        const r = await cluster.deleteNamespace(o.namespace, {
          projectUuid: o.projectUuid,
          wait: false,
        });
        if (r !== 'deleted') continue;
        orphansDeleted.push(o.namespace);
        logger.info(
          `dev-sessions lifecycle: deleted orphan namespace ${
            o.namespace
          } (no session since ${o.firstSeenAt}; releases: ${
            o.releases.join(', ') || 'none'
          })`,
        );
      } catch (e) {
        logger.warn(
          `dev-sessions lifecycle: could not delete orphan namespace ${
            o.namespace
          }: ${(e as Error).message}`,
        );
      }
    }
    return { orphans: found, orphansDeleted };
  }
}
