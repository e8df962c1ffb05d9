/*
 * The session store on the real databases: SQLite and PostgreSQL (./dev test starts a private
 * PostgreSQL 15 and sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING).
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { newSession, sessionStoreOn } from '../__testUtils__/sessions';
import { NewSession } from './SessionStore';

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
});
