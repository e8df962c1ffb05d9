import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  DevSession,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';

/** What the dev session card needs from the backend. @public */
export interface DevSessionsApi {
  get(projectUuid: string): Promise<DevSession>;
  status(projectUuid: string): Promise<DevSessionStatus>;
  /** Issues or renews the cookie that signs in the session links; returns its expiry. */
  refreshLinkCookie(): Promise<{ expiresAt: string }>;
  /** Stops (false) or starts (true) the session; returns it on its way. */
  setRunning(projectUuid: string, running: boolean): Promise<DevSession>;
}

/** ApiRef of the dev-sessions client (DevSessionsClient over discoveryApi and fetchApi). @public */
export const devSessionsApiRef = createApiRef<DevSessionsApi>({
  id: 'plugin.dev-sessions.api',
});
