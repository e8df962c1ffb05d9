import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  DevSession,
  DevSessionCreateRequest,
  DevSessionDryRun,
  DevSessionGetOrCreateResult,
  DevSessionListFilter,
  DevSessionListPage,
  DevSessionListQuery,
  DevSessionLogs,
  DevSessionLogsRequest,
  DevSessionStatus,
  DevSessionsWaitOptions,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';

/** Options of every {@link DevSessionsService} call. @public */
export interface DevSessionsServiceRequestOptions {
  /**
   * Whom the call is made for: the dev-sessions backend authorizes it for these credentials
   * (a user through `ctx.getInitiatorCredentials()`, or the calling plugin through
   * `auth.getOwnServiceCredentials()`).
   */
  credentials: BackstageCredentials;
}

/**
 * The dev sessions of projects, for backend plugins and modules. Calls fail with a
 * `DevSessionsApiError` (from `@dev-sessions/backstage-plugin-dev-sessions-common`) carrying the
 * HTTP status the dev-sessions backend answered, for example 404 when a project has no session.
 *
 * @public
 */
export interface DevSessionsService {
  /**
   * Gets the project's session, creating it when there is none. Returns at once with the
   * stored state (`provisioning` for a new session) unless `wait` is set.
   */
  getOrCreate(
    projectUuid: string,
    request: DevSessionCreateRequest,
    options: DevSessionsServiceRequestOptions & DevSessionsWaitOptions,
  ): Promise<DevSessionGetOrCreateResult>;

  /** Renders and checks what a get-or-create would install; changes nothing. */
  dryRun(
    projectUuid: string,
    request: DevSessionCreateRequest,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionDryRun>;

  /** The project's session as stored. */
  get(
    projectUuid: string,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSession>;

  /** Live status of the project's session, read from its cluster. */
  status(
    projectUuid: string,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionStatus>;

  /** The sessions the credentials may see, optionally of one owner. */
  list(
    filter: DevSessionListFilter | undefined,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSession[]>;

  /** One page of the sessions the credentials may see: filtered, searched and paged. */
  listPage(
    query: DevSessionListQuery,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionListPage>;

  /** The last lines of a container's log (`previous`: before its last restart). */
  logs(
    projectUuid: string,
    request: DevSessionLogsRequest,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionLogs>;

  /**
   * Deletes the project's session. Returns the session (state `deleting`) while it is still
   * being deleted, undefined once it is gone or when there was none. With `wait` the call
   * blocks until the session is gone or `timeoutSeconds` have passed.
   */
  delete(
    projectUuid: string,
    options: DevSessionsServiceRequestOptions & DevSessionsWaitOptions,
  ): Promise<DevSession | undefined>;

  /**
   * Stops (`running: false`: no pod, the workspace stays) or starts the project's session.
   * Idempotent; with `wait` the call blocks until it is `stopped`/`ready` or the timeout.
   */
  setRunning(
    projectUuid: string,
    running: boolean,
    options: DevSessionsServiceRequestOptions & DevSessionsWaitOptions,
  ): Promise<DevSession>;
}
