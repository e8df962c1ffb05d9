import { DevSessionRole } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Cluster } from '../cluster/Cluster';
import { Upstream } from '../cluster/serviceEndpoints';
import { SessionStore } from '../database/SessionStore';

/** Where a request for one role of one session goes, or why it cannot. */
export type Resolution =
  | { upstream: Upstream }
  | { status: 404 | 503; message: string };

/**
 * Resolves a role of a session to a ready server: the session must exist and not be deleting;
 * its role's Service must have a ready endpoint. Answers are kept for a few seconds, so a page
 * loading a hundred files asks the database and the API server once.
 */
export class Upstreams {
  private readonly cache = new Map<
    string,
    { until: number; value: Promise<Resolution> }
  >();

  constructor(
    private readonly deps: {
      store: SessionStore;
      cluster?: Cluster;
      ttlMs?: number;
      clock?: () => number;
    },
  ) {}

  resolve(projectUuid: string, role: DevSessionRole): Promise<Resolution> {
    const now = (this.deps.clock ?? Date.now)();
    const key = `${projectUuid}/${role}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = this.lookup(projectUuid, role);
    this.cache.set(key, { until: now + (this.deps.ttlMs ?? 5000), value });
    // a failure is not kept: the next request asks again
    value.catch(() => {
      if (this.cache.get(key)?.value === value) this.cache.delete(key);
    });
    if (this.cache.size > 10_000) this.cache.clear();
    return value;
  }

  private async lookup(
    projectUuid: string,
    role: DevSessionRole,
  ): Promise<Resolution> {
    const session = await this.deps.store.get(projectUuid);
    if (!session || session.state === 'deleting')
      return {
        status: 404,
        message: `Project ${projectUuid} has no dev session`,
      };
    const target = session.targets[role];
    if (!target)
      return {
        status: 404,
        message: `The dev session of project ${projectUuid} has no ${role}`,
      };
    if (!this.deps.cluster)
      return { status: 503, message: 'No Kubernetes cluster is configured' };
    const ups = await this.deps.cluster.upstreams(
      session.namespace,
      target.service,
      target.port,
    );
    if (!ups.length)
      return {
        status: 503,
        message: `The ${role} of this dev session is not ready (state ${session.state}); try again in a moment`,
      };
    return { upstream: ups[Math.floor(Math.random() * ups.length)] };
  }
}
