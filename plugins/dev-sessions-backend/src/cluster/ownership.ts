import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import { LABEL_DEV_SESSION_PROJECT_UUID } from '@dev-sessions/backstage-plugin-dev-sessions-common';

/** The label that marks a namespace as created (and owned) by dev sessions. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Its value. */
export const MANAGED_BY = 'backstage-dev-sessions';
/**
 * The label naming the installation (devSessions.instance) that made a namespace: orphan
 * detection looks only at its own installation's namespaces.
 */
export const LABEL_INSTANCE = 'dev-sessions.io/instance';

/** Why a namespace is not ours for the project, or undefined when it is. */
export function notOursReason(
  ns: k8s.V1Namespace,
  projectUuid: string,
): string | undefined {
  const labels = ns.metadata?.labels ?? {};
  const managedBy = labels[LABEL_MANAGED_BY];
  if (managedBy === undefined)
    return `is not managed by dev sessions (label ${LABEL_MANAGED_BY} is missing)`;
  if (managedBy !== MANAGED_BY) {
    return `is not managed by dev sessions (label ${LABEL_MANAGED_BY} is "${managedBy}", not "${MANAGED_BY}")`;
  }
  const project = labels[LABEL_DEV_SESSION_PROJECT_UUID];
  if (project !== projectUuid) {
    return project === undefined
      ? `is not a dev-sessions project namespace (label ${LABEL_DEV_SESSION_PROJECT_UUID} is missing)`
      : `belongs to another project (label ${LABEL_DEV_SESSION_PROJECT_UUID} is "${project}", not "${projectUuid}")`;
  }
  return undefined;
}

/**
 * Throws 503 while the existing namespace is being deleted and 409 (ConflictError, with the
 * reason) when it is not ours for the project.
 */
export function assertNamespaceOurs(
  namespace: string,
  existing: k8s.V1Namespace,
  projectUuid: string,
): void {
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
}
