import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  DEV_SESSION_RESOURCE_TYPE,
  DevSession,
  normalizeEntityRef,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { z } from 'zod';

/** Query shape for dev-session conditions (filters on the owner). @public */
export type DevSessionQuery = { owners: string[] };

/** Permission resource ref of dev sessions (resource ref = project UUID). @public */
export const devSessionResourceRef = createPermissionResourceRef<
  DevSession,
  DevSessionQuery
>().with({
  pluginId: 'dev-sessions',
  resourceType: DEV_SESSION_RESOURCE_TYPE,
});

/**
 * IS_OWNER: the session's owner is one of the given entity refs (pass the user's ownership
 * claims, `user.info.ownershipEntityRefs`, from your permission policy). Refs are compared in
 * their normalised form (`user:jane` equals `user:default/jane`).
 * @public
 */
export const isDevSessionOwner = createPermissionRule({
  name: 'IS_OWNER',
  description:
    'Allow when the dev session is owned by one of the given entity refs',
  resourceRef: devSessionResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe('Entity refs that count as owner (the user and their groups)'),
  }),
  apply: (session, { claims }) =>
    claims
      .map(c => normalizeEntityRef(c))
      .includes(normalizeEntityRef(session.owner)),
  toQuery: ({ claims }) => ({ owners: claims.map(c => normalizeEntityRef(c)) }),
});

/** Rules of the dev-session resource type. @public */
export const devSessionRules = { isDevSessionOwner };

const conditionExports = createConditionExports({
  pluginId: 'dev-sessions',
  resourceType: DEV_SESSION_RESOURCE_TYPE,
  rules: devSessionRules,
});

/**
 * Conditions for permission policies, for example to let owners delete their session:
 * `createDevSessionConditionalDecision(request.permission, devSessionConditions.isDevSessionOwner({ claims: user.info.ownershipEntityRefs }))`.
 * @public
 */
export const devSessionConditions = conditionExports.conditions;

/** A conditional decision on a dev-session permission (see {@link devSessionConditions}). @public */
export const createDevSessionConditionalDecision =
  conditionExports.createConditionalDecision;
