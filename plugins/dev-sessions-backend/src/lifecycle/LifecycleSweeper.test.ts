/*
 * The lifecycle sweep over a real SQLite store: idle stop, notice then deletion, and the guard
 * that lets a use arriving during the sweep keep its session. The sessions service here applies
 * the same guarded transitions as the real one (the cluster test runs the real one).
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DevSession } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { newSession, sqliteStores } from '../__testUtils__/sessions';
import { OrphanStore } from '../database/OrphanStore';
import { SessionStore } from '../database/SessionStore';
import { DevSessionsApi } from '../service/types';
import { LifecycleNotifier } from './LifecycleNotifier';
import { LifecyclePolicy } from './LifecyclePolicy';
import { LifecycleSweeper } from './LifecycleSweeper';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const MIN = 60_000;
const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const t0 = new Date('2026-11-01T10:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * MIN);

/** Stop and delete as the service does them: guarded transitions, a use in between wins. */
function guardedService(store: SessionStore) {
  const pub = async (uuid: string) =>
    (await store.get(uuid)) as unknown as DevSession;
  return {
    async setRunning(uuid: string, _running: boolean, opts: any) {
      await store.transition(uuid, 'stopRequested', opts);
      return pub(uuid);
    },
    async delete(uuid: string, opts: any) {
      await store.transition(uuid, 'deleteRequested', opts);
      return pub(uuid);
    },
  } as unknown as DevSessionsApi;
}

async function setup(settings: Partial<LifecyclePolicy['settings']>) {
  const { store } = await sqliteStores(databases);
  const send = jest.fn(async () => {});
  const sweeper = new LifecycleSweeper({
    store,
    orphans: new OrphanStore(store.db),
    service: guardedService(store),
    policy: new LifecyclePolicy({
      expireAfterMs: 365 * 24 * 60 * MIN,
      notifyBeforeMs: 10 * MIN,
      deleteOrphans: false,
      orphanGracePeriodMs: 60 * MIN,
      sweepIntervalMs: MIN,
      ...settings,
    }),
    notifier: new LifecycleNotifier({
      logger: mockServices.logger.mock(),
      notifications: { send },
    }),
    logger: mockServices.logger.mock(),
  });
  for (const uuid of [A, B]) {
    await store.insertIfAbsent(newSession(uuid), undefined, t0.toISOString());
    await store.transition(uuid, 'provisioned');
  }
  return { store, sweeper, send };
}

describe('LifecycleSweeper', () => {
  it('stops what is idle past idleStopAfter, tells its owner, and nothing before', async () => {
    const { store, sweeper, send } = await setup({ idleStopAfterMs: 30 * MIN });
    await store.touch(B, at(20), 0);
    expect((await sweeper.sweep(at(29))).stopped).toEqual([]);
    const r = await sweeper.sweep(at(31));
    expect(r.stopped).toEqual([A]);
    expect((await store.get(A))!.state).toBe('stopping');
    expect((await store.get(B))!.state).toBe('ready');
    expect(send).toHaveBeenCalledWith({
      recipients: { type: 'entity', entityRef: 'user:default/jane' },
      payload: expect.objectContaining({
        title: expect.stringMatching(/stopped after being idle/),
        topic: 'dev-sessions',
        link: expect.stringMatching(/^\/catalog\/default\/resource\//),
      }),
    });
  });

  it('keeps a session that was used while the sweep was deciding', async () => {
    const { store, sweeper } = await setup({ idleStopAfterMs: 30 * MIN });
    const list = store.list.bind(store);
    // a heartbeat lands right after the sweep read the idle sessions
    jest.spyOn(store, 'list').mockImplementationOnce(async f => {
      const found = await list(f);
      await store.touch(A, at(31), 0);
      return found;
    });
    const r = await sweeper.sweep(at(31));
    expect(r.stopped).toEqual([B]);
    expect((await store.get(A))!.state).toBe('ready');
  });

  it('tells the owner first, deletes after notifyBefore, and a use in between cancels both', async () => {
    const { store, sweeper, send } = await setup({ expireAfterMs: 60 * MIN });
    let r = await sweeper.sweep(at(49));
    expect(r.notified).toEqual([]);
    r = await sweeper.sweep(at(50));
    expect(r.notified.sort()).toEqual([A, B].sort());
    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls[0]).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({
          title: expect.stringMatching(/will be deleted on 2026-11-01/),
          severity: 'high',
        }),
      }),
    ]);
    // B is opened again: its notice is cleared and it lives on
    await store.touch(B, at(55), 0);
    r = await sweeper.sweep(at(60));
    expect(r.notified).toEqual([]);
    expect(r.deleted).toEqual([A]);
    expect((await store.get(A))!.state).toBe('deleting');
    expect((await store.get(B))!.state).toBe('ready');
    expect((await store.get(B))!.expiryNotifiedAt).toBeUndefined();
  });
});
