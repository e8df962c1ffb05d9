import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { devSessionCreatePermission } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionPolicyDecision } from '../policyDecision';

/**
 * The features of a shared portal around the dev-sessions plugin: the real permission backend
 * with the policy this repository's app ships (devSessionPolicyDecision: owner-scoped
 * read/update/delete, `admins` may do everything), users in `groups`, and on-behalf-of tokens
 * that keep the calling plugin as actor (as the real auth does).
 */
export function ownerScopedFeatures(options: {
  groups: Record<string, string[]>;
  admins: string[];
  /** Users the platform does not let use dev sessions at all (no `dev-session.create`). */
  withoutDevSessions?: string[];
}) {
  const policy = createBackendModule({
    pluginId: 'permission',
    moduleId: 'test-policy',
    register(reg) {
      reg.registerInit({
        deps: { policy: policyExtensionPoint },
        async init({ policy: p }) {
          p.setPolicy({
            handle: async (req, user) =>
              (options.withoutDevSessions?.includes(
                user?.info.userEntityRef ?? '',
              ) && req.permission.name === devSessionCreatePermission.name
                ? { result: AuthorizeResult.DENY }
                : undefined) ??
              devSessionPolicyDecision(req, user, {
                admins: options.admins,
              }) ?? {
                result: AuthorizeResult.ALLOW,
              },
          });
        },
      });
    },
  });
  // Backstage's mock auth drops the actor of on-behalf-of tokens; the real auth keeps it, and
  // the permission backend relies on it (a "direct" user request may not ask for a resource
  // permission without a resourceRef, which a list does). So on-behalf-of tokens of a user
  // carry the calling plugin as the actor here, as they do in production.
  const auth = createServiceFactory({
    service: coreServices.auth,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) => {
      const real = mockServices.auth({ pluginId: plugin.getId() });
      return Object.assign(Object.create(real), {
        async getPluginRequestToken(opts: any) {
          const principal = opts.onBehalfOf?.principal;
          if (principal?.type === 'user') {
            return {
              token: mockCredentials.user.token(principal.userEntityRef, {
                actor: { subject: `plugin:${plugin.getId()}` },
              }),
            };
          }
          return real.getPluginRequestToken(opts);
        },
      });
    },
  });
  const userInfo = createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: any) {
        const ref = credentials.principal.userEntityRef;
        return {
          userEntityRef: ref,
          ownershipEntityRefs: [ref, ...(options.groups[ref] ?? [])],
        };
      },
    }),
  });
  return [permissionPlugin, policy, permissionsServiceFactory, userInfo, auth];
}
