import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { devSessionPolicyDecision } from '@dev-sessions/backstage-plugin-dev-sessions-backend';

/**
 * This app's permission policy: dev sessions are owner-scoped (see devSessionPolicyDecision:
 * anyone signed in may create; read, retry and delete are for the owner and their groups;
 * `devSessions.permissions.admins` may do everything); the Kubernetes proxy is for those admins
 * only; every other permission is allowed, as with the allow-all policy this app started from.
 */
export class AppPermissionPolicy implements PermissionPolicy {
  constructor(private readonly admins: string[]) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    // The Kubernetes plugin's proxy answers with the backend's own cluster credentials, past
    // every dev-session permission (any namespace's Secrets, pods/exec): admins only.
    if (request.permission.name === 'kubernetes.proxy') {
      const refs = user?.info.ownershipEntityRefs ?? [];
      return {
        result: refs.some(r => this.admins.includes(r))
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    return (
      devSessionPolicyDecision(request, user, { admins: this.admins }) ?? {
        result: AuthorizeResult.ALLOW,
      }
    );
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'app-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(
          new AppPermissionPolicy(
            config.getOptionalStringArray('devSessions.permissions.admins') ??
              [],
          ),
        );
      },
    });
  },
});
