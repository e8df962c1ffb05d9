import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  DEV_SESSION_ROLES,
  DevSession,
  DevSessionEndpoint,
  DevSessionRole,
  DevSessionSize,
  DevSessionStatus,
  devSessionEntityRef,
} from '@internal/backstage-plugin-dev-sessions-common';
import Ajv, { ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Cluster } from './cluster';
import { ChartSource, Helm } from './helm';
import { DEFAULT_ALLOWED_KINDS, ManifestCheck } from './ManifestCheck';
import { NewSession, SessionStore, StoredSession } from './store';
import { CreateSessionRequest } from './validation';
import { ValuesPolicy } from './ValuesPolicy';

/** Settings of the service, read from `devSessions` config. */
export interface DevSessionsSettings {
  chart: ChartSource;
  chartVersion: string;
  /** values.schema.json of the chart, when it is local. */
  chartSchema?: object;
  releaseName: string;
  timeoutSeconds: number;
  defaultValues: Record<string, unknown>;
  defaultSize: DevSessionSize;
  urls: {
    mode: 'service' | 'ingress-path' | 'ingress-host';
    host?: string;
    scheme: 'http' | 'https';
  };
  /** What users may set in chart values, and the caps (devSessions.values). */
  policy: ValuesPolicy;
  /** The check of every rendered manifest before it is installed. */
  manifestCheck: ManifestCheck;
}

