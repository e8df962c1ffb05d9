import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import { LABEL_DEV_SESSION_PROJECT_UUID } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { isApiException } from './apiCall';
import { MetadataList, MetadataLister } from './MetadataLister';
import { ClusterTarget } from './ClusterTarget';
import {
  assertNamespaceOurs,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  notOursReason,
} from './ownership';
import { PodSnapshot, toPodSnapshot } from './podSnapshot';
import { readyUpstreams, Upstream } from './serviceEndpoints';
import { ensureSessionNamespace, NamespaceApis } from './sessionNamespace';

/** Kubernetes operations of the sessions service. Errors reaching the cluster become 503s. */
export class Cluster {
  private readonly core: k8s.CoreV1Api;
  private readonly rbac: k8s.RbacAuthorizationV1Api;
  private readonly authz: k8s.AuthorizationV1Api;
  private readonly discovery: k8s.DiscoveryV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly metadata: MetadataLister;

  constructor(
    readonly target: ClusterTarget,
    private readonly logger?: LoggerService,
    /** This installation's name (devSessions.instance), a label of every namespace it makes. */
    readonly instance = 'default',
  ) {
    this.core = target.kc.makeApiClient(k8s.CoreV1Api);
    this.rbac = target.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    this.authz = target.kc.makeApiClient(k8s.AuthorizationV1Api);
    this.discovery = target.kc.makeApiClient(k8s.DiscoveryV1Api);
    this.apps = target.kc.makeApiClient(k8s.AppsV1Api);
    this.metadata = new MetadataLister(target.kc);
  }

  get name() {
    return this.target.name;
  }

