import { createPermission } from '@backstage/plugin-permission-common';

/** Resource type of dev-session permissions (the resource ref is the project UUID). @public */
export const DEV_SESSION_RESOURCE_TYPE = 'dev-session';

/** Create (or get-or-create) a project's dev session. @public */
export const devSessionCreatePermission = createPermission({
  name: 'dev-session.create',
  attributes: { action: 'create' },
});

/** Read a dev session and its live status. @public */
export const devSessionReadPermission = createPermission({
  name: 'dev-session.read',
  attributes: { action: 'read' },
  resourceType: DEV_SESSION_RESOURCE_TYPE,
});

/** Delete a dev session. The shipped conditional rule `IS_OWNER` allows it to the owner. @public */
export const devSessionDeletePermission = createPermission({
  name: 'dev-session.delete',
  attributes: { action: 'delete' },
  resourceType: DEV_SESSION_RESOURCE_TYPE,
});

/**
 * Change an existing dev session: retry a `failed` one (with its stored values), stop and start
 * it. Owner-scoped
 * through `IS_OWNER` in the app's policy. @public
 */
export const devSessionUpdatePermission = createPermission({
  name: 'dev-session.update',
  attributes: { action: 'update' },
  resourceType: DEV_SESSION_RESOURCE_TYPE,
});

/**
 * The platform team's view of the whole installation, such as the orphan namespaces report
 * (`GET /orphans`). The shipped policy gives it to backend services and the admins only. @public
 */
export const devSessionAdminPermission = createPermission({
  name: 'dev-session.admin',
  attributes: { action: 'read' },
});

/** All dev-session permissions. @public */
export const devSessionPermissions = [
  devSessionCreatePermission,
  devSessionReadPermission,
  devSessionUpdatePermission,
  devSessionDeletePermission,
  devSessionAdminPermission,
];
