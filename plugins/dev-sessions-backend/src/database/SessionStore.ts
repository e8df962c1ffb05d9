import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  DEV_SESSION_ROLES,
  DevSession,
  DevSessionSize,
  DevSessionSpec,
  DevSessionState,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import { SessionTargets, storedTarget } from '../chart/endpoints';
import type { DevSessionQuery } from '../permissions';
import {
  INITIAL_STATE,
  TRANSITIONS,
  TransitionName,
} from '../lifecycle/transitions';

const TABLE = 'dev_sessions';

type Row = {
  project_uuid: string;
  project_id: string;
  owner: string;
  component_ref?: string | null;
  namespace: string;
  release_name: string;
  chart_version: string;
  size: string;
  state: string;
  last_error: string | null;
  values_json: string;
  endpoints_json: string | null;
  created_at: string;
  updated_at: string;
  last_activity_at?: string | null;
  expiry_notified_at?: string | null;
  activity_token_hash?: string | null;
};

/** A stored session plus the values it was created with and where its roles are reached. */
export type StoredSession = Omit<
  DevSession,
  'entityRef' | 'cluster' | 'endpoints' | 'expiresAt' | 'idleStopAt'
> & {
  values: Record<string, unknown>;
  targets: SessionTargets;
  /** When the owner was told the session will expire (cleared by the next use). */
  expiryNotifiedAt?: string;
};

/** What a new session is stored with. */
export type NewSession = Omit<
  StoredSession,
  | 'createdAt'
  | 'updatedAt'
  | 'state'
  | 'lastError'
  | 'lastActivityAt'
  | 'expiryNotifiedAt'
>;

/**
 * What a page of the session list matches; every given filter applies (AND). Owners are
 * compared in their stored, normalised form (`user:default/jane`).
 */
export interface SessionPageFilter {
  /** Only sessions of one of these owners (the caller's user and groups, for `mine`). */
  owners?: readonly string[];
  /** Only sessions of this owner. */
  owner?: string;
  /** Only sessions in one of these states. */
  states?: readonly DevSessionState[];
  /** Case-insensitive text in the project name, the project UUID or the owner. */
  search?: string;
  /** A permission decision's conditions, as queries of the dev-session rules (IS_OWNER). */
  criteria?: PermissionCriteria<DevSessionQuery>;
}

/** A page of stored sessions and how many match in all. */
export interface StoredSessionPage {
  items: StoredSession[];
  totalCount: number;
}

