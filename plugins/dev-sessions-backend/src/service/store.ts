import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  DevSession,
  DevSessionEndpoint,
  DevSessionRole,
  DevSessionSize,
  DevSessionState,
} from '@internal/backstage-plugin-dev-sessions-common';

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
  preview_url: string;
  preview_path: string;
  chat_url: string;
  chat_path: string;
  vscode_url: string;
  vscode_path: string;
  created_at: string;
  updated_at: string;
};

/** A stored session plus the values it was created with. */
export type StoredSession = Omit<DevSession, 'entityRef' | 'cluster'> & {
  values: Record<string, unknown>;
};

export type NewSession = Omit<
  StoredSession,
  'createdAt' | 'updatedAt' | 'state' | 'lastError'
>;

function toSession(r: Row): StoredSession {
  const ep = (role: DevSessionRole): DevSessionEndpoint => ({
    url: (r as any)[`${role}_url`],
    path: (r as any)[`${role}_path`],
  });
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
    endpoints: {
      preview: ep('preview'),
      chat: ep('chat'),
      vscode: ep('vscode'),
    },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Sessions in the plugin's own database (SQLite or PostgreSQL through Backstage's database service). */
export class SessionStore {
  static async create(database: DatabaseService): Promise<SessionStore> {
    const client = await database.getClient();
    if (!database.migrations?.skip) {
      await client.migrate.latest({
        directory: resolvePackagePath(
          '@internal/backstage-plugin-dev-sessions-backend',
          'migrations',
        ),
        tableName: 'dev_sessions_knex_migrations',
      });
    }
    return new SessionStore(client);
  }

  constructor(private readonly db: Knex) {}

  /**
   * Inserts a new session in state `provisioning`. Returns false (and changes nothing) when the
   * project already has one: the primary key makes concurrent creates for one project race-free,
   * across processes too.
   */
  async insertIfAbsent(
    s: NewSession,
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
      state: 'provisioning',
      last_error: null,
      values_json: JSON.stringify(s.values),
      preview_url: s.endpoints.preview.url,
      preview_path: s.endpoints.preview.path,
      chat_url: s.endpoints.chat.url,
      chat_path: s.endpoints.chat.path,
      vscode_url: s.endpoints.vscode.url,
      vscode_path: s.endpoints.vscode.path,
      created_at: now,
      updated_at: now,
    };
    const inserted = await this.db(TABLE)
      .insert(row)
      .onConflict('project_uuid')
      .ignore()
      .returning('project_uuid');
    // SQLite and PostgreSQL return the inserted rows; an ignored conflict returns none
    return Array.isArray(inserted) ? inserted.length === 1 : Boolean(inserted);
  }

  async get(projectUuid: string): Promise<StoredSession | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .first();
    return row ? toSession(row) : undefined;
  }

  async list(filter: { owner?: string } = {}): Promise<StoredSession[]> {
    const q = this.db<Row>(TABLE).orderBy('created_at', 'asc');
    if (filter.owner) q.where({ owner: filter.owner });
    return (await q).map(toSession);
  }

  /**
   * Moves a session from one of `from` to `to`; returns false when it was in another state (so
   * exactly one caller wins a transition such as failed -> provisioning).
   */
  async transition(
    projectUuid: string,
    from: DevSessionState[],
    to: DevSessionState,
    fields: {
      lastError?: string | null;
      size?: DevSessionSize;
      values?: Record<string, unknown>;
      projectId?: string;
    } = {},
  ): Promise<boolean> {
    const patch: Partial<Row> = {
      state: to,
      updated_at: new Date().toISOString(),
    };
    if (fields.lastError !== undefined) patch.last_error = fields.lastError;
    if (fields.size) patch.size = fields.size;
    if (fields.values) patch.values_json = JSON.stringify(fields.values);
    if (fields.projectId) patch.project_id = fields.projectId;
    const n = await this.db<Row>(TABLE)
      .where({ project_uuid: projectUuid })
      .whereIn('state', from)
      .update(patch);
    return n === 1;
  }

  async delete(projectUuid: string): Promise<boolean> {
    return (
      (await this.db(TABLE).where({ project_uuid: projectUuid }).delete()) === 1
    );
  }
}