/** Reads and checks `devSessions` configuration. */
export function readSettings(
  config: Config,
  repoRoot: string,
): DevSessionsSettings {
  const c = config.getOptionalConfig('devSessions');
  const ref = c?.getOptionalString('chart.ref');
  let chart: ChartSource;
  let chartVersion = c?.getOptionalString('chart.version') ?? 'unknown';
  let chartSchema: object | undefined;
  if (ref) {
    chart = {
      kind: 'ref',
      ref,
      repository: c?.getOptionalString('chart.repository'),
      version: c?.getOptionalString('chart.version'),
    };
  } else {
    const p = path.resolve(
      repoRoot,
      c?.getOptionalString('chart.path') ?? 'charts/dev-session',
    );
    const chartYaml = path.join(p, 'Chart.yaml');
    if (!fs.existsSync(chartYaml))
      throw new Error(`devSessions.chart.path: no Chart.yaml in ${p}`);
    chart = { kind: 'path', path: p };
    chartVersion = String(
      parseYaml(fs.readFileSync(chartYaml, 'utf8')).version,
    );
    const schemaFile = path.join(p, 'values.schema.json');
    if (fs.existsSync(schemaFile))
      chartSchema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  }
  const mode = (c?.getOptionalString('urls.mode') ??
    'service') as DevSessionsSettings['urls']['mode'];
  if (!['service', 'ingress-path', 'ingress-host'].includes(mode)) {
    throw new Error(
      `devSessions.urls.mode must be service, ingress-path or ingress-host, not "${mode}"`,
    );
  }
  const host = c?.getOptionalString('urls.host');
  if (mode !== 'service' && !host)
    throw new Error(`devSessions.urls.host is required with urls.mode ${mode}`);
  if (host !== undefined && !host.includes('{projectUuid}')) {
    throw new Error(
      `devSessions.urls.host must contain {projectUuid} so that every session gets its own host, not "${host}"`,
    );
  }
  const releaseName = c?.getOptionalString('releaseName') ?? 'dev-session';
  if (!/^[a-z]([-a-z0-9]{0,51}[a-z0-9])?$/.test(releaseName)) {
    throw new Error(
      'devSessions.releaseName must be a DNS label starting with a letter, at most 53 characters',
    );
  }
  return {
    chart,
    chartVersion,
    chartSchema,
    releaseName,
    timeoutSeconds: c?.getOptionalNumber('helm.timeoutSeconds') ?? 300,
    defaultValues:
      (c?.getOptional('defaultValues') as Record<string, unknown>) ?? {},
    defaultSize:
      (c?.getOptionalString('defaultSize') as DevSessionSize) ?? 'medium',
    urls: {
      mode,
      host,
      scheme:
        (c?.getOptionalString('urls.scheme') as 'http' | 'https') ?? 'https',
    },
    policy: ValuesPolicy.fromConfig(c),
    manifestCheck: new ManifestCheck(
      c?.getOptionalStringArray('chart.allowedKinds') ?? DEFAULT_ALLOWED_KINDS,
    ),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars of later sources win. */
export function mergeValues(
  ...sources: Array<Record<string, unknown> | undefined>
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sources) {
    if (!s) continue;
    for (const [k, v] of Object.entries(s)) {
      out[k] =
        isObject(v) && isObject(out[k])
          ? mergeValues(out[k] as Record<string, unknown>, v)
          : v;
    }
  }
  return out;
}

const CHART_PORTS: Record<DevSessionRole, number> = {
  preview: 3000,
  chat: 3001,
  vscode: 8080,
};
const CHART_PATHS: Record<DevSessionRole, string> = {
  preview: '/preview',
  chat: '/chat',
  vscode: '/vscode',
};

/** A change of a session, for listeners such as the catalog entity provider. */
export type SessionChange =
  | { type: 'upsert'; session: DevSession }
  | { type: 'delete'; projectUuid: string; entityRef: string };

/** Options of one get-or-create call. */
export interface GetOrCreateOptions {
  wait?: boolean;
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

/** Owns dev sessions: the store, Helm and the cluster. */
export class DevSessionsService {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(c: SessionChange) => void>();
  private readonly validateChartValues?: ValidateFunction;

  constructor(
    private readonly deps: {
      store: SessionStore;
      helm: Helm;
      cluster?: Cluster;
      logger: LoggerService;
      settings: DevSessionsSettings;
    },
  ) {
    if (deps.settings.chartSchema) {
      const ajv = new Ajv({ allErrors: true, strict: false });
      this.validateChartValues = ajv.compile(deps.settings.chartSchema);
    }
  }

  /** Size used when a request names none. */
  get defaultSize(): DevSessionSize {
    return this.deps.settings.defaultSize;
  }

  /** Name of the cluster sessions run on. */
  get clusterName(): string {
    return this.deps.cluster?.name ?? 'none';
  }

  onChange(listener: (c: SessionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(c: SessionChange) {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (e) {
        this.deps.logger.warn(`dev-sessions change listener failed: ${e}`);
      }
    }
  }

  private requireCluster(): Cluster {
    if (!this.deps.cluster) {
      throw new ServiceUnavailableError(
        'No Kubernetes cluster is configured for dev sessions (set devSessions.cluster, kubernetes.clusterLocatorMethods or KUBECONFIG)',
      );
    }
    return this.deps.cluster;
  }

  private toPublic(s: StoredSession): DevSession {
    const { values: _values, ...rest } = s;
    return {
      ...rest,
      entityRef: devSessionEntityRef(s.projectId, s.projectUuid),
      cluster: this.clusterName,
    };
  }

  private fullname(): string {
    const r = this.deps.settings.releaseName;
    return (r.includes('dev-session') ? r : `${r}-dev-session`)
      .slice(0, 55)
      .replace(/-+$/, '');
  }

  /**
   * Chart values for a request: platform defaults < the user's values (only the paths the
   * policy allows) < enforced platform values < what dev-sessions sets itself (project, owner,
   * size, ingress and the namespace guardrails). Throws a 400 naming the value path when the
   * user's values break the policy, the chart's schema or the caps.
   */
  buildValues(req: CreateSessionRequest): Record<string, unknown> {
    const { urls, policy } = this.deps.settings;
    policy.checkUserValues(req.values);
    const fixed: Record<string, unknown> = {
      project: { uuid: req.projectUuid, id: req.projectId },
      user: { id: req.owner },
      size: req.size,
      // guardrails every session namespace gets; the platform tunes them in defaultValues
      networkPolicy: { enabled: true },
      quota: { enabled: true },
      limitRange: { enabled: true },
      ingress:
        urls.mode === 'service'
          ? { enabled: false }
          : {
              enabled: true,
              mode: urls.mode === 'ingress-host' ? 'host' : 'path',
              host: urls.host!.replace('{projectUuid}', req.projectUuid),
            },
    };
    const values = mergeValues(
      this.deps.settings.defaultValues,
      req.values,
      policy.enforced,
      fixed,
    );
    const effective = mergeValues(this.chartDefaults(), values);
    if (this.validateChartValues) {
      // validate against the chart's schema merged over the chart defaults' shape
      const ok = this.validateChartValues(effective);
      if (!ok) {
        const first = this.validateChartValues.errors![0];
        const where = first.instancePath
          ? first.instancePath.slice(1).replace(/\//g, '.')
          : '';
        const extra =
          first.keyword === 'additionalProperties'
            ? ` (${(first.params as any).additionalProperty})`
            : '';
        throw new InputError(
          `Invalid values${where ? `.${where}` : ''}: ${first.message}${extra}`,
        );
      }
    }
    policy.checkCaps(effective, req.values);
    return values;
  }

  /**
   * Renders the chart with these values (`helm template`) and checks the manifest (kinds,
   * namespace, labels, host access) before anything is stored or installed.
   */
  private async renderChecked(
    projectUuid: string,
    values: Record<string, unknown>,
  ) {
    const manifests = await this.deps.helm.template({
      release: this.deps.settings.releaseName,
      namespace: projectUuid,
      chart: this.deps.settings.chart,
      values,
    });
    const objects = this.deps.settings.manifestCheck.check(manifests, {
      namespace: projectUuid,
      projectUuid,
    });
    return { manifests, objects };
  }

  private chartDefaultsCache?: Record<string, unknown>;
  private chartDefaults(): Record<string, unknown> {
    if (!this.chartDefaultsCache) {
      const chart = this.deps.settings.chart;
      this.chartDefaultsCache =
        chart.kind === 'path'
          ? parseYaml(
              fs.readFileSync(path.join(chart.path, 'values.yaml'), 'utf8'),
            ) ?? {}
          : {};
    }
    return this.chartDefaultsCache!;
  }

  private endpoints(
    projectUuid: string,
    values: Record<string, unknown>,
  ): Record<DevSessionRole, DevSessionEndpoint> {
    const { urls } = this.deps.settings;
    const svc = mergeValues(this.chartDefaults(), values).service as any;
    const out = {} as Record<DevSessionRole, DevSessionEndpoint>;
    for (const role of DEV_SESSION_ROLES) {
      const port = svc?.[role]?.port ?? CHART_PORTS[role];
      const p = svc?.[role]?.path ?? CHART_PATHS[role];
      const host = urls.host?.replace('{projectUuid}', projectUuid);
      let url: string;
      if (urls.mode === 'ingress-path') url = `${urls.scheme}://${host}${p}`;
      else if (urls.mode === 'ingress-host')
        url = `${urls.scheme}://${role}.${host}/`;
      else
        url = `http://${this.fullname()}-${role}.${projectUuid}.svc.cluster.local:${port}/`;
      out[role] = { url, path: p };
    }
    return out;
  }

  /** What `dev-session:create` would install, without changing anything (dry run). */
  async render(
    req: CreateSessionRequest,
  ): Promise<{ session: DevSession; manifests: string; objects: string[] }> {
    const values = this.buildValues(req);
    const { manifests, objects } = await this.renderChecked(
      req.projectUuid,
      values,
    );
    const now = new Date().toISOString();
    const { values: _v, ...planned } = this.newSession(req, values);
    return {
      session: {
        ...planned,
        state: 'provisioning',
        entityRef: devSessionEntityRef(req.projectId, req.projectUuid),
        cluster: this.clusterName,
        createdAt: now,
        updatedAt: now,
      },
      manifests,
      objects,
    };
  }

  /** The stored form of a new session for a request. */
  private newSession(
    req: CreateSessionRequest,
    values: Record<string, unknown>,
  ): NewSession {
    return {
      projectUuid: req.projectUuid,
      projectId: req.projectId,
      owner: req.owner,
      component: req.component,
      namespace: req.projectUuid,
      releaseName: this.deps.settings.releaseName,
      chartVersion: this.deps.settings.chartVersion,
      size: req.size,
      values: req.values,
      endpoints: this.endpoints(req.projectUuid, values),
    };
  }

  /**
   * Get-or-create: returns the project's session, creating it (one Helm release) when there is
   * none, and retrying a `failed` one. Concurrent calls for one project create it once.
   */
  async getOrCreate(
    req: CreateSessionRequest,
    opts: GetOrCreateOptions = {},
  ): Promise<GetOrCreateResult> {
    const values = this.buildValues(req);
    const cluster = this.requireCluster();
    await cluster.checkReachable();
    const timeoutSeconds =
      opts.timeoutSeconds ?? this.deps.settings.timeoutSeconds;

    let created = false;
    let retried = false;
    let checked = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.deps.store.get(req.projectUuid);
      if (existing) {
        await opts.authorize?.(this.toPublic(existing), 'read');
        if (existing.state === 'deleting') {
          throw new ConflictError(
            `The dev session of project ${req.projectUuid} is being deleted; try again when it is gone`,
          );
        }
        if (existing.state === 'failed') {
          await opts.authorize?.(this.toPublic(existing), 'update');
          // a retry provisions what was asked for originally, never the caller's values
          const stored: CreateSessionRequest = {
            projectUuid: existing.projectUuid,
            projectId: existing.projectId,
            owner: existing.owner,
            component: existing.component,
            size: existing.size,
            values: existing.values,
          };
          const storedValues = this.buildValues(stored);
          await this.renderChecked(stored.projectUuid, storedValues);
          await cluster.assertNamespaceUsable(
            stored.projectUuid,
            stored.projectUuid,
          );
          const won = await this.deps.store.transition(
            req.projectUuid,
            ['failed'],
            'provisioning',
            { lastError: null },
          );
          if (won) {
            retried = true;
            this.deps.logger.info(
              `Retrying the failed dev session of project ${req.projectUuid}`,
            );
            this.startProvisioning(stored, storedValues, timeoutSeconds);
          }
        }
        break;
      }
      if (!checked) {
        await this.renderChecked(req.projectUuid, values);
        // 409 at once (nothing stored) for a namespace of that name that is not ours
        await cluster.assertNamespaceUsable(req.projectUuid, req.projectUuid);
        checked = true;
      }
      const inserted = await this.deps.store.insertIfAbsent(
        this.newSession(req, values),
      );
      if (inserted) {
        created = true;
        this.deps.logger.info(
          `Creating dev session for project ${req.projectUuid} (owner ${req.owner}, size ${req.size})`,
        );
        this.startProvisioning(req, values, timeoutSeconds);
        break;
      }
    }
    if (opts.wait)
      await this.waitSettled(req.projectUuid, (timeoutSeconds + 90) * 1000);
    const session = await this.deps.store.get(req.projectUuid);
    if (!session)
      throw new ConflictError(
        `The dev session of project ${req.projectUuid} was deleted meanwhile`,
      );
    if (created) this.emit({ type: 'upsert', session: this.toPublic(session) });
    return { session: this.toPublic(session), created, retried };
  }

  private startProvisioning(
    req: CreateSessionRequest,
    values: Record<string, unknown>,
    timeoutSeconds: number,
  ) {
    const cluster = this.requireCluster();
    const run = (async () => {
      try {
        await cluster.ensureNamespace(req.projectUuid, req.projectUuid);
        const release = this.deps.settings.releaseName;
        const recovered = await this.deps.helm.recoverPending(
          release,
          req.projectUuid,
          timeoutSeconds,
        );
        if (recovered)
          this.deps.logger.warn(
            `Dev session of project ${req.projectUuid}: ${recovered}`,
          );
        await this.deps.helm.upgradeInstall({
          release: this.deps.settings.releaseName,
          namespace: req.projectUuid,
          chart: this.deps.settings.chart,
          values,
          timeoutSeconds,
        });
        await this.deps.store.transition(
          req.projectUuid,
          ['provisioning'],
          'ready',
          { lastError: null },
        );
        this.deps.logger.info(
          `Dev session of project ${req.projectUuid} is ready`,
        );
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        this.deps.logger.warn(
          `Dev session of project ${req.projectUuid} failed: ${message}`,
        );
        await this.deps.store.transition(
          req.projectUuid,
          ['provisioning'],
          'failed',
          { lastError: message.slice(0, 4000) },
        );
      }
      const s = await this.deps.store.get(req.projectUuid);
      if (s) this.emit({ type: 'upsert', session: this.toPublic(s) });
    })().finally(() => this.inflight.delete(req.projectUuid));
    this.inflight.set(req.projectUuid, run);
  }

  /**
   * Waits until the session is no longer `provisioning`: the provisioning may run in this call,
   * in a concurrent request that won the insert a moment earlier, or in another backend replica.
   */
  private async waitSettled(
    projectUuid: string,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.inflight.get(projectUuid);
      if (running) await running;
      const s = await this.deps.store.get(projectUuid);
      if (!s || s.state !== 'provisioning' || Date.now() > deadline) return;
      await new Promise(r => setTimeout(r, 250));
    }
  }

  async get(projectUuid: string): Promise<DevSession> {
    const s = await this.deps.store.get(projectUuid);
    if (!s)
      throw new NotFoundError(`Project ${projectUuid} has no dev session`);
    return this.toPublic(s);
  }

  async find(projectUuid: string): Promise<DevSession | undefined> {
    const s = await this.deps.store.get(projectUuid);
    return s && this.toPublic(s);
  }

  async list(filter: { owner?: string } = {}): Promise<DevSession[]> {
    return (await this.deps.store.list(filter)).map(s => this.toPublic(s));
  }

  /** Uninstalls the release and removes the namespace; idempotent (false when there was none). */
  async delete(projectUuid: string): Promise<boolean> {
    const s = await this.deps.store.get(projectUuid);
    if (!s) return false;
    const cluster = this.requireCluster();
    await cluster.checkReachable();
    await this.inflight.get(projectUuid);
    await this.deps.store.transition(
      projectUuid,
      ['provisioning', 'ready', 'failed', 'deleting'],
      'deleting',
    );
    const deleting = await this.deps.store.get(projectUuid);
    if (deleting)
      this.emit({ type: 'upsert', session: this.toPublic(deleting) });
    try {
      // only in a namespace that is ours: never uninstall or delete what dev sessions did not make
      const own = await cluster.namespaceOwnership(s.namespace, s.projectUuid);
      if (own.state === 'owned' || own.state === 'deleting') {
        await this.deps.helm.uninstall(
          s.releaseName,
          s.namespace,
          this.deps.settings.timeoutSeconds,
        );
      }
      await cluster.deleteNamespace(s.namespace, {
        projectUuid: s.projectUuid,
      });
    } catch (e) {
      await this.deps.store.transition(projectUuid, ['deleting'], 'deleting', {
        lastError: String((e as Error).message ?? e),
      });
      throw e;
    }
    await this.deps.store.delete(projectUuid);
    this.emit({
      type: 'delete',
      projectUuid,
      entityRef: devSessionEntityRef(s.projectId, projectUuid),
    });
    this.deps.logger.info(`Deleted dev session of project ${projectUuid}`);
    return true;
  }

  /** Live status from the cluster; 503 naming the cluster when it cannot be reached. */
  async status(projectUuid: string): Promise<DevSessionStatus> {
    const s = await this.get(projectUuid);
    const cluster = this.requireCluster();
    let snap;
    try {
      snap = await cluster.snapshot(s.namespace, s.projectUuid);
    } catch (e) {
      if (e instanceof NotFoundError) snap = { containers: [], events: [] };
      else throw e;
    }
    const ready = (role: DevSessionRole) =>
      snap.containers.find(c => c.name === role)?.ready ?? false;
    const endpoints = {} as DevSessionStatus['endpoints'];
    for (const role of DEV_SESSION_ROLES)
      endpoints[role] = { ...s.endpoints[role], ready: ready(role) };
    return {
      projectUuid: s.projectUuid,
      state: s.state,
      cluster: cluster.name,
      clusterReachable: true,
      pod: snap.pod,
      containers: snap.containers,
      events: snap.events,
      endpoints,
      checkedAt: new Date().toISOString(),
    };
  }

  /**
   * Corrects stored state from the cluster: a provisioning interrupted by a restart, a release
   * that vanished, a deletion that did not finish.
   */
  async reconcile(): Promise<{ checked: number; changed: number }> {
    const cluster = this.deps.cluster;
    if (!cluster) return { checked: 0, changed: 0 };
    try {
      await cluster.checkReachable();
    } catch (e) {
      this.deps.logger.warn(
        `dev-sessions reconcile skipped: ${(e as Error).message}`,
      );
      return { checked: 0, changed: 0 };
    }
    let changed = 0;
    const stale = Date.now() - (this.deps.settings.timeoutSeconds + 60) * 1000;
    const sessions = await this.deps.store.list();
    for (const s of sessions) {
      if (this.inflight.has(s.projectUuid)) continue;
      try {
        if (s.state === 'deleting') {
          await this.delete(s.projectUuid);
          changed++;
          continue;
        }
        if (s.state === 'provisioning' && Date.parse(s.updatedAt) > stale)
          continue;
        if (s.state === 'failed') continue;
        const own = await cluster.namespaceOwnership(
          s.namespace,
          s.projectUuid,
        );
        const rel =
          own.state === 'owned'
            ? await this.deps.helm.status(s.releaseName, s.namespace)
            : undefined;
        let ok = false;
        if (rel?.status === 'deployed' && s.state !== 'ready') {
          ok = await this.deps.store.transition(
            s.projectUuid,
            [s.state],
            'ready',
            { lastError: null },
          );
        } else if (!rel || ['failed', 'uninstalled'].includes(rel.status)) {
          const why = rel
            ? `Helm release is ${rel.status}`
            : 'Helm release not found in the cluster';
          ok = await this.deps.store.transition(
            s.projectUuid,
            [s.state],
            'failed',
            { lastError: `${why} (found by reconcile)` },
          );
        } else if (
          s.state === 'provisioning' &&
          rel.status.startsWith('pending')
        ) {
          ok = await this.deps.store.transition(
            s.projectUuid,
            ['provisioning'],
            'failed',
            {
              lastError: `Provisioning was interrupted (Helm release ${rel.status}); create again to retry`,
            },
          );
        }
        if (ok) {
          changed++;
          const now = await this.deps.store.get(s.projectUuid);
          if (now) this.emit({ type: 'upsert', session: this.toPublic(now) });
        }
      } catch (e) {
        this.deps.logger.warn(
          `dev-sessions reconcile of ${s.projectUuid} failed: ${
            (e as Error).message
          }`,
        );
      }
    }
    return { checked: sessions.length, changed };
  }
}
