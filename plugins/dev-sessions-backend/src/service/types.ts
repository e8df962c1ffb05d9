import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  DevSession,
  DevSessionSize,
  DevSessionSpec,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import type { SessionPageFilter } from '../database/SessionStore';
import type { DevSessionQuery } from '../permissions';

/** Options of one get-or-create call. */
export interface GetOrCreateOptions {
  /** Block until the session is no longer `provisioning` (or the timeout passes). */
  wait?: boolean;
  /** Helm timeout of this call (and of the wait). */
  timeoutSeconds?: number;
  /**
   * Called when the project already has a session, before it is returned (`read`) and before a
   * `failed` one is retried (`update`); throws to refuse.
   */
  authorize?: (session: DevSession, action: 'read' | 'update') => Promise<void>;
}

/** What a get-or-create did. */
export interface GetOrCreateResult {
  session: DevSession;
  created: boolean;
  /** A `failed` session was provisioned again, with its stored values. */
  retried: boolean;
}

/** Options of one delete call. */
export interface DeleteOptions {
  /** Block until the session is gone (or the timeout passes). */
  wait?: boolean;
  /** How long to wait, in seconds (Helm's own timeout is the platform's). */
  timeoutSeconds?: number;
  /**
   * Only when the session was not used after this ISO time (the lifecycle sweeps: a use that
   * arrives meanwhile keeps the session). Otherwise nothing changes.
   */
  notUsedAfter?: string;
}

/**
 * Which sessions a caller may see, from the read permission's decision: all of them (ALLOW),
 * those its IS_OWNER conditions match, run as a database query (`criteria`), or those a
 * predicate accepts (conditions that cannot be queried: applied in memory before paging).
 */
export type SessionAccess =
  | { type: 'all' }
  | { type: 'criteria'; criteria: PermissionCriteria<DevSessionQuery> }
  | { type: 'predicate'; matches: (session: DevSession) => boolean };

/** A page request of the session list (filters without the permission's part). */
export type SessionListQuery = Omit<SessionPageFilter, 'criteria'> & {
  offset: number;
  limit: number;
};

/** A dry run: what a get-or-create would install. */
export interface RenderResult {
  session: DevSession;
  manifests: string;
  objects: string[];
}

/**
 * The sessions service as the REST router (and every other caller inside the plugin) sees it.
 * Create and delete both return at once with the stored state (a durable job does the Helm
 * work on whichever replica claims it); `wait` blocks until the job is done.
 */
export interface DevSessionsApi {
  /** Name of the cluster sessions run on. */
  readonly clusterName: string;
  /** Size used when a request names none. */
  readonly defaultSize: DevSessionSize;
  getOrCreate(
    spec: DevSessionSpec,
    opts?: GetOrCreateOptions,
  ): Promise<GetOrCreateResult>;
  /** Renders and checks the chart for a request; changes nothing. */
  render(spec: DevSessionSpec): Promise<RenderResult>;
  /** The session; NotFoundError when the project has none. */
  get(projectUuid: string): Promise<DevSession>;
  find(projectUuid: string): Promise<DevSession | undefined>;
  list(filter?: { owner?: string }): Promise<DevSession[]>;
  /**
   * One page of the sessions `access` lets the caller see that match the query, newest first,
   * and how many match in all (paged after the permission's filter, so the count is right).
   */
  listPage(
    query: SessionListQuery,
    access: SessionAccess,
  ): Promise<{ items: DevSession[]; totalCount: number }>;
  /** Live status from the cluster. */
  status(projectUuid: string): Promise<DevSessionStatus>;
  /**
   * Live status of a session already read; `timing` learns how its cluster part was read (the
   * watch cache or the API server) and how long that took.
   */
  statusOf(
    session: DevSession,
    timing?: (t: { source: 'cache' | 'cluster'; ms: number }) => void,
  ): Promise<DevSessionStatus>;
  /** Where status comes from: the watch cache (synced, or still syncing) or the cluster. */
  readonly statusSource: 'cache' | 'cache-syncing' | 'cluster';
  /**
   * Starts deleting the session (state `deleting`, a delete job). Returns the session while it
   * is still being deleted, undefined once it is gone (or when there was none).
   */
  delete(
    projectUuid: string,
    opts?: DeleteOptions,
  ): Promise<DevSession | undefined>;
  /**
   * Stops a ready session (0 replicas; the volumes and everything else stay) or starts a
   * stopped one. Idempotent: a session already there (or on its way) is returned as it is;
   * ConflictError from any other state. `wait` blocks until the job is done.
   */
  setRunning(
    projectUuid: string,
    running: boolean,
    opts?: Omit<DeleteOptions, 'notUsedAfter'> & {
      /** Stop only when not used after this ISO time (the idle sweep). */
      notUsedAfter?: string;
    },
  ): Promise<DevSession>;
  /**
   * Records a use of the session (links opened, API use, the workspace's heartbeat): idle stop
   * and expiry count from the last one. Cheap to call often. False when the project has no
   * session (or one being deleted).
   */
  recordActivity(projectUuid: string): Promise<boolean>;
  /** Whether a heartbeat token is this session's, another session's or nobody's. */
  checkActivityToken(
    projectUuid: string,
    token: string,
  ): Promise<'valid' | 'unknown' | 'other-session'>;
}
