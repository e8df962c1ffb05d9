import {
  ANNOTATION_DEV_SESSION_PATH,
  ANNOTATION_DEV_SESSION_ROLE,
  DevSessionEndpoint,
  DevSessionRole,
} from '@internal/backstage-plugin-dev-sessions-common';
import { UrlSettings } from '../config/settings';
import { KubeObject } from './manifest';

type Endpoints = Record<DevSessionRole, DevSessionEndpoint>;

interface IngressPath {
  host?: string;
  path: string;
}

/** Where each Service is reached through the rendered Ingresses (host and path). */
function ingressPaths(objects: KubeObject[]): Map<string, IngressPath> {
  const out = new Map<string, IngressPath>();
  for (const o of objects) {
    if (o.kind !== 'Ingress') continue;
    for (const rule of o.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const service = p.backend?.service?.name;
        if (typeof service === 'string' && !out.has(service))
          out.set(service, { host: rule.host, path: p.path ?? '/' });
      }
    }
  }
  return out;
}

/**
 * The session's links, read from what the chart rendered: every Service annotated with
 * `dev-sessions.io/role` is one role; its name and first port give the in-cluster address, and
 * an Ingress rule pointing at it gives the public one. So `fullnameOverride`, another chart
 * (`chart.ref`) or other ports need no code here.
 */
export function endpointsFromManifest(
  objects: KubeObject[],
  namespace: string,
  urls: UrlSettings,
): Endpoints {
  const viaIngress = ingressPaths(objects);
  const out: Record<string, DevSessionEndpoint> = {};
  for (const o of objects) {
    const role = o.metadata?.annotations?.[ANNOTATION_DEV_SESSION_ROLE];
    const name = o.metadata?.name;
    if (o.kind !== 'Service' || !role || !name) continue;
    const path =
      o.metadata?.annotations?.[ANNOTATION_DEV_SESSION_PATH] ?? `/${role}`;
    const port = o.spec?.ports?.[0]?.port;
    const ingress = urls.mode === 'service' ? undefined : viaIngress.get(name);
    const url = ingress?.host
      ? `${urls.scheme}://${ingress.host}${ingress.path}`
      : `http://${name}.${namespace}.svc.cluster.local${
          port ? `:${port}` : ''
        }/`;
    out[role] = { url, path };
  }
  return out as Endpoints;
}
