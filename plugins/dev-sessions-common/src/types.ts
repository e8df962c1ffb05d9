/** The three roles of a dev session: one container, service and link each. @public */
export const DEV_SESSION_ROLES = ['preview', 'chat', 'vscode'] as const;

/** @public */
export type DevSessionRole = (typeof DEV_SESSION_ROLES)[number];

/** Stored lifecycle state of a session. @public */
export type DevSessionState =
  | 'provisioning'
  | 'ready'
  | 'failed'
  | 'deleting'
  | 'stopping'
  | 'stopped'
  | 'starting';

/** @public */
export const DEV_SESSION_STATES: readonly DevSessionState[] = [
  'provisioning',
  'ready',
  'failed',
  'deleting',
  'stopping',
  'stopped',
  'starting',
];

/** Size presets of the dev-session chart. @public */
export const DEV_SESSION_SIZES = ['small', 'medium', 'large'] as const;

/** @public */
export type DevSessionSize = (typeof DEV_SESSION_SIZES)[number];

/** Where one role of the session is reached. @public */
export interface DevSessionEndpoint {
  /**
   * The link people open: the dev-sessions backend's signed-in route
   * (`…/api/dev-sessions/projects/:projectUuid/open/:role/`), which checks Backstage sign-in and
   * read permission and then sends the browser to the role's own origin on the gateway.
   */
  url: string;
  /**
   * The role's in-cluster Service address, for automation inside the cluster. Never a link for
   * people: it has no sign-in of its own and only the gateway may reach it.
   */
  internalUrl: string;
  /** The role's path in the chart (informational). */
  path: string;
}

/** A project's dev session as stored by the backend. @public */
export interface DevSession {
  projectUuid: string;
  projectId: string;
  /** Owner entity ref, for example `user:default/jane`. */
  owner: string;
  /** The project's catalog component, when given; the session's entity is a dependencyOf it. */
  component?: string;
  namespace: string;
  releaseName: string;
  chartVersion: string;
  size: DevSessionSize;
  state: DevSessionState;
  lastError?: string;
  endpoints: Record<DevSessionRole, DevSessionEndpoint>;
  /** Catalog entity ref of the session's Resource entity. */
  entityRef: string;
  /** Name of the Kubernetes cluster the session runs on. */
  cluster: string;
  createdAt: string;
  updatedAt: string;
  /**
   * When the session was last used: its links opened, the API used on it (creating, starting,
   * the activity route) or the workspace's heartbeat.
   */
  lastActivityAt?: string;
  /**
   * When the platform will stop this running session for being idle
   * (`devSessions.lifecycle.idleStopAfter` after the last use), if that is configured.
   */
  idleStopAt?: string;
  /**
   * When the platform will delete this session for being unused
   * (`devSessions.lifecycle.expireAfter`, or `deleteStoppedAfter` for a stopped one). Any use
   * moves it later.
   */
  expiresAt?: string;
}

/** Live status of one container. @public */
export interface DevSessionContainerStatus {
  name: string;
  role?: DevSessionRole;
  ready: boolean;
  restartCount: number;
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  /** Reason of a waiting or terminated state, e.g. CrashLoopBackOff, ImagePullBackOff, OOMKilled. */
  reason?: string;
  message?: string;
  /** Reason the container last terminated (OOMKilled after a restart, for example). */
  lastTerminationReason?: string;
}

/** @public */
export interface DevSessionPodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** @public */
export interface DevSessionEvent {
  type: string;
  reason: string;
  message: string;
  object: string;
  count: number;
  lastTimestamp?: string;
}

/** Live status read from the cluster. @public */
export interface DevSessionStatus {
  projectUuid: string;
  state: DevSessionState;
  cluster: string;
  /** False when the cluster could not be reached; the rest is then the last known state. */
  clusterReachable: boolean;
  pod?: {
    name: string;
    phase: string;
    conditions: DevSessionPodCondition[];
    startTime?: string;
  };
  containers: DevSessionContainerStatus[];
  events: DevSessionEvent[];
  endpoints: Record<DevSessionRole, DevSessionEndpoint & { ready: boolean }>;
  checkedAt: string;
}

/**
 * A validated get-or-create request, as the backend acts on it (the REST body after defaults
 * and checks). @public
 */
export interface DevSessionSpec {
  projectUuid: string;
  projectId: string;
  /** Owner entity ref, normalised (`user:default/jane`). */
  owner: string;
  component?: string;
  size: DevSessionSize;
  /** Chart values the user asked for (only the paths the platform's policy allows). */
  values: Record<string, unknown>;
}

/**
 * A change of a session, published by the dev-sessions backend on the events service
 * (topic {@link DEV_SESSIONS_EVENT_TOPIC}). @public
 */
export type DevSessionChange =
  | { type: 'upsert'; session: DevSession }
  | { type: 'delete'; projectUuid: string; entityRef: string };
