import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
  BasicPermission,
  PolicyDecision,
  QueryPermissionRequest,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createConditionTransformer,
  PermissionRule,
  PermissionRuleset,
} from '@backstage/plugin-permission-node';
import {
  DEV_SESSION_RESOURCE_TYPE,
  DevSession,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { DevSessionQuery, devSessionRules } from '../permissions';
import { SessionAccess } from '../service/types';

/** A dev-session resource permission (read, update, delete). */
export type DevSessionPermission = ResourcePermission<
  typeof DEV_SESSION_RESOURCE_TYPE
>;

/**
 * One permission check: a basic permission (create) on its own, a resource permission with the
 * project UUID of the session it is about.
 */
export type DevSessionAuthorizeRequest =
  | { permission: BasicPermission; resourceRef?: never }
  | { permission: DevSessionPermission; resourceRef: string };

/** The rules of the dev-session resource type, looked up by name as the permission framework does. */
const devSessionRuleset: PermissionRuleset<
  DevSession,
  DevSessionQuery,
  typeof DEV_SESSION_RESOURCE_TYPE
> = {
  getRuleByName(name) {
    const rules: PermissionRule<
      DevSession,
      DevSessionQuery,
      typeof DEV_SESSION_RESOURCE_TYPE
    >[] = Object.values(devSessionRules);
    const rule = rules.find(r => r.name === name);
    if (!rule) throw new Error(`Unexpected permission rule: ${name}`);
    return rule;
  },
};

const applyConditions = createConditionAuthorizer(devSessionRuleset);
const toQueries = createConditionTransformer(devSessionRuleset);

/** The router's permission checks, typed for the dev-session permissions. */
export interface DevSessionAuthorizer {
  /** Resolves when the decision is ALLOW; NotAllowedError (403) otherwise. */
  authorize(
    credentials: BackstageCredentials,
    request: DevSessionAuthorizeRequest,
  ): Promise<void>;
  /**
   * The sessions the caller may see with a resource permission: all of them on ALLOW, those the
   * conditions match on CONDITIONAL; NotAllowedError on DENY (before anything is loaded).
   */
  filter(
    credentials: BackstageCredentials,
    permission: DevSessionPermission,
    load: () => Promise<DevSession[]>,
  ): Promise<DevSession[]>;
  /**
   * Which sessions the caller may see with a resource permission, for a query that pages:
   * all on ALLOW; on CONDITIONAL the conditions as database queries when they are this
   * plugin's own rules (IS_OWNER), else as a predicate to apply in memory; NotAllowedError on
   * DENY.
   */
  access(
    credentials: BackstageCredentials,
    permission: DevSessionPermission,
  ): Promise<SessionAccess>;
}

export function createDevSessionAuthorizer(
  permissions: PermissionsService,
): DevSessionAuthorizer {
  return {
    async authorize(credentials, request) {
      const requests: AuthorizePermissionRequest[] = [request];
      const [decision] = await permissions.authorize(requests, {
        credentials,
      });
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(`Not allowed: ${request.permission.name}`);
      }
    },

    async filter(credentials, permission, load) {
      // No resourceRef: the policy's conditions come back to be applied here. The permission
      // backend accepts such a query only from a user principal with an actor (a plugin acting
      // on the user's behalf), which the real auth service's plugin request tokens carry.
      const queries: QueryPermissionRequest[] = [{ permission }];
      const [decision]: PolicyDecision[] =
        await permissions.authorizeConditional(queries, { credentials });
      if (decision.result === AuthorizeResult.DENY) {
        throw new NotAllowedError(`Not allowed: ${permission.name}`);
      }
      const sessions = await load();
      if (decision.result === AuthorizeResult.ALLOW) return sessions;
      return sessions.filter(s => applyConditions(decision, s));
    },

    async access(credentials, permission) {
      const queries: QueryPermissionRequest[] = [{ permission }];
      const [decision]: PolicyDecision[] =
        await permissions.authorizeConditional(queries, { credentials });
      if (decision.result === AuthorizeResult.DENY) {
        throw new NotAllowedError(`Not allowed: ${permission.name}`);
      }
      if (decision.result !== AuthorizeResult.CONDITIONAL)
        return { type: 'all' };
      if (
        decision.pluginId === 'dev-sessions' &&
        decision.resourceType === DEV_SESSION_RESOURCE_TYPE
      ) {
        try {
          return { type: 'criteria', criteria: toQueries(decision.conditions) };
        } catch {
          // a rule this plugin cannot query (or bad params): decided per session below
        }
      }
      return { type: 'predicate', matches: s => applyConditions(decision, s) };
    },
  };
}
