import { LABEL_DEV_SESSION_PROJECT_UUID } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { KubeObject, parseManifest, refuse } from './manifest';

/** The kinds charts/dev-session renders (`apiVersion/Kind`); all of them namespaced. */
export const DEFAULT_ALLOWED_KINDS = [
  'v1/ServiceAccount',
  'v1/Service',
  'v1/PersistentVolumeClaim',
  'v1/ResourceQuota',
  'v1/LimitRange',
  'v1/Pod',
  'apps/v1/Deployment',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
];

/** Volume sources a session's pods may use (no hostPath, no other namespaces' data). */
const ALLOWED_VOLUME_SOURCES = [
  'persistentVolumeClaim',
  'emptyDir',
  'configMap',
  'secret',
  'projected',
  'downwardAPI',
];

/**
 * Checks what Helm rendered for a session before it is installed: only the allowed kinds, every
 * object in the session's namespace (none cluster-scoped, none elsewhere), labelled with the
 * session's project UUID, and pods without host access. This is the last line against values
 * that smuggle objects into the manifest; it runs on the `helm template` output of exactly the
 * values that are then installed.
 */
export class ManifestCheck {
  private readonly allowed: Set<string>;

  constructor(allowedKinds: string[] = DEFAULT_ALLOWED_KINDS) {
    this.allowed = new Set(allowedKinds);
  }

  /** Parses and checks a manifest; returns the objects as `Kind/name`. */
  check(
    manifests: string,
    session: { namespace: string; projectUuid: string },
  ): string[] {
    return this.checkObjects(parseManifest(manifests), session);
  }

  /**
   * Returns the objects as `Kind/name`; throws an InputError naming the first offending object.
   */
  checkObjects(
    docs: KubeObject[],
    session: { namespace: string; projectUuid: string },
  ): string[] {
    const objects: string[] = [];
    for (const o of docs) {
      const name = o.metadata?.name;
      const id = `${o.kind}/${name}`;
      const kind = `${o.apiVersion}/${o.kind}`;
      if (!this.allowed.has(kind)) {
        refuse(
          id,
          `has kind ${kind}, which a dev session may not create (allowed: ${[
            ...this.allowed,
          ].join(', ')})`,
        );
      }
      if (
        typeof name !== 'string' ||
        !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)
      ) {
        refuse(id, 'has no valid metadata.name');
      }
      const ns = o.metadata?.namespace;
      if (ns !== undefined && ns !== session.namespace) {
        refuse(
          id,
          `is in namespace ${JSON.stringify(
            ns,
          )}, outside the session's namespace ${session.namespace}`,
        );
      }
      if (
        o.metadata?.labels?.[LABEL_DEV_SESSION_PROJECT_UUID] !==
        session.projectUuid
      ) {
        refuse(
          id,
          `does not carry the label ${LABEL_DEV_SESSION_PROJECT_UUID}=${session.projectUuid}`,
        );
      }
      const pod = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
      if (pod) this.checkPod(id, pod);
      objects.push(id);
    }
    return objects;
  }

  private checkPod(id: string, pod: any) {
    for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (pod[flag] === true) refuse(id, `sets ${flag}`);
    }
    if (pod.nodeName) refuse(id, 'sets nodeName');
    for (const v of pod.volumes ?? []) {
      const source = Object.keys(v).find(k => k !== 'name');
      if (!source || !ALLOWED_VOLUME_SOURCES.includes(source)) {
        refuse(
          id,
          `mounts a ${
            source ?? 'unknown'
          } volume (allowed: ${ALLOWED_VOLUME_SOURCES.join(', ')})`,
        );
      }
    }
    for (const c of [
      ...(pod.containers ?? []),
      ...(pod.initContainers ?? []),
    ]) {
      if (c.securityContext?.privileged === true)
        refuse(id, `runs container ${c.name} privileged`);
    }
  }
}
