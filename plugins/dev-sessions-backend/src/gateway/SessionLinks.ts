import {
  DEV_SESSION_ROLES,
  DevSessionEndpoint,
  DevSessionRole,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { internalUrl, SessionTargets } from '../chart/endpoints';

/**
 * The links of a session. What people open is always the plugin's signed-in route
 * (`<plugin base URL>/projects/:projectUuid/open/:role/`); the in-cluster address is kept as
 * `internalUrl` for automation and never shown as a button.
 */
export class SessionLinks {
  /** @param pluginBaseUrl - the plugin's external base URL, e.g. `https://backstage.example.com/api/dev-sessions` */
  constructor(private readonly pluginBaseUrl: string) {}

  open(projectUuid: string, role: DevSessionRole): string {
    return `${this.pluginBaseUrl}/projects/${projectUuid}/open/${role}/`;
  }

  endpoints(s: {
    projectUuid: string;
    namespace: string;
    targets: SessionTargets;
  }): Record<DevSessionRole, DevSessionEndpoint> {
    const out: Partial<Record<DevSessionRole, DevSessionEndpoint>> = {};
    for (const role of DEV_SESSION_ROLES) {
      const t = s.targets[role];
      if (!t) continue;
      out[role] = {
        url: this.open(s.projectUuid, role),
        internalUrl: internalUrl(s.namespace, t),
        path: t.path,
      };
    }
    return out as Record<DevSessionRole, DevSessionEndpoint>;
  }
}
