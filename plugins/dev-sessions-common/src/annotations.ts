/**
 * Annotation on any catalog entity (a project's Component, or the dev-session Resource itself)
 * that ties it to a dev session: its value is the project UUID. Entities carrying it show the
 * dev session card. The same key is the label on every Kubernetes object of the session.
 * @public
 */
export const ANNOTATION_DEV_SESSION_PROJECT_UUID =
  'dev-sessions.io/project-uuid';

/** Kubernetes label carrying the project UUID on every object of a session. @public */
export const LABEL_DEV_SESSION_PROJECT_UUID =
  ANNOTATION_DEV_SESSION_PROJECT_UUID;

/** `spec.type` of the catalog Resource entity emitted for each session. @public */
export const DEV_SESSION_ENTITY_TYPE = 'dev-session';

/** Pattern of a project UUID (RFC 4122 textual form, any version, lower or upper case). @public */
export const PROJECT_UUID_PATTERN =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when the value is a project UUID. @public */
export function isProjectUuid(value: unknown): value is string {
  return typeof value === 'string' && PROJECT_UUID_PATTERN.test(value);
}

/**
 * Events-service topic on which the dev-sessions backend publishes every change of a session:
 * `{ type: 'upsert', session }` or `{ type: 'delete', projectUuid, entityRef }`.
 * @public
 */
export const DEV_SESSIONS_EVENT_TOPIC = 'dev-sessions.changed';

/**
 * Annotation on each of a session's role Services (preview, chat, vscode, …): the role it
 * serves. The backend builds the session's links from the rendered chart's Services carrying
 * it, so the chart is the single source of names, ports and paths. @public
 */
export const ANNOTATION_DEV_SESSION_ROLE = 'dev-sessions.io/role';

/** Annotation on a role Service: the role's URL path behind a shared ingress host. @public */
export const ANNOTATION_DEV_SESSION_PATH = 'dev-sessions.io/path';
