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
});