/** `%text%` for LIKE, with LIKE's own characters escaped (by `\`). */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, c => `\\${c}`)}%`;
}

/** Adds permission criteria on the owner column to a query builder. */
function whereCriteria(
  q: Knex.QueryBuilder,
  c: PermissionCriteria<DevSessionQuery>,
): void {
  if ('allOf' in c) {
    for (const sub of c.allOf) q.where(b => whereCriteria(b, sub));
  } else if ('anyOf' in c) {
    if (c.anyOf.length === 0) q.whereRaw('1 = 0');
    else
      q.where(b =>
        c.anyOf.forEach(sub => b.orWhere(o => whereCriteria(o, sub))),
      );
  } else if ('not' in c) {
    q.whereNot(b => whereCriteria(b, c.not));
  } else if (c.owners.length === 0) {
    q.whereRaw('1 = 0');
  } else {
    q.whereIn('owner', [...c.owners]);
  }
}

/** The request a stored session was created with (what a retry or a job provisions). */
export function specOf(s: StoredSession): DevSessionSpec {
  return {
    projectUuid: s.projectUuid,
    projectId: s.projectId,
    owner: s.owner,
    component: s.component,
    size: s.size,
    values: s.values,
  };
}

function readTargets(json: string | null): SessionTargets {
  const raw = JSON.parse(json ?? '{}');
  const out: Partial<SessionTargets> = {};
  for (const role of DEV_SESSION_ROLES) {
    const t = storedTarget(raw[role]);
    if (t) out[role] = t;
  }
  return out as SessionTargets;
}

function toSession(r: Row): StoredSession {
  return {
    projectUuid: r.project_uuid,
    projectId: r.project_id,
    owner: r.owner,
    component: r.component_ref ?? undefined,
    namespace: r.namespace,
    releaseName: r.release_name,
    chartVersion: r.chart_version,
    size: r.size as DevSessionSize,
    state: r.state as DevSessionState,
    lastError: r.last_error ?? undefined,
    values: JSON.parse(r.values_json),
    targets: readTargets(r.endpoints_json),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastActivityAt: r.last_activity_at ?? r.updated_at,
    expiryNotifiedAt: r.expiry_notified_at ?? undefined,
  };
}

/** Opens the plugin's database (SQLite or PostgreSQL) and runs its migrations. */
export async function openDatabase(database: DatabaseService): Promise<Knex> {
  const client = await database.getClient();
  if (!database.migrations?.skip) {
    await client.migrate.latest({
      directory: resolvePackagePath(
        '@dev-sessions/backstage-plugin-dev-sessions-backend',
        'migrations',
      ),
      tableName: 'dev_sessions_knex_migrations',
    });
  }
  return client;
}

/**
 * Sessions in the plugin's own database. Every method takes an optional transaction, so that a
 * session change and its job change commit together.
 */
export class SessionStore {
  static async create(database: DatabaseService): Promise<SessionStore> {
    return new SessionStore(await openDatabase(database));
  }

  constructor(readonly db: Knex) {}

  /** Runs fn in one transaction. */
  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * Inserts a new session in state `provisioning`. Returns false (and changes nothing) when the
   * project already has one: the primary key makes concurrent creates for one project race-free,
   * across processes too.
   */
  async insertIfAbsent(
    s: NewSession,
    trx: Knex = this.db,
    now = new Date().toISOString(),
  ): Promise<boolean> {
    const row: Row = {
      project_uuid: s.projectUuid,
      project_id: s.projectId,
      owner: s.owner,
      component_ref: s.component ?? null,
      namespace: s.namespace,
      release_name: s.releaseName,
      chart_version: s.chartVersion,
      size: s.size,
      state: INITIAL_STATE,
      last_error: null,
      values_json: JSON.stringify(s.values),
      endpoints_json: JSON.stringify(s.targets),
      created_at: now,
      updated_at: now,
      last_activity_at: now,
    };
    const inserted = await trx(TABLE)
      .insert(row)
      .onConflict('project_uuid')
      .ignore()
      .returning('project_uuid');
    // SQLite and PostgreSQL return the inserted rows; an ignored conflict returns none
    return Array.isArray(inserted) ? inserted.length === 1 : Boolean(inserted);
  }

  async get(
    projectUuid: string,
    trx: Knex = this.db,
  ): Promise<StoredSession | undefined> {
    const row = await trx<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .first();
    return row ? toSession(row) : undefined;
  }

  async list(
    filter: {
      owner?: string;
      states?: readonly DevSessionState[];
      /** Only sessions last used at or before this ISO time. */
      unusedSince?: string;
    } = {},
  ): Promise<StoredSession[]> {
    const q = this.db<Row>(TABLE).orderBy('created_at', 'asc');
    if (filter.owner) q.where({ owner: filter.owner });
    if (filter.states) q.whereIn('state', [...filter.states]);
    if (filter.unusedSince)
      q.where('last_activity_at', '<=', filter.unusedSince);
    return (await q).map(toSession);
  }

  /** The query of the sessions that match a page filter, unordered. */
  private matching(filter: SessionPageFilter): Knex.QueryBuilder<Row> {
    const q = this.db<Row>(TABLE);
    if (filter.owners) q.whereIn('owner', [...filter.owners]);
    if (filter.owner) q.where({ owner: filter.owner });
    if (filter.states) q.whereIn('state', [...filter.states]);
    if (filter.search) {
      // lower() folds ASCII only on SQLite; the text as typed matches too
      const typed = likePattern(filter.search);
      const lower = likePattern(filter.search.toLowerCase());
      q.where(b => {
        for (const col of ['project_id', 'project_uuid', 'owner']) {
          b.orWhereRaw(`lower(??) like ? escape ?`, [col, lower, '\\']);
          b.orWhereRaw(`?? like ? escape ?`, [col, typed, '\\']);
        }
      });
    }
    if (filter.criteria) {
      const criteria = filter.criteria;
      q.where(b => whereCriteria(b, criteria));
    }
    return q;
  }

  /** Every session that matches, newest first (created_at desc, then project UUID). */
  async listMatching(filter: SessionPageFilter): Promise<StoredSession[]> {
    const rows: Row[] = await this.matching(filter)
      .orderBy('created_at', 'desc')
      .orderBy('project_uuid', 'asc');
    return rows.map(toSession);
  }

  /**
   * One page of the sessions that match, newest first (created_at desc, then project UUID),
   * and how many match in all: filters, order and paging all run in the database.
   */
  async page(
    filter: SessionPageFilter,
    page: { offset: number; limit: number },
  ): Promise<StoredSessionPage> {
    const rows: Row[] = await this.matching(filter)
      .orderBy('created_at', 'desc')
      .orderBy('project_uuid', 'asc')
      .offset(page.offset)
      .limit(page.limit);
    const counted = await this.matching(filter).count({ n: '*' });
    return {
      items: rows.map(toSession),
      totalCount: Number(counted[0]?.n ?? 0),
    };
  }

  /** The projects among `uuids` that have a session. */
  async existing(uuids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < uuids.length; i += 500) {
      const rows = await this.db<Row>(TABLE)
        .whereIn('project_uuid', uuids.slice(i, i + 500))
        .select('project_uuid');
      for (const r of rows) found.add(r.project_uuid);
    }
    return found;
  }

  /**
   * Records a use of the session: `last_activity_at` becomes `now` and a pending expiry notice
   * is cleared. At most one write per `minIntervalMs` (a conditional UPDATE), so a chatty
   * heartbeat costs nothing. Returns false when nothing was written.
   */
  async touch(
    projectUuid: string,
    now = new Date(),
    minIntervalMs = 30_000,
  ): Promise<boolean> {
    const before = new Date(now.getTime() - minIntervalMs).toISOString();
    const n = await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .whereNotIn('state', ['deleting'])
      .where(q =>
        q
          .whereNull('last_activity_at')
          .orWhere('last_activity_at', '<', before),
      )
      .update({
        last_activity_at: now.toISOString(),
        expiry_notified_at: null,
      });
    return n === 1;
  }

  /** Notes that the owner was told of the coming expiry (once per idle period). */
  async markExpiryNotified(projectUuid: string, at: Date): Promise<boolean> {
    const n = await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .whereNull('expiry_notified_at')
      .update({ expiry_notified_at: at.toISOString() });
    return n === 1;
  }

  /** The SHA-256 of the session's heartbeat token, when it has one. */
  async activityTokenHash(projectUuid: string): Promise<string | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .first('activity_token_hash');
    return row?.activity_token_hash ?? undefined;
  }

  async setActivityTokenHash(projectUuid: string, hash: string): Promise<void> {
    await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .update({ activity_token_hash: hash });
  }

  /** The project whose heartbeat token has this hash. */
  async projectOfActivityToken(hash: string): Promise<string | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ activity_token_hash: hash })
      .first('project_uuid');
    return row?.project_uuid;
  }

  /**
   * Applies a named transition of the lifecycle table; returns false when the session was not in
   * one of its `from` states (so exactly one caller wins a change such as failed -> provisioning).
   */
  async transition(
    projectUuid: string,
    name: TransitionName,
    fields: {
      lastError?: string | null;
      /** Only when the session was not used after this ISO time (the sweeps' guard). */
      notUsedAfter?: string;
    } = {},
    trx: Knex = this.db,
  ): Promise<boolean> {
    const { from, to } = TRANSITIONS[name];
    const patch: Partial<Row> = {
      state: to,
      updated_at: new Date().toISOString(),
    };
    if (fields.lastError !== undefined) patch.last_error = fields.lastError;
    const q = trx<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .whereIn('state', [...from]);
    if (fields.notUsedAfter)
      q.where('last_activity_at', '<=', fields.notUsedAfter);
    const n = await q.update(patch);
    return n === 1;
  }

  /** Records why Helm work failed without changing the state (a delete that will be retried). */
  async recordError(projectUuid: string, lastError: string): Promise<void> {
    await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .update({ last_error: lastError, updated_at: new Date().toISOString() });
  }

  async delete(projectUuid: string, trx: Knex = this.db): Promise<boolean> {
    return (
      (await trx(TABLE).where({ project_uuid: projectUuid }).delete()) === 1
    );
  }
}
