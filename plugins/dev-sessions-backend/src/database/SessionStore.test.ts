/*
 * The session store on the real databases: SQLite and PostgreSQL (./dev test starts a private
 * PostgreSQL 15 and sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING).
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  newSession,
  sessionStoreOn,
  storeSession,
} from '../__testUtils__/sessions';
import { NewSession, SessionStore } from './SessionStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

function session(uuid: string, owner = 'user:default/jane'): NewSession {
  return newSession(uuid, {
    projectId: 'Über Projekt 2',
    owner,
    component: 'component:default/checkout',
    values: { storage: { history: { enabled: true } } },
  });
}

async function storeFor(id: Parameters<typeof databases.init>[0]) {
  return sessionStoreOn(await databases.init(id));
}

describe.each(databases.eachSupportedId())('SessionStore on %p', databaseId => {
  const uuid = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

  it('inserts once per project and reads it back intact', async () => {
    const store = await storeFor(databaseId);
    expect(await store.insertIfAbsent(session(uuid))).toBe(true);
    expect(
      await store.insertIfAbsent(session(uuid, 'user:default/other')),
    ).toBe(false);
    const s = await store.get(uuid);
    expect(s).toMatchObject({
      projectUuid: uuid,
      projectId: 'Über Projekt 2',
      owner: 'user:default/jane',
      state: 'provisioning',
      component: 'component:default/checkout',
      size: 'small',
      values: { storage: { history: { enabled: true } } },
      targets: {
        vscode: { service: 'dev-session-vscode', port: 8080, path: '/vscode' },
      },
    });
    expect(s!.lastError).toBeUndefined();
    expect(Date.parse(s!.createdAt)).not.toBeNaN();
  });

  it('lets exactly one of 10 concurrent inserts for a project win', async () => {
    const store = await storeFor(databaseId);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.insertIfAbsent(session(uuid))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.list()).toHaveLength(1);
  });

  it('applies only the transitions of the lifecycle table, so one caller wins a retry', async () => {
    const store = await storeFor(databaseId);
    await store.insertIfAbsent(session(uuid));
    expect(
      await store.transition(uuid, 'provisionFailed', {
        lastError: 'helm: timed out',
      }),
    ).toBe(true);
    expect((await store.get(uuid))!.lastError).toBe('helm: timed out');
    const wins = await Promise.all(
      [1, 2, 3].map(() => store.transition(uuid, 'retry', { lastError: null })),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    // provisioning -> failed -> provisioning: `releaseLost` applies to ready sessions only
    expect(await store.transition(uuid, 'releaseLost')).toBe(false);
    expect(
      await store.transition(uuid, 'provisioned', { lastError: null }),
    ).toBe(true);
    const s = await store.get(uuid);
    expect(s!.state).toBe('ready');
    expect(s!.lastError).toBeUndefined();
    expect(await store.transition(uuid, 'deleteRequested')).toBe(true);
    expect(await store.transition(uuid, 'deleteRequested')).toBe(false);
    await store.recordError(uuid, 'helm uninstall: timed out');
    expect(await store.get(uuid)).toMatchObject({
      state: 'deleting',
      lastError: 'helm uninstall: timed out',
    });
  });

  it('lists by owner and deletes', async () => {
    const store = await storeFor(databaseId);
    await store.insertIfAbsent(session(uuid));
    await store.insertIfAbsent(
      session('7c9e6679-7425-40de-944b-e07fc1f90ae7', 'group:default/team'),
    );
    expect(
      (await store.list({ owner: 'group:default/team' })).map(
        s => s.projectUuid,
      ),
    ).toEqual(['7c9e6679-7425-40de-944b-e07fc1f90ae7']);
    expect(await store.list()).toHaveLength(2);
    expect(await store.delete(uuid)).toBe(true);
    expect(await store.delete(uuid)).toBe(false);
    expect(await store.get(uuid)).toBeUndefined();
  });

  it('records uses at most once per interval, and filters by state and last use', async () => {
    const store = await storeFor(databaseId);
    const t0 = new Date('2026-11-01T10:00:00.000Z');
    await store.insertIfAbsent(session(uuid), undefined, t0.toISOString());
    expect((await store.get(uuid))!.lastActivityAt).toBe(t0.toISOString());

    const t1 = new Date(t0.getTime() + 10_000);
    expect(await store.touch(uuid, t1, 30_000)).toBe(false); // too soon
    const t2 = new Date(t0.getTime() + 60_000);
    expect(await store.touch(uuid, t2, 30_000)).toBe(true);
    expect((await store.get(uuid))!.lastActivityAt).toBe(t2.toISOString());
    expect(await store.touch('b3a1c2d4-5e6f-4789-9abc-def012345678')).toBe(
      false,
    );

    // a notice is given once, and the next use clears it
    expect(await store.markExpiryNotified(uuid, t2)).toBe(true);
    expect(await store.markExpiryNotified(uuid, t2)).toBe(false);
    expect((await store.get(uuid))!.expiryNotifiedAt).toBe(t2.toISOString());
    await store.touch(uuid, new Date(t2.getTime() + 60_000), 0);
    expect((await store.get(uuid))!.expiryNotifiedAt).toBeUndefined();

    const later = new Date(t2.getTime() + 120_000).toISOString();
    expect(
      (await store.list({ states: ['provisioning'], unusedSince: later })).map(
        x => x.projectUuid,
      ),
    ).toEqual([uuid]);
    expect(await store.list({ states: ['ready'], unusedSince: later })).toEqual(
      [],
    );
    expect(await store.list({ unusedSince: t2.toISOString() })).toEqual([]);
    expect(await store.existing([uuid, 'nope'])).toEqual(new Set([uuid]));
  });

  it('applies a guarded transition only when the session was not used after the guard', async () => {
    const store = await storeFor(databaseId);
    const t0 = '2026-11-01T10:00:00.000Z';
    await store.insertIfAbsent(session(uuid), undefined, t0);
    await store.transition(uuid, 'provisioned');
    await store.touch(uuid, new Date('2026-11-01T11:00:00.000Z'), 0);
    // the sweep read the session before this use: its stop does not apply
    expect(
      await store.transition(uuid, 'stopRequested', { notUsedAfter: t0 }),
    ).toBe(false);
    expect((await store.get(uuid))!.state).toBe('ready');
    expect(
      await store.transition(uuid, 'stopRequested', {
        notUsedAfter: '2026-11-01T11:00:00.000Z',
      }),
    ).toBe(true);
  });

  it('keeps the hash of the heartbeat token and finds its project by it', async () => {
    const store = await storeFor(databaseId);
    const other = 'b3a1c2d4-5e6f-4789-9abc-def012345678';
    await store.insertIfAbsent(session(uuid));
    await store.insertIfAbsent(session(other));
    expect(await store.activityTokenHash(uuid)).toBeUndefined();
    await store.setActivityTokenHash(uuid, 'a'.repeat(64));
    await store.setActivityTokenHash(other, 'b'.repeat(64));
    expect(await store.activityTokenHash(uuid)).toBe('a'.repeat(64));
    expect(await store.projectOfActivityToken('b'.repeat(64))).toBe(other);
    expect(await store.projectOfActivityToken('c'.repeat(64))).toBeUndefined();
    // one token hash belongs to one session only. (Matched by message: better-sqlite3's native
    // addon keeps the error class of the first Jest context that loaded it, so in a worker that
    // ran another SQLite suite first the error is not an `Error` of this context.)
    const duplicate = await store
      .setActivityTokenHash(other, 'a'.repeat(64))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(String((duplicate as Error | undefined)?.message)).toMatch(
      /unique|duplicate/i,
    );
    expect(await store.activityTokenHash(other)).toBe('b'.repeat(64));
  });

  describe('page', () => {
    const JANE = 'user:default/jane';
    const TEAM = 'group:default/team';
    const BOB = 'user:default/bob';
    /** The n-th project's UUID: its last digits count up, so the order is known. */
    const nth = (n: number) =>
      `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

    /**
     * 12 sessions, created one minute apart (project 11 newest): owners Jane, the team and Bob
     * in turn; every fourth one ready, the rest provisioning; project names "Shop 0".."Shop 11"
     * except project 5, "Über_Cart 100%". Projects 6 and 7 are created at the same time.
     */
    async function seeded(store: SessionStore) {
      for (let n = 0; n < 12; n++) {
        const minute = n === 7 ? 6 : n;
        await store.insertIfAbsent(
          newSession(nth(n), {
            projectId: n === 5 ? 'Über_Cart 100%' : `Shop ${n}`,
            owner: [JANE, TEAM, BOB][n % 3],
          }),
          undefined,
          new Date(Date.UTC(2026, 10, 1, 10, minute)).toISOString(),
        );
        if (n % 4 === 0) await store.transition(nth(n), 'provisioned');
      }
    }
    const uuids = (page: { items: Array<{ projectUuid: string }> }) =>
      page.items.map(s => s.projectUuid);
    const all = { offset: 0, limit: 100 };

    it('orders newest first (then by project UUID), pages and counts', async () => {
      const store = await storeFor(databaseId);
      await seeded(store);
      const first = await store.page({}, { offset: 0, limit: 5 });
      expect(first.totalCount).toBe(12);
      expect(uuids(first)).toEqual([11, 10, 9, 8, 6, 7].slice(0, 5).map(nth));
      const second = await store.page({}, { offset: 5, limit: 5 });
      expect(uuids(second)).toEqual([7, 5, 4, 3, 2].map(nth));
      const last = await store.page({}, { offset: 10, limit: 5 });
      expect(uuids(last)).toEqual([1, 0].map(nth));
      expect(last.totalCount).toBe(12);
      const beyond = await store.page({}, { offset: 50, limit: 5 });
      expect(beyond).toEqual({ items: [], totalCount: 12 });
      expect((await store.listMatching({})).map(s => s.projectUuid)).toEqual(
        [11, 10, 9, 8, 6, 7, 5, 4, 3, 2, 1, 0].map(nth),
      );
    });

    it('filters by owners, owner and states, and counts what matches', async () => {
      const store = await storeFor(databaseId);
      await seeded(store);
      const mine = await store.page({ owners: [JANE, TEAM] }, all);
      expect(mine.totalCount).toBe(8);
      expect(uuids(mine)).toEqual([10, 9, 6, 7, 4, 3, 1, 0].map(nth));
      expect(
        uuids(await store.page({ owners: [JANE, TEAM], owner: TEAM }, all)),
      ).toEqual([10, 7, 4, 1].map(nth));
      const ready = await store.page({ states: ['ready'] }, all);
      expect(uuids(ready)).toEqual([8, 4, 0].map(nth));
      const page = await store.page(
        { states: ['ready', 'provisioning'], owner: BOB },
        { offset: 1, limit: 2 },
      );
      expect(page).toMatchObject({ totalCount: 4 });
      expect(uuids(page)).toEqual([8, 5].map(nth));
      expect(await store.page({ states: ['failed'] }, all)).toEqual({
        items: [],
        totalCount: 0,
      });
      expect(await store.page({ owners: [] }, all)).toEqual({
        items: [],
        totalCount: 0,
      });
    });

    it('searches the project name, project UUID and owner, ignoring case', async () => {
      const store = await storeFor(databaseId);
      await seeded(store);
      expect(uuids(await store.page({ search: 'SHOP 1' }, all))).toEqual(
        [11, 10, 1].map(nth),
      );
      // LIKE's own characters are plain text
      expect(uuids(await store.page({ search: 'p_1' }, all))).toEqual([]);
      expect(uuids(await store.page({ search: '0%' }, all))).toEqual([nth(5)]);
      expect(uuids(await store.page({ search: 'Über_' }, all))).toEqual([
        nth(5),
      ]);
      expect(uuids(await store.page({ search: '_cart' }, all))).toEqual([
        nth(5),
      ]);
      expect(
        (await store.page({ search: '8000-00000000000' }, all)).totalCount,
      ).toBe(10);
      const team = await store.page({ search: 'Group:Default/TEAM' }, all);
      expect(uuids(team)).toEqual([10, 7, 4, 1].map(nth));
      const combined = await store.page(
        { search: 'shop', owner: JANE, states: ['ready'] },
        all,
      );
      expect(uuids(combined)).toEqual([nth(0)]);
    });

    it('applies permission criteria on the owner (allOf, anyOf, not) before paging', async () => {
      const store = await storeFor(databaseId);
      await seeded(store);
      const owned = await store.page(
        { criteria: { owners: [JANE] } },
        { offset: 1, limit: 2 },
      );
      expect(owned.totalCount).toBe(4);
      expect(uuids(owned)).toEqual([6, 3].map(nth));
      const either = await store.page(
        { criteria: { anyOf: [{ owners: [JANE] }, { owners: [BOB] }] } },
        all,
      );
      expect(either.totalCount).toBe(8);
      const notBob = await store.page(
        {
          criteria: {
            allOf: [{ not: { owners: [BOB] } }, { owners: [JANE, BOB] }],
          },
          states: ['provisioning'],
        },
        all,
      );
      expect(uuids(notBob)).toEqual([9, 6, 3].map(nth));
      expect(
        (await store.page({ criteria: { owners: [] } }, all)).totalCount,
      ).toBe(0);
      expect(
        (await store.page({ criteria: { not: { owners: [] } } }, all))
          .totalCount,
      ).toBe(12);
    });

    it('counts and pages 1,000 sessions in the database', async () => {
      const store = await storeFor(databaseId);
      const base = Date.UTC(2026, 0, 1);
      await store.db.batchInsert(
        'dev_sessions',
        Array.from({ length: 1000 }, (_, n) => {
          const at = new Date(base + n * 1000).toISOString();
          return {
            project_uuid: nth(n),
            project_id: `bulk ${n}`,
            owner: n % 2 ? JANE : BOB,
            namespace: nth(n),
            release_name: 'dev-session',
            chart_version: '0.1.0',
            size: 'small',
            state: 'ready',
            last_error: null,
            values_json: '{}',
            endpoints_json: '{}',
            created_at: at,
            updated_at: at,
            last_activity_at: at,
          };
        }),
        100,
      );
      const page = await store.page(
        { owners: [JANE] },
        { offset: 490, limit: 10 },
      );
      expect(page.totalCount).toBe(500);
      expect(uuids(page)).toEqual(
        Array.from({ length: 10 }, (_, i) => nth(999 - 2 * (490 + i))),
      );
    });

    it('keeps working with sessions brought to other states', async () => {
      const store = await storeFor(databaseId);
      await storeSession(store, newSession(nth(1)), 'stopped');
      await storeSession(store, newSession(nth(2)), 'failed', 'boom');
      expect(uuids(await store.page({ states: ['stopped'] }, all))).toEqual([
        nth(1),
      ]);
      expect(
        (await store.page({ states: ['failed', 'stopped'] }, all)).totalCount,
      ).toBe(2);
    });
  });
});