  private unreachable(e: unknown): never {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ServiceUnavailableError(
      `Kubernetes cluster "${this.name}" (${
        this.target.source
      }) is unreachable: ${detail.split('\n')[0]}`,
    );
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isApiException(e)) throw e;
      return this.unreachable(e);
    }
  }

  /** Throws 503 naming the cluster when the API server does not answer. */
  async checkReachable(): Promise<void> {
    await this.call(() =>
      this.target.kc.makeApiClient(k8s.VersionApi).getCode(),
    );
  }

  /**
   * Whether the namespace is ours for this project: `absent`, `owned` (our managed-by label and
   * this project's label), `foreign` (anything else; `reason` says why) or `deleting`.
   */
  async namespaceOwnership(
    namespace: string,
    projectUuid: string,
  ): Promise<{
    state: 'absent' | 'owned' | 'foreign' | 'deleting';
    reason?: string;
    namespace?: k8s.V1Namespace;
  }> {
    let ns: k8s.V1Namespace;
    try {
      ns = await this.call(() => this.core.readNamespace({ name: namespace }));
    } catch (e) {
      if (isApiException(e) && e.code === 404) return { state: 'absent' };
      throw e;
    }
    const reason = notOursReason(ns, projectUuid);
    if (reason) return { state: 'foreign', reason, namespace: ns };
    if (ns.metadata?.deletionTimestamp)
      return { state: 'deleting', namespace: ns };
    return { state: 'owned', namespace: ns };
  }

  /**
   * Throws 409 (ConflictError, with the reason) when the namespace exists and is not ours for
   * the project, 503 when it is still being deleted; fine when it is absent or ours. Call it
   * before storing or retrying a session, so the caller gets the 409 at once.
   */
  async assertNamespaceUsable(
    namespace: string,
    projectUuid: string,
  ): Promise<void> {
    const own = await this.namespaceOwnership(namespace, projectUuid);
    if (own.namespace)
      assertNamespaceOurs(namespace, own.namespace, projectUuid);
  }

  /**
   * Creates the project namespace with its labels and the configured RoleBinding, or uses an
   * existing one only when it is ours for this project (see sessionNamespace.ts).
   */
  async ensureNamespace(namespace: string, projectUuid: string): Promise<void> {
    // the clients are read at each call (tests replace them)
    const apis: NamespaceApis = {
      core: this.core,
      rbac: this.rbac,
      authz: this.authz,
      call: fn => this.call(fn),
    };
    await ensureSessionNamespace(
      apis,
      namespace,
      projectUuid,
      this.target.sessionRoleBinding,
      this.instance,
    );
  }

  /**
   * Deletes the namespace and waits until it is gone (up to timeoutMs). Only a namespace that is
   * ours for the project (by default the project UUID is the namespace name) is deleted; another
   * one is left alone (`not-owned`, logged) so deleting a session stays idempotent but can never
   * remove what dev sessions did not create.
   */
  async deleteNamespace(
    namespace: string,
    opts: { projectUuid?: string; timeoutMs?: number; wait?: boolean } = {},
  ): Promise<'deleted' | 'absent' | 'not-owned'> {
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const own = await this.namespaceOwnership(
      namespace,
      opts.projectUuid ?? namespace,
    );
    if (own.state === 'absent') return 'absent';
    if (own.state === 'foreign') {
      this.logger?.warn(
        `Not deleting namespace ${namespace}: it ${own.reason}`,
      );
      return 'not-owned';
    }
    if (own.state === 'owned') {
      try {
        await this.call(() =>
          this.core.deleteNamespace({
            name: namespace,
            // exactly the namespace that was checked, not one re-created meanwhile
            body: { preconditions: { uid: own.namespace?.metadata?.uid } },
          }),
        );
      } catch (e) {
        if (isApiException(e) && e.code === 404) return 'absent';
        throw e;
      }
    }
    if (opts.wait === false) return 'deleted';
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.call(() => this.core.readNamespace({ name: namespace }));
      } catch (e) {
        if (isApiException(e) && e.code === 404) return 'deleted';
        throw e;
      }
      await new Promise(r => setTimeout(r, 500));
    }
    throw new ServiceUnavailableError(
      `Namespace ${namespace} was not deleted within ${timeoutMs / 1000}s`,
    );
  }

  async namespaceExists(namespace: string): Promise<boolean> {
    try {
      await this.call(() => this.core.readNamespace({ name: namespace }));
      return true;
    } catch (e) {
      if (isApiException(e) && e.code === 404) return false;
      throw e;
    }
  }

  /**
   * Waits until every Deployment of the release in the namespace has rolled out (what
   * `kubectl rollout status` checks: the controller saw the spec, and all replicas are updated,
   * ready and available, with no old ones left), polling every `pollMs`. Helm's own `--wait`
   * polls every 2 s; a start that only scales 0 -> 1 is ready in a fraction of that. Throws after
   * `timeoutMs` with what is not ready, or when `signal` aborts.
   */
  async waitForRollout(
    namespace: string,
    release: string,
    opts: { timeoutMs: number; signal?: AbortSignal; pollMs?: number },
  ): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    let pending: string[] = [];
    for (;;) {
      opts.signal?.throwIfAborted();
      const list = await this.call(() =>
        this.apps.listNamespacedDeployment({
          namespace,
          labelSelector: `app.kubernetes.io/instance=${release}`,
        }),
      );
      if (list.items.length === 0)
        throw new Error(
          `No Deployment of release ${release} in namespace ${namespace} (label app.kubernetes.io/instance=${release}) to wait for`,
        );
      // conditions that will not heal by waiting: fail now, naming them
      const stuck = list.items.flatMap(d =>
        (d.status?.conditions ?? [])
          .filter(
            c =>
              (c.type === 'ReplicaFailure' && c.status === 'True') ||
              (c.type === 'Progressing' &&
                c.reason === 'ProgressDeadlineExceeded'),
          )
          .map(
            c => `Deployment ${d.metadata?.name}: ${c.reason}: ${c.message}`,
          ),
      );
      if (stuck.length) throw new Error(stuck.join('; '));
      pending = list.items.flatMap(d => {
        const want = d.spec?.replicas ?? 1;
        const st = d.status ?? {};
        const done =
          (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
          (st.updatedReplicas ?? 0) === want &&
          (st.readyReplicas ?? 0) === want &&
          (st.availableReplicas ?? 0) === want &&
          (st.replicas ?? 0) === want;
        if (done) return [];
        const progressing = st.conditions?.find(c => c.type === 'Progressing');
        return [
          `Deployment ${d.metadata?.name}: ${
            st.readyReplicas ?? 0
          }/${want} ready${
            progressing?.message ? ` (${progressing.message})` : ''
          }`,
        ];
      });
      if (pending.length === 0) return;
      if (Date.now() >= deadline)
        throw new Error(
          `Not ready after ${Math.round(
            opts.timeoutMs / 1000,
          )} s: ${pending.join('; ')}`,
        );
      await new Promise(r => setTimeout(r, opts.pollMs ?? 250));
    }
  }

  /** The session's pod (newest first), containers and recent events. */
  async snapshot(namespace: string, projectUuid: string): Promise<PodSnapshot> {
    const selector = `${LABEL_DEV_SESSION_PROJECT_UUID}=${projectUuid},app.kubernetes.io/component=session`;
    let pods: k8s.V1PodList;
    try {
      pods = await this.call(() =>
        this.core.listNamespacedPod({ namespace, labelSelector: selector }),
      );
    } catch (e) {
      if (isApiException(e) && e.code === 404)
        throw new NotFoundError(`Namespace ${namespace} does not exist`);
      if (isApiException(e) && e.code === 403) {
        // with least-privilege RBAC the backend can read only namespaces it bound itself into
        const own = await this.namespaceOwnership(namespace, projectUuid);
        if (own.state === 'absent')
          throw new NotFoundError(`Namespace ${namespace} does not exist`);
        if (own.state === 'foreign')
          throw new NotFoundError(`Namespace ${namespace} ${own.reason}`);
      }
      throw e;
    }
    const events = await this.call(() =>
      this.core.listNamespacedEvent({ namespace }),
    );
    return toPodSnapshot(pods.items, events.items);
  }

  /** Where a Service port is served now (its ready endpoints); empty when nothing is ready. */
  async upstreams(
    namespace: string,
    service: string,
    port: number,
  ): Promise<Upstream[]> {
    let svc: k8s.V1Service;
    try {
      svc = await this.call(() =>
        this.core.readNamespacedService({ namespace, name: service }),
      );
    } catch (e) {
      if (isApiException(e) && e.code === 404) return [];
      throw e;
    }
    const slices = await this.call(() =>
      this.discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: `kubernetes.io/service-name=${service}`,
      }),
    );
    return readyUpstreams(svc, port, slices.items);
  }

  /** A Secret's data, decoded; undefined when there is no such Secret. */
  async readSecretData(
    namespace: string,
    name: string,
  ): Promise<Record<string, string> | undefined> {
    try {
      const secret = await this.call(() =>
        this.core.readNamespacedSecret({ namespace, name }),
      );
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString(),
        ]),
      );
    } catch (e) {
      if (isApiException(e) && e.code === 404) return undefined;
      throw e;
    }
  }

  /** Creates a Secret of dev sessions, or replaces its data when it exists. */
  async writeSecret(
    namespace: string,
    name: string,
    data: Record<string, string>,
    labels: Record<string, string>,
  ): Promise<void> {
    const body: k8s.V1Secret = {
      metadata: {
        name,
        namespace,
        labels: { [LABEL_MANAGED_BY]: MANAGED_BY, ...labels },
      },
      type: 'Opaque',
      stringData: data,
    };
    try {
      await this.call(() =>
        this.core.createNamespacedSecret({ namespace, body }),
      );
    } catch (e) {
      if (!(isApiException(e) && e.code === 409)) throw e;
      await this.call(() =>
        this.core.replaceNamespacedSecret({ namespace, name, body }),
      );
    }
  }

  /**
   * The namespaces this installation made (labelled as dev sessions' with its instance name),
   * whatever project they name: what orphan detection compares with the sessions.
   */
  async ourNamespaces(): Promise<
    {
      name: string;
      projectUuid?: string;
      deleting: boolean;
      createdAt?: string;
    }[]
  > {
    const list = await this.call(() =>
      this.core.listNamespace({
        labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_INSTANCE}=${this.instance}`,
      }),
    );
    return list.items.map(ns => ({
      name: ns.metadata!.name!,
      projectUuid: ns.metadata?.labels?.[LABEL_DEV_SESSION_PROJECT_UUID],
      deleting: Boolean(ns.metadata?.deletionTimestamp),
      createdAt: ns.metadata?.creationTimestamp
        ? new Date(ns.metadata.creationTimestamp).toISOString()
        : undefined,
    }));
  }

  /** Names of the Helm releases stored in a namespace (Helm 3 keeps them in Secrets). */
  async helmReleases(namespace: string): Promise<string[]> {
    try {
      const secrets = await this.call(() =>
        this.core.listNamespacedSecret({
          namespace,
          labelSelector: 'owner=helm',
        }),
      );
      return [
        ...new Set(
          secrets.items
            .map(x => x.metadata?.labels?.name)
            .filter((n): n is string => Boolean(n)),
        ),
      ].sort();
    } catch (e) {
      // without a RoleBinding there (least privilege) the releases cannot be listed
      if (isApiException(e) && (e.code === 403 || e.code === 404)) return [];
      throw e;
    }
  }

  /**
   * A Helm release's latest revision and its status, read in-process from Helm 3's storage
   * (one Secret per revision, labelled owner=helm, name, version, status; only their labels are
   * fetched): what `helm status` answers, without a helm process. Undefined when the namespace
   * holds no such release.
   */
  async helmReleaseStatus(
    namespace: string,
    release: string,
  ): Promise<{ status: string; revision: number } | undefined> {
    let secrets: MetadataList;
    try {
      // labels only, over kept-alive connections: called for every session by the reconcile
      secrets = await this.call(() =>
        this.metadata.list(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
          `owner=helm,name=${release}`,
        ),
      );
    } catch (e) {
      if (isApiException(e) && e.code === 404) return undefined;
      throw e;
    }
    let latest: { status: string; revision: number } | undefined;
    for (const x of secrets.items) {
      const revision = Number(x.metadata?.labels?.version);
      const status = x.metadata?.labels?.status;
      if (!status || !Number.isInteger(revision)) continue;
      if (!latest || revision > latest.revision) latest = { status, revision };
    }
    return latest;
  }
}
