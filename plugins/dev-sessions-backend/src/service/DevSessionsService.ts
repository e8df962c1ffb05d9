import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  DevSession,
  DevSessionSize,
  DevSessionSpec,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Knex } from 'knex';
import { RenderedSession, SessionChart } from '../chart/SessionChart';
import { Cluster } from '../cluster/Cluster';
import { DevSessionsSettings } from '../config/settings';
import { GatewayTokenStore } from '../database/GatewayTokenStore';
import { Job, JobStore } from '../database/JobStore';
import { NewSession, SessionStore, specOf } from '../database/SessionStore';
import { JobRunner } from '../jobs/JobRunner';
import { ActivityTokens } from '../lifecycle/ActivityTokens';
import { activityResolutionMs } from '../lifecycle/LifecyclePolicy';
import { StatusCache } from '../status/StatusCache';
import { StatusReader, StatusTiming } from '../status/StatusReader';
import { pageSessions } from './pageSessions';
import { SessionEvents } from './SessionEvents';
import {
  DeleteOptions,
  DevSessionsApi,
  GetOrCreateOptions,
  GetOrCreateResult,
  RenderResult,
  SessionAccess,
  SessionListQuery,
} from './types';

/**
 * The sessions service: get-or-create, delete, read and status. Create and delete store the
 * session's new state together with a durable job (one transaction) and return; the job runner
 * of this replica starts the job at once, and any replica finishes it if this one dies.
 */
export class DevSessionsService implements DevSessionsApi {
  constructor(
    private readonly deps: {
      store: SessionStore;
      jobs: JobStore;
      runner: JobRunner;
      chart: SessionChart;
      cluster?: Cluster;
      events: SessionEvents;
      logger: LoggerService;
      settings: DevSessionsSettings;
      /** Sign-ins into sessions, revoked when a session is deleted. */
      gatewayTokens?: GatewayTokenStore;
      /** The sessions' heartbeat tokens. */
      activity?: ActivityTokens;
      /** Pods and events from cluster-wide watches; absent or unsynced: read per request. */
      statusCache?: StatusCache;
    },
  ) {}

  get defaultSize(): DevSessionSize {
    return this.deps.settings.defaultSize;
  }

  get clusterName(): string {
    return this.deps.events.clusterName;
  }

  private requireCluster(): Cluster {
    if (!this.deps.cluster) {
      throw new ServiceUnavailableError(
        'No Kubernetes cluster is configured for dev sessions (set devSessions.cluster, kubernetes.clusterLocatorMethods or KUBECONFIG)',
      );
    }
    return this.deps.cluster;
  }

  private newSession(spec: DevSessionSpec, r: RenderedSession): NewSession {
    return {
      ...spec,
      namespace: spec.projectUuid,
      releaseName: this.deps.settings.releaseName,
      chartVersion: r.chartVersion,
      targets: r.targets,
    };
  }

  /**
   * The platform's per-owner limits (`devSessions.limits`): a new session may not take an
   * owner past `maxSessionsPerOwner` sessions, nor a new or started one past
   * `maxRunningPerOwner` running ones (provisioning, starting or ready). 409 naming the limit
   * and the count; nothing changes.
   */
  private async checkLimits(owner: string, adding: 'session' | 'running') {
    const { maxSessionsPerOwner, maxRunningPerOwner } =
      this.deps.settings.limits;
    if (maxSessionsPerOwner === undefined && maxRunningPerOwner === undefined)
      return;
    const mine = await this.deps.store.list({ owner });
    if (
      adding === 'session' &&
      maxSessionsPerOwner !== undefined &&
      mine.length >= maxSessionsPerOwner
    )
      throw new ConflictError(
        `${owner} has ${mine.length} dev sessions, the most the platform allows (devSessions.limits.maxSessionsPerOwner = ${maxSessionsPerOwner}); delete one first`,
      );
    const running = mine.filter(s =>
      ['provisioning', 'starting', 'ready'].includes(s.state),
    ).length;
    if (maxRunningPerOwner !== undefined && running >= maxRunningPerOwner)
      throw new ConflictError(
        `${owner} has ${running} running dev sessions, the most the platform allows (devSessions.limits.maxRunningPerOwner = ${maxRunningPerOwner}); stop one first`,
      );
  }

  /** Renders and checks, then makes sure the namespace is ours or free (409 otherwise). */
  private async prepare(
    spec: DevSessionSpec,
    values?: Record<string, unknown>,
  ): Promise<RenderedSession> {
    const rendered = await this.deps.chart.render(spec, values);
    await this.requireCluster().assertNamespaceUsable(
      spec.projectUuid,
      spec.projectUuid,
    );
    return rendered;
  }

