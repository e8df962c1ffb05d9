import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  DevSession,
  DevSessionLogs,
  DevSessionRole,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import * as k8s from '@kubernetes/client-node';
import { isApiException } from './apiCall';
import { Cluster } from './Cluster';
import { PodSnapshot } from './podSnapshot';

/** At most this much log text is asked of the Kubernetes API (`limitBytes`): 1 MiB. */
export const LOG_LIMIT_BYTES = 1024 * 1024;

/** Which log to read. */
export interface ContainerLogRequest {
  container: DevSessionRole;
  previous: boolean;
  tailLines: number;
}

/** The message of an API error's Status body (or the error's own). */
function apiMessage(e: { body?: unknown; message?: string }): string {
  const body = e.body;
  try {
    const status = typeof body === 'string' ? JSON.parse(body) : body;
    if (typeof status?.message === 'string') return status.message;
  } catch {
    /* not JSON */
  }
  return typeof body === 'string' && body ? body : String(e.message ?? e);
}

/**
 * The log of one container of a session's pod, read through the Kubernetes API (from the
 * kubelet of the pod's node): the last `tailLines` lines, at most LOG_LIMIT_BYTES. 409 in plain
 * language when there is no such log yet (no pod, container not started, no restart for a
 * previous log), 503 when the cluster cannot be reached.
 */
export class ContainerLogs {
  constructor(
    private readonly cluster: Cluster,
    private readonly core: k8s.CoreV1Api = cluster.target.kc.makeApiClient(
      k8s.CoreV1Api,
    ),
  ) {}

  async read(
    session: DevSession,
    request: ContainerLogRequest,
  ): Promise<DevSessionLogs> {
    const { container: role, previous, tailLines } = request;
    let snap: PodSnapshot;
    try {
      snap = await this.cluster.snapshot(
        session.namespace,
        session.projectUuid,
      );
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      snap = { containers: [], events: [] };
    }
    if (!snap.pod) {
      throw new ConflictError(
        session.state === 'stopped' || session.state === 'stopping'
          ? `The dev session of project ${session.projectUuid} is ${session.state}: it has no pod, so there is no ${role} log; start it to read its logs`
          : `The dev session of project ${session.projectUuid} has no pod yet (it is ${session.state}); the ${role} log appears once its pod runs`,
      );
    }
    // the chart names each container by its role (as the status does)
    const c = snap.containers.find(x => x.name === role);
    if (!c)
      throw new ConflictError(
        `The pod ${snap.pod.name} of this dev session has no ${role} container`,
      );
    const restarted = c.restartCount > 0 || c.lastTerminationReason;
    const started = c.state === 'running' || c.state === 'terminated';
    if (!started && !restarted) {
      throw new ConflictError(
        `The ${role} container has not started yet${
          c.reason ? ` (${c.reason})` : ''
        }; its log appears once it runs`,
      );
    }
    if (previous && !restarted) {
      throw new ConflictError(
        `The ${role} container has not restarted, so there is no previous log`,
      );
    }
    let lines = tailLines;
    let text = await this.readLog(
      session.namespace,
      snap.pod.name,
      role,
      previous,
      lines,
    );
    let truncated = Buffer.byteLength(text, 'utf8') >= LOG_LIMIT_BYTES;
    if (truncated) {
      // the kubelet cuts at limitBytes from the start of the tail, which drops the newest lines
      // (where a crash is): ask again for as many of the last lines as fit
      const perLine = LOG_LIMIT_BYTES / Math.max(1, text.split('\n').length);
      lines = Math.max(1, Math.floor((LOG_LIMIT_BYTES * 0.8) / perLine));
      text = await this.readLog(
        session.namespace,
        snap.pod.name,
        role,
        previous,
        lines,
      );
      truncated = Buffer.byteLength(text, 'utf8') >= LOG_LIMIT_BYTES;
    }
    return {
      projectUuid: session.projectUuid,
      container: role,
      pod: snap.pod.name,
      previous,
      tailLines: lines,
      text,
      truncated: truncated || lines < tailLines,
    };
  }

  private async readLog(
    namespace: string,
    pod: string,
    container: DevSessionRole,
    previous: boolean,
    tailLines: number,
  ): Promise<string> {
    try {
      const text = await this.core.readNamespacedPodLog({
        namespace,
        name: pod,
        container,
        previous,
        tailLines,
        limitBytes: LOG_LIMIT_BYTES,
      });
      return typeof text === 'string' ? text : String(text ?? '');
    } catch (e) {
      if (!isApiException(e)) {
        // not an answer of the API server: 503 naming the cluster when it is unreachable
        await this.cluster.checkReachable();
        throw e;
      }
      const message = apiMessage(e as { body?: unknown; message?: string });
      // the pod went away, or the kubelet has no such log (a race with a restart)
      if (e.code === 404 || e.code === 400)
        throw new ConflictError(
          `The ${
            previous ? 'previous ' : ''
          }${container} log of pod ${pod} cannot be read now: ${message}`,
        );
      if (e.code >= 500)
        throw new ServiceUnavailableError(
          `The node of pod ${pod} on cluster "${this.cluster.name}" did not serve the ${container} log: ${message}`,
        );
      throw e;
    }
  }
}
