import { ServiceUnavailableError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import { LABEL_DEV_SESSION_PROJECT_UUID } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { ApiCall, isApiException } from './apiCall';
import { SessionRoleBinding } from './ClusterTarget';
import {
  assertNamespaceOurs,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  MANAGED_BY,
} from './ownership';

/** The API clients of a Cluster that setting up a session namespace uses. */
export interface NamespaceApis {
  core: k8s.CoreV1Api;
  rbac: k8s.RbacAuthorizationV1Api;
  authz: k8s.AuthorizationV1Api;
  call: ApiCall;
}

/**
 * Creates the project namespace with its labels (and, when `roleBinding` is given, the
 * RoleBinding that gives the backend what Helm needs inside it). An existing namespace is used
 * only when it is ours for this project; any other namespace is refused with a 409, never
 * relabelled.
 */
export async function ensureSessionNamespace(
  apis: NamespaceApis,
  namespace: string,
  projectUuid: string,
  roleBinding: SessionRoleBinding | undefined,
  instance = 'default',
): Promise<void> {
  const { core, call } = apis;
  const labels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_DEV_SESSION_PROJECT_UUID]: projectUuid,
    [LABEL_INSTANCE]: instance,
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  };
  try {
    await call(() =>
      core.createNamespace({
        body: { metadata: { name: namespace, labels } },
      }),
    );
  } catch (e) {
    if (!isApiException(e) || e.code !== 409) throw e;
    const existing = await call(() => core.readNamespace({ name: namespace }));
    assertNamespaceOurs(namespace, existing, projectUuid);
    const current = existing.metadata?.labels ?? {};
    const missing = Object.fromEntries(
      Object.entries(labels).filter(
        // another installation's name stays: only a missing one is added
        ([k, v]) => current[k] !== v && !(k === LABEL_INSTANCE && k in current),
      ),
    );
    if (Object.keys(missing).length) {
      // ours, but made by an older version: add the labels it lacks (never touching others)
      await call(() =>
        core.patchNamespace(
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
  if (roleBinding) await bindSessionRole(apis, namespace, roleBinding);
}

/**
 * Binds the configured ClusterRole to the backend in the namespace, then waits until the API
 * server applies it, so the next Helm call is allowed.
 */
async function bindSessionRole(
  { rbac, authz, call }: NamespaceApis,
  namespace: string,
  rb: SessionRoleBinding,
): Promise<void> {
  const subject: k8s.RbacV1Subject = {
    kind: rb.subject.kind,
    name: rb.subject.name,
    ...(rb.subject.kind === 'ServiceAccount'
      ? { namespace: rb.subject.namespace }
      : { apiGroup: 'rbac.authorization.k8s.io' }),
  };
  try {
    await call(() =>
      rbac.createNamespacedRoleBinding({
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
    const review = await call(() =>
      authz.createSelfSubjectAccessReview({
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