  /** Stores a change and its provision/delete job in one transaction, then runs the job here. */
  private async withJob(
    projectUuid: string,
    kind: Job['kind'],
    timeoutSeconds: number,
    change: (trx: Knex.Transaction) => Promise<boolean>,
  ): Promise<boolean> {
    const { store, jobs, runner } = this.deps;
    const job = await store.transaction(async trx => {
      if (!(await change(trx))) return undefined;
      return jobs.request(trx, projectUuid, kind, timeoutSeconds, {
        owner: runner.replicaId,
        leaseMs: runner.leaseMs,
      });
    });
    // a job another replica still holds (or one queued) is run by it, or by the poll
    if (job?.owner === runner.replicaId) runner.start(job);
    return job !== undefined;
  }

  async render(spec: DevSessionSpec): Promise<RenderResult> {
    const r = await this.deps.chart.render(spec);
    const now = new Date().toISOString();
    return {
      session: this.deps.events.toPublic({
        ...this.newSession(spec, r),
        state: 'provisioning',
        createdAt: now,
        updatedAt: now,
      }),
      manifests: r.manifests,
      objects: r.objects,
    };
  }

  /**
   * Get-or-create: returns the project's session, creating it (one Helm release) when there is
   * none, and retrying a `failed` one with its stored values. Concurrent calls for one project,
   * on any replica, create it once.
   */
  async getOrCreate(
    spec: DevSessionSpec,
    opts: GetOrCreateOptions = {},
  ): Promise<GetOrCreateResult> {
    const { store, events } = this.deps;
    const values = await this.deps.chart.values(spec); // 400s first, before anything else
    const cluster = this.requireCluster();
    await cluster.checkReachable();
    const timeoutSeconds =
      opts.timeoutSeconds ?? this.deps.settings.timeoutSeconds;
    const uuid = spec.projectUuid;

    let created = false;
    let retried = false;
    let rendered: RenderedSession | undefined;
    for (let attempt = 0; attempt < 3 && !created; attempt++) {
      const existing = await store.get(uuid);
      if (existing) {
        await opts.authorize?.(events.toPublic(existing), 'read');
        await this.recordActivity(uuid); // asking for it is a use
        if (existing.state === 'stopped' || existing.state === 'stopping') {
          // get-or-create of a stopped session starts it (a stopping one once it has stopped)
          await opts.authorize?.(events.toPublic(existing), 'update');
          if (existing.state === 'stopped') await this.setRunning(uuid, true);
          break;
        }
        if (existing.state === 'deleting') {
          throw new ConflictError(
            `The dev session of project ${uuid} is being deleted; try again when it is gone`,
          );
        }
        if (existing.state === 'failed') {
          await opts.authorize?.(events.toPublic(existing), 'update');
          // a retry provisions what was asked for originally, never the caller's values
          await this.prepare(specOf(existing));
          retried = await this.withJob(uuid, 'provision', timeoutSeconds, trx =>
            store.transition(uuid, 'retry', { lastError: null }, trx),
          );
          if (retried)
            this.deps.logger.info(
              `Retrying the failed dev session of project ${uuid}`,
            );
        }
        break;
      }
      await this.checkLimits(spec.owner, 'session');
      rendered ??= await this.prepare(spec, values);
      const session = this.newSession(spec, rendered);
      created = await this.withJob(uuid, 'provision', timeoutSeconds, trx =>
        store.insertIfAbsent(session, trx),
      );
      if (created)
        this.deps.logger.info(
          `Creating dev session for project ${uuid} (owner ${spec.owner}, size ${spec.size})`,
        );
    }
    if (opts.wait)
      await this.waitFor(
        uuid,
        s => s?.state !== 'provisioning' && s?.state !== 'starting',
        timeoutSeconds + 90,
      );
    const session = await store.get(uuid);
    if (!session)
      throw new ConflictError(
        `The dev session of project ${uuid} was deleted meanwhile`,
      );
    if (created || retried) events.upserted(session);
    return { session: events.toPublic(session), created, retried };
  }

  async delete(
    projectUuid: string,
    opts: DeleteOptions = {},
  ): Promise<DevSession | undefined> {
    const { store, events } = this.deps;
    const before = await store.get(projectUuid);
    if (!before) return undefined;
    await this.requireCluster().checkReachable();
    const helmTimeout = this.deps.settings.timeoutSeconds;
    const { notUsedAfter } = opts;
    const started = await this.withJob(
      projectUuid,
      'delete',
      helmTimeout,
      trx =>
        store.transition(projectUuid, 'deleteRequested', { notUsedAfter }, trx),
    );
    // used meanwhile: the sweep's delete does not apply
    if (!started && notUsedAfter) return events.toPublic(before);
    // nobody stays signed in to a session being deleted (nor to a later one of this project)
    await this.deps.gatewayTokens?.removeProject(projectUuid);
    if (started) events.upserted(await store.get(projectUuid));
    if (opts.wait)
      await this.waitFor(
        projectUuid,
        s => !s,
        opts.timeoutSeconds ?? helmTimeout + 90,
      );
    const now = await store.get(projectUuid);
    return now && events.toPublic(now);
  }

