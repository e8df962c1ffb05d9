/*
 * The test's own look into the database the replicas share: the dev-sessions plugin's
 * `dev_session_jobs` table (who holds which job's lease), and dropping this run's databases.
 */
import knexFactory, { Knex } from 'knex';

/** A row of dev_session_jobs, as the test reads it. */
export interface JobRow {
  projectUuid: string;
  kind: string;
  generation: number;
  owner: string | null;
  leaseExpiresAt: number;
  attempts: number;
}

function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** The database backend-defaults gives the plugin: `${prefix}${pluginId}`. */
export function pluginDatabaseName(prefix: string): string {
  return `${prefix}dev-sessions`;
}

/** A small knex client on the dev-sessions plugin's database. */
export function openPluginDb(connectionString: string, prefix: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: withDatabase(connectionString, pluginDatabaseName(prefix)),
    pool: { min: 0, max: 2 },
  });
}

/** The project's job, or undefined when it has none. Throws a clear error without the table. */
export async function jobRow(
  db: Knex,
  projectUuid: string,
): Promise<JobRow | undefined> {
  let row: any;
  try {
    row = await db('dev_session_jobs')
      .where({ project_uuid: projectUuid })
      .first();
  } catch (e) {
    if (/relation "dev_session_jobs" does not exist/.test(String(e)))
      throw new Error(
        'the dev-sessions database has no dev_session_jobs table: this backend has no durable jobs',
      );
    throw e;
  }
  if (!row) return undefined;
  return {
    projectUuid: row.project_uuid,
    kind: row.kind,
    generation: Number(row.generation),
    owner: row.owner ?? null,
    // bigint comes back as a string
    leaseExpiresAt: Number(row.lease_expires_at),
    attempts: Number(row.attempts),
  };
}

/** Drops the databases whose names start with this run's prefix (and only those). */
export async function dropDatabases(
  connectionString: string,
  prefix: string,
): Promise<string[]> {
  if (!/^replicas_[0-9a-f]{8}_$/.test(prefix))
    throw new Error(`refusing to drop databases with prefix ${prefix}`);
  const admin = knexFactory({
    client: 'pg',
    connection: withDatabase(connectionString, 'postgres'),
    pool: { min: 0, max: 1 },
  });
  try {
    const rows: Array<{ datname: string }> = (
      await admin.raw(
        'select datname from pg_database where starts_with(datname, ?)',
        [prefix],
      )
    ).rows;
    for (const { datname } of rows) {
      await admin.raw('drop database if exists ?? with (force)', [datname]);
    }
    return rows.map(r => r.datname);
  } finally {
    await admin.destroy();
  }
}
