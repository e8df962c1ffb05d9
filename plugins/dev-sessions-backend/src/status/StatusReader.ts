import { NotFoundError } from '@backstage/errors';
import {
  DevSession,
  DevSessionRole,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Cluster } from '../cluster/Cluster';
import { PodSnapshot } from '../cluster/podSnapshot';

/** Live status of a session: its pod, containers and events, and which links answer. */
export class StatusReader {
  constructor(private readonly cluster: Cluster) {}

  async status(s: DevSession): Promise<DevSessionStatus> {
    let snap: PodSnapshot;
    try {
      snap = await this.cluster.snapshot(s.namespace, s.projectUuid);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      snap = { containers: [], events: [] };
    }
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
