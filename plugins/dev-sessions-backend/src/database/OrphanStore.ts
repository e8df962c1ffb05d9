import { Knex } from 'knex';

const TABLE = 'dev_session_orphans';

type Row = {
  namespace: string;
  project_uuid: string | null;
  releases: string;
  first_seen_at: string;
  last_seen_at: string;
};

/** A namespace labelled as dev sessions' that has no session. */
export interface Orphan {
  namespace: string;
  /** The project its label names, if any. */
  projectUuid?: string;
  /** Helm releases stored in it. */
  releases: string[];
  /** When a sweep first found it without a session (the grace period counts from here). */
  firstSeenAt: string;
  lastSeenAt: string;
}

const toOrphan = (r: Row): Orphan => ({
  namespace: r.namespace,
  projectUuid: r.project_uuid ?? undefined,
  releases: JSON.parse(r.releases),
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
});

/**
 * The orphans the last sweep found, with the time each was first seen: the database remembers
 * it, so the grace period holds whichever replica sweeps next.
 */
export class OrphanStore {
  constructor(private readonly db: Knex) {}

  /**
   * Replaces the recorded orphans with what a sweep found now: new ones are first seen now,
   * known ones keep their first sighting, ones no longer found are forgotten.
   */
  async record(
    found: Omit<Orphan, 'firstSeenAt' | 'lastSeenAt'>[],
    now = new Date(),
  ): Promise<Orphan[]> {
    const at = now.toISOString();
    await this.db.transaction(async trx => {
      const names = found.map(o => o.namespace);
      await trx<Row>(TABLE).whereNotIn('namespace', names).delete();
      for (const o of found) {
        await trx<Row>(TABLE)
          .insert({
            namespace: o.namespace,
            project_uuid: o.projectUuid ?? null,
            releases: JSON.stringify(o.releases),
            first_seen_at: at,
            last_seen_at: at,
          })
          .onConflict('namespace')
          .merge(['project_uuid', 'releases', 'last_seen_at']);
      }
    });
    return this.list();
  }

  async list(): Promise<Orphan[]> {
    return (await this.db<Row>(TABLE).orderBy('first_seen_at')).map(toOrphan);
  }

  /** Forgets one (it was deleted, or a session claimed it). */
  async forget(namespace: string): Promise<void> {
    await this.db<Row>(TABLE).where({ namespace }).delete();
  }
}
