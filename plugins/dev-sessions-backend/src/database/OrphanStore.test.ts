/*
 * The orphan records on the real databases: the first sighting survives later sweeps (the grace
 * period counts from it), and what a sweep no longer finds is forgotten.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { sessionStoreOn } from '../__testUtils__/sessions';
import { OrphanStore } from './OrphanStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('OrphanStore on %p', databaseId => {
  it('keeps the first sighting, updates the rest and forgets what is gone', async () => {
    const { db } = await sessionStoreOn(await databases.init(databaseId));
    const orphans = new OrphanStore(db);
    const t0 = new Date('2026-11-01T10:00:00.000Z');
    const t1 = new Date('2026-11-01T10:05:00.000Z');
    await orphans.record(
      [
        { namespace: 'a', projectUuid: 'a', releases: [] },
        { namespace: 'b', releases: ['dev-session'] },
      ],
      t0,
    );
    const now = await orphans.record(
      [{ namespace: 'a', projectUuid: 'a', releases: ['dev-session'] }],
      t1,
    );
    expect(now).toEqual([
      {
        namespace: 'a',
        projectUuid: 'a',
        releases: ['dev-session'],
        firstSeenAt: t0.toISOString(),
        lastSeenAt: t1.toISOString(),
      },
    ]);
    expect(await orphans.record([], t1)).toEqual([]);
  });
});
