import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import { LABEL_DEV_SESSION_PROJECT_UUID } from '@internal/backstage-plugin-dev-sessions-common';
import { ClusterTarget } from './ClusterTarget';
import { LABEL_MANAGED_BY, MANAGED_BY, notOursReason } from './ownership';
import { PodSnapshot, toPodSnapshot } from './podSnapshot';

function isApiException(e: unknown): e is { code: number; body?: unknown } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as any).code === 'number' &&
    (e as any).code >= 100
  );
}

/** Kubernetes operations of the sessions service. Errors reaching the cluster become 503s. */
export class Cluster {
  private readonly core: k8s.CoreV1Api;
  private readonly rbac: k8s.RbacAuthorizationV1Api;
  private readonly authz: k8s.AuthorizationV1Api;

  constructor(
    readonly target: ClusterTarget,
    private readonly logger?: LoggerService,
  ) {
    this.core = target.kc.makeApiClient(k8s.CoreV1Api);
    this.rbac = target.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    this.authz = target.kc.makeApiClient(k8s.AuthorizationV1Api);
  }

  get name() {
    return this.target.name;
  }

  private unreachable(e: unknown): never {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ServiceUnavailableError(
      `Kubernetes cluster "${this.name}" (${
        this.target.source
      }) is unreachable: ${detail.split('\n')[0]}`,
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
    await this.call(() =>
      this.target.kc.makeApiClient(k8s.VersionApi).getCode(),
    );
  }

  /**
   * Whether the namespace is ours for this project: `absent`, `owned` (our managed-by label and
   * this project's label), `foreign` (anything else; `reason` says why) or `deleting`.
   */
  async namespaceOwnership(
    namespace: string,
    projectUuid: string,
  ): Promise<{
    state: 'absent' | 'owned' | 'foreign' | 'deleting';
    reason?: string;
    namespace?: k8s.V1Namespace;
  }> {
    let ns: k8s.V1Namespace;
    try {
      ns = await this.call(() => this.core.readNamespace({ name: namespace }));
    } catch (e) {
      if (isApiException(e) && e.code === 404) return { state: 'absent' };
      throw e;
    }
    const reason = notOursReason(ns, projectUuid);
    if (reason) return { state: 'foreign', reason, namespace: ns };
    if (ns.metadata?.deletionTimestamp)
      return { state: 'deleting', namespace: ns };
    return { state: 'owned', namespace: ns };
  }

  /**
   * Throws 409 (ConflictError, with the reason) when the namespace exists and is not ours for
   * the project, 503 when it is still being deleted; fine when it is absent or ours. Call it
   * before storing or retrying a session, so the caller gets the 409 at once.
   */
  async assertNamespaceUsable(
    namespace: string,
    projectUuid: string,
  ): Promise<void> {
    const own = await this.namespaceOwnership(namespace, projectUuid);
    if (own.namespace?.metadata?.deletionTimestamp) {
      throw new ServiceUnavailableError(
        `Namespace ${namespace} is still being deleted; try again shortly`,
      );
    }
    if (own.state === 'foreign') {
      throw new ConflictError(
        `Namespace ${namespace} exists and ${own.reason}; refusing to take it over`,
      );
    }
  }

  /**
   * Creates the project namespace with its labels (and, when configured, the RoleBinding that
   * gives the backend what Helm needs inside it). An existing namespace is used only when it is
   * ours for this project; any other namespace is refused with a 409, never relabelled.
   */
  async ensureNamespace(namespace: string, projectUuid: string): Promise<void> {
    const labels: Record<string, string> = {
      [LABEL_MANAGED_BY]: MANAGED_BY,
      [LABEL_DEV_SESSION_PROJECT_UUID]: projectUuid,
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    };
    try {
      await this.call(() =>
        this.core.createNamespace({
          body: { metadata: { name: namespace, labels } },
        }),
      );
    } catch (e) {
      if (!isApiException(e) || e.code !== 409) throw e;
      const existing = await this.call(() =>
        this.core.readNamespace({ name: namespace }),
      );
      if (existing.metadata?.deletionTimestamp) {
        throw new ServiceUnavailableError(
          `Namespace ${namespace} is still being deleted; try again shortly`,
        );
      }
      const reason = notOursReason(existing, projectUuid);
      if (reason)
        throw new ConflictError(
          `Namespace ${namespace} exists and ${reason}; refusing to take it over`,
        );
      const current = existing.metadata?.labels ?? {};
      const missing = Object.fromEntries(
        Object.entries(labels).filter(([k, v]) => current[k] !== v),
      );
      if (Object.keys(missing).length) {
        // ours, but made by an older version: add the labels it lacks (never touching others)
        await this.call(() =>
          this.core.patchNamespace(
            {
              name: namespace,
              body: {
                metadata: {
                  labels: missing,
                  resourceVersion: existing.metadata?.resourceVersion,
                },
              },
            },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
          ),
        );
      }
    }
    await this.ensureSessionRoleBinding(namespace);
  }

  /**
   * Binds the configured ClusterRole to the backend in the namespace (nothing when none is
   * configured), then waits until the API server applies it, so the next Helm call is allowed.
   */
  private async ensureSessionRoleBinding(namespace: string): Promise<void> {
    const rb = this.target.sessionRoleBinding;
    if (!rb) return;
    const subject: k8s.RbacV1Subject = {
      kind: rb.subject.kind,
      name: rb.subject.name,
      ...(rb.subject.kind === 'ServiceAccount'
        ? { namespace: rb.subject.namespace }
        : { apiGroup: 'rbac.authorization.k8s.io' }),
    };
    try {
      await this.call(() =>
        this.rbac.createNamespacedRoleBinding({
          namespace,
          body: {
            metadata: {
              name: rb.name,
              labels: { [LABEL_MANAGED_BY]: MANAGED_BY },
            },
            roleRef: {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'ClusterRole',
              name: rb.clusterRole,
            },
            subjects: [subject],
          },
        }),
      );
    } catch (e) {
      if (!isApiException(e) || e.code !== 409) throw e;
    }
    // RBAC is applied from the API server's cache: wait until Helm's first call (reading its
    // release secrets) is allowed
    const deadline = Date.now() + 15_000;
    for (;;) {
      const review = await this.call(() =>
        this.authz.createSelfSubjectAccessReview({
          body: {
            spec: {
              resourceAttributes: {
                namespace,
                verb: 'list',
                resource: 'secrets',
              },
            },
          },
        }),
      );
      if (review.status?.allowed) return;
      if (Date.now() > deadline) {
        throw new ServiceUnavailableError(
          `The RoleBinding ${rb.name} (ClusterRole ${rb.clusterRole}) in namespace ${namespace} does not give ` +
            `the backend access to the namespace${
              review.status?.reason ? `: ${review.status.reason}` : ''
            }`,
        );
      }
      await new Promise(r => setTimeout(r, 200));
    }
  }

  /**
   * Deletes the namespace and waits until it is gone (up to timeoutMs). Only a namespace that is
   * ours for the project (by default the project UUID is the namespace name) is deleted; another
   * one is left alone (`not-owned`, logged) so deleting a session stays idempotent but can never
   * remove what dev sessions did not create.
   */
  async deleteNamespace(
    namespace: string,
    opts: { projectUuid?: string; timeoutMs?: number } = {},
  ): Promise<'deleted' | 'absent' | 'not-owned'> {
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const own = await this.namespaceOwnership(
      namespace,
      opts.projectUuid ?? namespace,
    );
    if (own.state === 'absent') return 'absent';
    if (own.state === 'foreign') {
      this.logger?.warn(
        `Not deleting namespace ${namespace}: it ${own.reason}`,
      );
      return 'not-owned';
    }
    if (own.state === 'owned') {
      try {
        await this.call(() =>
          this.core.deleteNamespace({
            name: namespace,
            // exactly the namespace that was checked, not one re-created meanwhile
            body: { preconditions: { uid: own.namespace?.metadata?.uid } },
          }),
        );
      } catch (e) {
        if (isApiException(e) && e.code === 404) return 'absent';
        throw e;
      }
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.call(() => this.core.readNamespace({ name: namespace }));
      } catch (e) {
        if (isApiException(e) && e.code === 404) return 'deleted';
        throw e;
      }
      await new Promise(r => setTimeout(r, 500));
    }
    throw new ServiceUnavailableError(
      `Namespace ${namespace} was not deleted within ${timeoutMs / 1000}s`,
    );
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
      pods = await this.call(() =>
        this.core.listNamespacedPod({ namespace, labelSelector: selector }),
      );
    } catch (e) {
      if (isApiException(e) && e.code === 404)
        throw new NotFoundError(`Namespace ${namespace} does not exist`);
      if (isApiException(e) && e.code === 403) {
        // with least-privilege RBAC the backend can read only namespaces it bound itself into
        const own = await this.namespaceOwnership(namespace, projectUuid);
        if (own.state === 'absent')
          throw new NotFoundError(`Namespace ${namespace} does not exist`);
        if (own.state === 'foreign')
          throw new NotFoundError(`Namespace ${namespace} ${own.reason}`);
      }
      throw e;
    }
    const events = await this.call(() =>
      this.core.listNamespacedEvent({ namespace }),
    );
    return toPodSnapshot(pods.items, events.items);
  }
}