  async setRunning(
    projectUuid: string,
    running: boolean,
    opts: {
      wait?: boolean;
      timeoutSeconds?: number;
      notUsedAfter?: string;
    } = {},
  ): Promise<DevSession> {
    const { store, events } = this.deps;
    const [from, transition, kind] = running
      ? (['stopped', 'startRequested', 'start'] as const)
      : (['ready', 'stopRequested', 'stop'] as const);
    // already there, or on the way
    const on: string[] = running
      ? ['ready', 'starting']
      : ['stopped', 'stopping'];
    const s = await store.get(projectUuid);
    if (!s)
      throw new NotFoundError(`Project ${projectUuid} has no dev session`);
    if (!on.includes(s.state)) {
      if (s.state !== from)
        throw new ConflictError(
          `The dev session of project ${projectUuid} is ${s.state}; it can be ${
            running ? 'started when stopped' : 'stopped when ready'
          }`,
        );
      await this.requireCluster().checkReachable();
      if (running) {
        await this.checkLimits(s.owner, 'running');
        // a start is a use: the idle sweep must not stop it again at once
        await store.touch(projectUuid, new Date(), 0);
      }
      const timeoutSeconds = this.deps.settings.timeoutSeconds;
      if (
        await this.withJob(projectUuid, kind, timeoutSeconds, trx =>
          store.transition(
            projectUuid,
            transition,
            { lastError: null, notUsedAfter: opts.notUsedAfter },
            trx,
          ),
        )
      ) {
        this.deps.logger.info(
          `${
            running ? 'Starting' : 'Stopping'
          } the dev session of project ${projectUuid}`,
        );
        events.upserted(await store.get(projectUuid));
      }
    }
    if (opts.wait)
      await this.waitFor(
        projectUuid,
        x => !x || x.state !== on[1],
        opts.timeoutSeconds ?? this.deps.settings.timeoutSeconds + 90,
      );
    return this.get(projectUuid);
  }

  /** Polls the database (so it sees the work of any replica) until done or the timeout. */
  private async waitFor(
    projectUuid: string,
    done: (s: DevSession | undefined) => boolean,
    timeoutSeconds: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      if (done(await this.find(projectUuid))) return;
      await new Promise(r => setTimeout(r, 250));
    }
  }

  async get(projectUuid: string): Promise<DevSession> {
    const s = await this.find(projectUuid);
    if (!s)
      throw new NotFoundError(`Project ${projectUuid} has no dev session`);
    return s;
  }

  async find(projectUuid: string): Promise<DevSession | undefined> {
    const s = await this.deps.store.get(projectUuid);
    return s && this.deps.events.toPublic(s);
  }

  async list(filter: { owner?: string } = {}): Promise<DevSession[]> {
    return (await this.deps.store.list(filter)).map(s =>
      this.deps.events.toPublic(s),
    );
  }

  async listPage(
    query: SessionListQuery,
    access: SessionAccess,
  ): Promise<{ items: DevSession[]; totalCount: number }> {
    return pageSessions(this.deps.store, s => this.deps.events.toPublic(s), {
      query,
      access,
    });
  }

  recordActivity(projectUuid: string): Promise<boolean> {
    return this.deps.store.touch(
      projectUuid,
      new Date(),
      activityResolutionMs(this.deps.settings.lifecycle),
    );
  }

  async checkActivityToken(
    projectUuid: string,
    token: string,
  ): Promise<'valid' | 'unknown' | 'other-session'> {
    return this.deps.activity
      ? this.deps.activity.check(projectUuid, token)
      : 'unknown';
  }

  /** Live status from the cluster; 503 naming the cluster when it cannot be reached. */
  async status(projectUuid: string): Promise<DevSessionStatus> {
    return this.statusOf(await this.get(projectUuid));
  }

  /** Where status comes from: the watch cache (synced or still syncing), or the cluster per request. */
  get statusSource(): 'cache' | 'cache-syncing' | 'cluster' {
    const c = this.deps.statusCache;
    if (!c) return 'cluster';
    return c.synced ? 'cache' : 'cache-syncing';
  }

  /** Live status of a session already read; `timing` learns how the cluster part was read. */
  statusOf(
    session: DevSession,
    timing?: (t: StatusTiming) => void,
  ): Promise<DevSessionStatus> {
    return new StatusReader(
      this.requireCluster(),
      this.deps.statusCache,
    ).status(session, timing);
  }
}
