import { Config } from '@backstage/config';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DevSessionContainerStatus,
  DevSessionEvent,
  DevSessionPodCondition,
  DevSessionRole,
  DEV_SESSION_ROLES,
  LABEL_DEV_SESSION_PROJECT_UUID,
} from '@internal/backstage-plugin-dev-sessions-common';

/** The Kubernetes cluster sessions run on, and how it was found. */
export interface ClusterTarget {
  name: string;
  source: string;
  kc: k8s.KubeConfig;
  /** A kubeconfig file for helm (the configured file, or a private temporary copy). */
  kubeconfigPath: () => string;
}

function findLocalKubeconfig(): string | undefined {
  let dir = process.cwd();
  for (;;) {
    const candidate = path.join(dir, '.cluster', 'kubeconfig');
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function fromFile(file: string, source: string, context?: string): ClusterTarget {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  if (context) kc.setCurrentContext(context);
  const name = kc.getCurrentCluster()?.name ?? kc.getCurrentContext();
  return { name, source, kc, kubeconfigPath: () => file };
}

/**
 * Resolves the cluster: devSessions.cluster.kubeconfig, then a `config` cluster of
 * kubernetes.clusterLocatorMethods (the Kubernetes plugin's shape), then KUBECONFIG, then the
 * repository's local cluster (.cluster/kubeconfig).
 */
export function resolveCluster(config: Config): ClusterTarget | undefined {
  const own = config.getOptionalConfig('devSessions.cluster');
  const file = own?.getOptionalString('kubeconfig');
  if (file) return fromFile(file, 'devSessions.cluster.kubeconfig', own?.getOptionalString('context'));

  const wanted = own?.getOptionalString('name');
  const methods = config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  for (const m of methods) {
    if (m.getString('type') !== 'config') continue;
    for (const c of m.getOptionalConfigArray('clusters') ?? []) {
      const name = c.getString('name');
      if (wanted && name !== wanted) continue;
      const authProvider = c.getOptionalString('authProvider') ?? 'serviceAccount';
      if (authProvider !== 'serviceAccount') {
        throw new Error(`devSessions: cluster "${name}" uses authProvider "${authProvider}"; only serviceAccount is supported`);
      }
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [{
          name,
          server: c.getString('url'),
          caData: c.getOptionalString('caData'),
          skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
        }],
        users: [{ name: 'dev-sessions', token: c.getOptionalString('serviceAccountToken') }],
        contexts: [{ name, cluster: name, user: 'dev-sessions' }],
        currentContext: name,
      });
      let tmp: string | undefined;
      return {
        name,
        source: 'kubernetes.clusterLocatorMethods',
        kc,
        kubeconfigPath: () => {
          if (!tmp) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-sessions-kube-'));
            tmp = path.join(dir, 'kubeconfig');
            fs.writeFileSync(tmp, kc.exportConfig(), { mode: 0o600 });
          }
          return tmp;
        },
      };
    }
  }
  if (wanted) throw new Error(`devSessions.cluster.name "${wanted}" is not a config cluster in kubernetes.clusterLocatorMethods`);

  if (process.env.KUBECONFIG && fs.existsSync(process.env.KUBECONFIG.split(path.delimiter)[0])) {
    return fromFile(process.env.KUBECONFIG.split(path.delimiter)[0], 'KUBECONFIG');
  }
  const local = findLocalKubeconfig();
  return local ? fromFile(local, 'local cluster') : undefined;
}

function isApiException(e: unknown): e is { code: number; body?: unknown } {
  return typeof e === 'object' && e !== null && typeof (e as any).code === 'number' && (e as any).code >= 100;
}

/** Live state of one project's pod, read with @kubernetes/client-node (never kubectl). */
export interface PodSnapshot {
  pod?: { name: string; phase: string; conditions: DevSessionPodCondition[]; startTime?: string };
  containers: DevSessionContainerStatus[];
  events: DevSessionEvent[];
}

/** Kubernetes operations of the sessions service. Errors reaching the cluster become 503s. */
export class Cluster {
  private readonly core: k8s.CoreV1Api;

  constructor(readonly target: ClusterTarget) {
    this.core = target.kc.makeApiClient(k8s.CoreV1Api);
  }

  get name() {
    return this.target.name;
  }

