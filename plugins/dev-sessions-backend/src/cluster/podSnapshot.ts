import {
  DevSessionContainerStatus,
  DevSessionRole,
  DevSessionStatus,
  DEV_SESSION_ROLES,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import * as k8s from '@kubernetes/client-node';

/**
 * Live state of one project's pod, read with @kubernetes/client-node (never kubectl): the part of
 * a session's status that comes from its pod.
 */
export type PodSnapshot = Pick<
  DevSessionStatus,
  'pod' | 'containers' | 'events'
>;

/** The newest live pod of a session, its containers by role, and its 20 latest events. */
export function toPodSnapshot(
  pods: k8s.V1Pod[],
  events: k8s.CoreV1Event[],
): PodSnapshot {
  const sorted = [...pods]
    .filter(p => !p.metadata?.deletionTimestamp)
    .sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(
        String(a.metadata?.creationTimestamp ?? ''),
      ),
    );
  const pod = sorted[0];
  const containers: DevSessionContainerStatus[] = (
    pod?.spec?.containers ?? []
  ).map(c => {
    const s = pod?.status?.containerStatuses?.find(cs => cs.name === c.name);
    const role = (DEV_SESSION_ROLES as readonly string[]).includes(c.name)
      ? (c.name as DevSessionRole)
      : undefined;
    const state =
      (['running', 'waiting', 'terminated'] as const).find(
        k => s?.state?.[k],
      ) ?? 'unknown';
    return {
      name: c.name,
      role,
      ready: s?.ready ?? false,
      restartCount: s?.restartCount ?? 0,
      state,
      reason: s?.state?.waiting?.reason ?? s?.state?.terminated?.reason,
      message: s?.state?.waiting?.message ?? s?.state?.terminated?.message,
      lastTerminationReason: s?.lastState?.terminated?.reason,
    };
  });
  const toTime = (t: unknown) => {
    if (t instanceof Date) return t.toISOString();
    return t ? String(t) : undefined;
  };
  return {
    pod: pod && {
      name: pod.metadata!.name!,
      phase: pod.status?.phase ?? 'Unknown',
      conditions: (pod.status?.conditions ?? []).map(c => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: c.message,
      })),
      startTime: toTime(pod.status?.startTime),
    },
    containers,
    events: events
      .map(e => ({
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
        count: e.count ?? 1,
        lastTimestamp: toTime(
          e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp,
        ),
      }))
      .sort((a, b) =>
        String(b.lastTimestamp ?? '').localeCompare(
          String(a.lastTimestamp ?? ''),
        ),
      )
      .slice(0, 20),
  };
}
