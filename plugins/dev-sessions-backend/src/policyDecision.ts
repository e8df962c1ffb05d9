import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  DEV_SESSION_RESOURCE_TYPE,
  devSessionCreatePermission,
  normalizeEntityRef,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import {
  createDevSessionConditionalDecision,
  devSessionConditions,
} from './permissions';

/** Options of {@link devSessionPolicyDecision}. @public */
export interface DevSessionPolicyOptions {
  /**
   * Entity refs (users or groups) that may do everything with every session, for example
   * `group:default/platform-team`. From `devSessions.permissions.admins`.
   */
  admins?: string[];
}

/**
 * The decision of the dev-sessions permissions for a shared portal, for use in an app's
 * permission policy (returns undefined for any other permission, so the policy decides those):
 *
 * - backend services (the catalog module, automation with a static token) may do everything;
 * - members of an admin group may do everything;
 * - any signed-in user may create a session (owned by themselves or one of their groups);
 * - reading, retrying (`dev-session.update`) and deleting are for the session's owner: the user
 *   or one of their groups (`IS_OWNER` with the user's ownership refs).
 *
 * @public
 */
export function devSessionPolicyDecision(
  request: PolicyQuery,
  user: PolicyQueryUser | undefined,
  options: DevSessionPolicyOptions = {},
): PolicyDecision | undefined {
  const { permission } = request;
  if (!permission.name.startsWith('dev-session.')) return undefined;
  if (!user) return { result: AuthorizeResult.ALLOW };
  const mine = [user.info.userEntityRef, ...user.info.ownershipEntityRefs].map(
    r => normalizeEntityRef(r),
  );
  const admins = (options.admins ?? []).map(r =>
    normalizeEntityRef(r, 'group'),
  );
  if (mine.some(r => admins.includes(r)))
    return { result: AuthorizeResult.ALLOW };
  if (permission.name === devSessionCreatePermission.name)
    return { result: AuthorizeResult.ALLOW };
  if (isResourcePermission(permission, DEV_SESSION_RESOURCE_TYPE)) {
    return createDevSessionConditionalDecision(
      permission,
      devSessionConditions.isDevSessionOwner({ claims: mine }),
    );
  }
  return { result: AuthorizeResult.DENY };
}
