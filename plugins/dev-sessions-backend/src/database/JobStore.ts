import { Knex } from 'knex';

const TABLE = 'dev_session_jobs';

/** The Helm work a job does for its session. */
export type JobKind = 'provision' | 'delete' | 'stop' | 'start';

/** A pending or running job: at most one per project. */
export interface Job {
  projectUuid: string;
  kind: JobKind;
  /** Bumped by every request; a runner completes only the generation it ran. */
  generation: number;
  /** The replica holding the lease, if any. */
  owner?: string;
  /** Epoch ms after which any replica may claim the job. */
  leaseExpiresAt: number;
  /** How often the job has been claimed from the poll (a run interrupted by a dead replica). */
  attempts: number;
  /** Helm timeout of the request that asked for the work. */
  timeoutSeconds: number;
}

type Row = {
  project_uuid: string;
  kind: string;
  generation: number;
  owner: string | null;
  lease_expires_at: number | string;
  attempts: number;
  timeout_seconds: number;
  created_at: string;
  updated_at: string;
};

function toJob(r: Row): Job {
  return {
    projectUuid: r.project_uuid,
    kind: r.kind as JobKind,
    generation: Number(r.generation),
    owner: r.owner ?? undefined,
    // PostgreSQL returns bigint as a string
    leaseExpiresAt: Number(r.lease_expires_at),
    attempts: Number(r.attempts),
    timeoutSeconds: Number(r.timeout_seconds),
  };
}

/**
 * Durable jobs in the plugin's database. A job is leased by one replica at a time: the runner
 * extends its lease while Helm runs; when a replica dies its lease expires and any other
 * replica claims the job. Every change is one conditional UPDATE, so two replicas can never
 * both hold a job.
 */
export class JobStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Asks for `kind` work on the project, inside the caller's transaction: creates the job, or
   * turns an existing one into `kind` (a newer generation) without touching its lease, so a
   * runner that is still running Helm finishes first and the new work starts after it.
   * With `owner`, a new job is created already leased by that replica (it runs it at once).
   */
  async request(
    trx: Knex,
    projectUuid: string,
    kind: JobKind,
    timeoutSeconds: number,
    lease?: { owner: string; leaseMs: number },
  ): Promise<Job> {
    const now = new Date().toISOString();
    await trx(TABLE)
      .insert({
        project_uuid: projectUuid,
        kind,
        generation: 0,
        owner: lease?.owner ?? null,
        lease_expires_at: lease ? this.clock() + lease.leaseMs : 0,
        attempts: 0,
        timeout_seconds: timeoutSeconds,
        created_at: now,
        updated_at: now,
      })
      .onConflict('project_uuid')
      .ignore();
    await trx(TABLE)
      .where({ project_uuid: projectUuid })
      .update({
        kind,
        generation: trx.raw('generation + 1'),
        // a new request starts counting interrupted runs afresh
        attempts: 0,
        timeout_seconds: timeoutSeconds,
        updated_at: now,
      });
    const row = await trx<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .first();
    if (!row) throw new Error(`The job of project ${projectUuid} vanished`);
    return toJob(row);
  }

  async get(
    projectUuid: string,
    trx: Knex = this.db,
  ): Promise<Job | undefined> {
    const row = await trx<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .first();
    return row ? toJob(row) : undefined;
  }

  /** Projects with a job (running or not). */
  async projects(): Promise<Set<string>> {
    const rows = await this.db<Row>(TABLE).select('project_uuid');
    return new Set(rows.map(r => r.project_uuid));
  }

  /** Jobs nobody holds: new, released, or whose holder stopped renewing its lease. */
  async claimable(limit: number): Promise<Job[]> {
    const rows = await this.db<Row>(TABLE)
      .where('lease_expires_at', '<', this.clock())
      .orderBy('updated_at', 'asc')
      .limit(limit);
    return rows.map(toJob);
  }

  /**
   * Takes the lease of a job that is free (its lease has expired); undefined when another
   * replica holds it.
   */
  async claim(
    projectUuid: string,
    owner: string,
    leaseMs: number,
  ): Promise<Job | undefined> {
    const now = this.clock();
    const n = await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .where('lease_expires_at', '<', now)
      .update({
        owner,
        lease_expires_at: now + leaseMs,
        attempts: this.db.raw('attempts + 1'),
        updated_at: new Date(now).toISOString(),
      });
    if (n !== 1) return undefined;
    const job = await this.get(projectUuid);
    return job?.owner === owner ? job : undefined;
  }

  /** Extends the lease; false when this replica no longer holds it. */
  async heartbeat(
    projectUuid: string,
    owner: string,
    leaseMs: number,
  ): Promise<boolean> {
    const now = this.clock();
    const n = await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid, owner })
      .where('lease_expires_at', '>=', now)
      .update({ lease_expires_at: now + leaseMs });
    return n === 1;
  }

  /**
   * Removes the job when this replica holds it and nobody asked for other work meanwhile (same
   * generation); false otherwise, and then the caller releases it instead.
   */
  async complete(
    trx: Knex,
    job: Pick<Job, 'projectUuid' | 'generation'>,
    owner: string,
  ): Promise<boolean> {
    const n = await trx(TABLE)
      .where({
        project_uuid: job.projectUuid,
        owner,
        generation: job.generation,
      })
      .delete();
    return n === 1;
  }

  /** Gives the lease up so that any replica may claim the job after `delayMs`. */
  async release(
    projectUuid: string,
    owner: string,
    delayMs = 0,
  ): Promise<void> {
    const now = this.clock();
    await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid, owner })
      .update({
        owner: null,
        // strictly in the past for delay 0, so the next claim sees it expired
        lease_expires_at: now + delayMs - 1,
        updated_at: new Date(now).toISOString(),
      });
  }

  /** Removes the job whatever its state (the session is gone). */
  async remove(projectUuid: string, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).where({ project_uuid: projectUuid }).delete();
  }
}
