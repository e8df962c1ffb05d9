import {
  ANNOTATION_DEV_SESSION_PATH,
  ANNOTATION_DEV_SESSION_ROLE,
  DEV_SESSION_ROLES,
  DevSessionRole,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { KubeObject } from './manifest';

/** Where the gateway reaches one role: the role's Service (by name and port) in the namespace. */
export interface SessionTarget {
  service: string;
  port: number;
  /** The role's path as the chart names it (informational). */
  path: string;
}

export type SessionTargets = Record<DevSessionRole, SessionTarget>;

/**
 * The session's roles, read from what the chart rendered: every Service annotated with
 * `dev-sessions.io/role` is one role, reached at its name and first port. So
 * `fullnameOverride`, another chart (`chart.ref`) or other ports need no code here.
 */
export function targetsFromManifest(objects: KubeObject[]): SessionTargets {
  const out: Partial<SessionTargets> = {};
  for (const o of objects) {
    const role = o.metadata?.annotations?.[ANNOTATION_DEV_SESSION_ROLE];
    const name = o.metadata?.name;
    const port = o.spec?.ports?.[0]?.port;
    if (o.kind !== 'Service' || !role || !name || typeof port !== 'number')
      continue;
    if (!(DEV_SESSION_ROLES as readonly string[]).includes(role)) continue;
    const path =
      o.metadata?.annotations?.[ANNOTATION_DEV_SESSION_PATH] ?? `/${role}`;
    out[role as DevSessionRole] = { service: name, port, path };
  }
  return out as SessionTargets;
}

/** The in-cluster address of a role's Service. */
export function internalUrl(namespace: string, t: SessionTarget): string {
  return `http://${t.service}.${namespace}.svc.cluster.local:${t.port}/`;
}

/**
 * A target stored before targets were kept by name (`{ url, path }` with the in-cluster URL):
 * read back into a target, so older rows keep working.
 */
export function storedTarget(raw: any): SessionTarget | undefined {
  if (typeof raw?.service === 'string' && typeof raw?.port === 'number')
    return { service: raw.service, port: raw.port, path: String(raw.path) };
  const m =
    typeof raw?.url === 'string'
      ? /^http:\/\/([a-z0-9-]+)\.[a-z0-9-]+\.svc\.cluster\.local:(\d+)\//.exec(
          raw.url,
        )
      : null;
  return m
    ? { service: m[1], port: Number(m[2]), path: String(raw.path) }
    : undefined;
}