  private unreachable(e: unknown): never {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ServiceUnavailableError(
      `Kubernetes cluster "${this.name}" (${this.target.source}) is unreachable: ${detail.split('\n')[0]}`,
    );
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isApiException(e)) throw e;
      return this.unreachable(e);
    }
  }

  /** Throws 503 naming the cluster when the API server does not answer. */
  async checkReachable(): Promise<void> {
    await this.call(() => this.target.kc.makeApiClient(k8s.VersionApi).getCode());
  }

  /** Creates the project namespace with its labels; fine when it exists (labels are patched). */
  async ensureNamespace(namespace: string, projectUuid: string): Promise<void> {
    const labels = {
      'app.kubernetes.io/managed-by': 'backstage-dev-sessions',
      [LABEL_DEV_SESSION_PROJECT_UUID]: projectUuid,
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    };
    try {
      await this.call(() => this.core.createNamespace({ body: { metadata: { name: namespace, labels } } }));
    } catch (e) {
      if (!isApiException(e) || e.code !== 409) throw e;
      const existing = await this.call(() => this.core.readNamespace({ name: namespace }));
      if (existing.metadata?.deletionTimestamp) {
        throw new ServiceUnavailableError(`Namespace ${namespace} is still being deleted; try again shortly`);
      }
      await this.call(() =>
        this.core.patchNamespace(
          { name: namespace, body: { metadata: { labels } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        ),
      );
    }
  }

  /** Deletes the namespace and waits until it is gone (up to timeoutMs); fine when absent. */
  async deleteNamespace(namespace: string, timeoutMs = 120_000): Promise<void> {
    try {
      await this.call(() => this.core.deleteNamespace({ name: namespace }));
    } catch (e) {
      if (isApiException(e) && e.code === 404) return;
      throw e;
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.call(() => this.core.readNamespace({ name: namespace }));
      } catch (e) {
        if (isApiException(e) && e.code === 404) return;
        throw e;
      }
      await new Promise(r => setTimeout(r, 500));
    }
    throw new ServiceUnavailableError(`Namespace ${namespace} was not deleted within ${timeoutMs / 1000}s`);
  }

  async namespaceExists(namespace: string): Promise<boolean> {
    try {
      await this.call(() => this.core.readNamespace({ name: namespace }));
      return true;
    } catch (e) {
      if (isApiException(e) && e.code === 404) return false;
      throw e;
    }
  }

  /** The session's pod (newest first), containers and recent events. */
  async snapshot(namespace: string, projectUuid: string): Promise<PodSnapshot> {
    const selector = `${LABEL_DEV_SESSION_PROJECT_UUID}=${projectUuid},app.kubernetes.io/component=session`;
    let pods: k8s.V1PodList;
    try {
      pods = await this.call(() => this.core.listNamespacedPod({ namespace, labelSelector: selector }));
    } catch (e) {
      if (isApiException(e) && e.code === 404) throw new NotFoundError(`Namespace ${namespace} does not exist`);
      throw e;
    }
    const events = await this.call(() => this.core.listNamespacedEvent({ namespace }));
    const sorted = [...pods.items]
      .filter(p => !p.metadata?.deletionTimestamp)
      .sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')));
    const pod = sorted[0];
    const containers: DevSessionContainerStatus[] = (pod?.spec?.containers ?? []).map(c => {
      const s = pod?.status?.containerStatuses?.find(cs => cs.name === c.name);
      const role = (DEV_SESSION_ROLES as readonly string[]).includes(c.name) ? (c.name as DevSessionRole) : undefined;
      const state = s?.state?.running ? 'running' : s?.state?.waiting ? 'waiting' : s?.state?.terminated ? 'terminated' : 'unknown';
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
    const toTime = (t: unknown) => (t instanceof Date ? t.toISOString() : t ? String(t) : undefined);
    return {
      pod: pod && {
        name: pod.metadata!.name!,
        phase: pod.status?.phase ?? 'Unknown',
        conditions: (pod.status?.conditions ?? []).map(c => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
        startTime: toTime(pod.status?.startTime),
      },
      containers,
      events: events.items
        .map(e => ({
          type: e.type ?? 'Normal',
          reason: e.reason ?? '',
          message: e.message ?? '',
          object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
          count: e.count ?? 1,
          lastTimestamp: toTime(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp),
        }))
        .sort((a, b) => String(b.lastTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? '')))
        .slice(0, 20),
    };
  }
}
