import { NotFoundError } from '@backstage/errors';
import {
  DevSession,
  DevSessionRole,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Cluster } from '../cluster/Cluster';
import { PodSnapshot } from '../cluster/podSnapshot';
import { StatusCache } from './StatusCache';

/** How the cluster part of one status was read, and how long it took (for Server-Timing). */
export interface StatusTiming {
  source: 'cache' | 'cluster';
  ms: number;
}

/**
 * Live status of a session: its pod, containers and events, and which links answer. Read from
 * the watch cache when it is synced, else from the cluster (two API calls).
 */
export class StatusReader {
  constructor(
    private readonly cluster: Cluster,
    private readonly cache?: StatusCache,
  ) {}

  async status(
    s: DevSession,
    timing?: (t: StatusTiming) => void,
  ): Promise<DevSessionStatus> {
    const t0 = performance.now();
    let snap = this.cache?.snapshot(s.namespace, s.projectUuid);
    const source = snap ? 'cache' : 'cluster';
    if (!snap) {
      try {
        snap = await this.cluster.snapshot(s.namespace, s.projectUuid);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        snap = { containers: [], events: [] } as PodSnapshot;
      }
    }
    timing?.({ source, ms: performance.now() - t0 });
    const endpoints = {} as DevSessionStatus['endpoints'];
    for (const [role, endpoint] of Object.entries(s.endpoints)) {
      // a role is ready when its container is (the chart names each container by its role)
      const ready = snap.containers.find(c => c.name === role)?.ready ?? false;
      endpoints[role as DevSessionRole] = { ...endpoint, ready };
    }
    return {
      projectUuid: s.projectUuid,
      state: s.state,
      cluster: this.cluster.name,
      clusterReachable: true,
      pod: snap.pod,
      containers: snap.containers,
      events: snap.events,
      endpoints,
      checkedAt: new Date().toISOString(),
    };
  }
}
