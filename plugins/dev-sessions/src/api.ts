import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  DevSession,
  DevSessionCreateRequest,
  DevSessionGetOrCreateResult,
  DevSessionListPage,
  DevSessionListQuery,
  DevSessionLogs,
  DevSessionLogsRequest,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';

/** What the dev session card and page need from the backend. @public */
export interface DevSessionsApi {
  get(projectUuid: string): Promise<DevSession>;
  status(projectUuid: string): Promise<DevSessionStatus>;
  /** Issues or renews the cookie that signs in the session links; returns its expiry. */
  refreshLinkCookie(): Promise<{ expiresAt: string }>;
  /** Stops (false) or starts (true) the session; returns it on its way. */
  setRunning(projectUuid: string, running: boolean): Promise<DevSession>;
  /** Get-or-create; on a `failed` session this retries it with its stored values. */
  getOrCreate(
    projectUuid: string,
    request: DevSessionCreateRequest,
  ): Promise<DevSessionGetOrCreateResult>;
  /** Deletes the session; returns it while it is being deleted, undefined once gone. */
  delete(projectUuid: string): Promise<DevSession | undefined>;
  /** The last lines of one container's log (or of its previous instance). */
  logs(
    projectUuid: string,
    request: DevSessionLogsRequest,
  ): Promise<DevSessionLogs>;
  /** One page of the sessions the caller may read, filtered and searched on the backend. */
  listPage(query: DevSessionListQuery): Promise<DevSessionListPage>;
}

/** ApiRef of the dev-sessions client (DevSessionsClient over discoveryApi and fetchApi). @public */
export const devSessionsApiRef = createApiRef<DevSessionsApi>({
  id: 'plugin.dev-sessions.api',
});
