/*
 * Resolving a role of a session to a ready server: sessions in a real SQLite session store, the
 * cluster a stub that answers the endpoints, a fake clock for the cache.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  newSession,
  sqliteStores,
  storeSession,
} from '../__testUtils__/sessions';
import { SessionTargets } from '../chart/endpoints';
import { Cluster } from '../cluster/Cluster';
import { Upstream } from '../cluster/serviceEndpoints';
import { SessionStore } from '../database/SessionStore';
import { Upstreams } from './Upstreams';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const POD: Upstream = { host: '10.1.2.3', port: 13337 };

describe('Upstreams', () => {
  let store: SessionStore;
  let upstreams: jest.Mock<Promise<Upstream[]>, [string, string, number]>;
  let cluster: Cluster;
  let now: number;
  let resolver: Upstreams;

  beforeEach(async () => {
    ({ store } = await sqliteStores(databases));
    upstreams = jest.fn<Promise<Upstream[]>, [string, string, number]>(
      async () => [POD],
    );
    cluster = { upstreams } as unknown as Cluster;
    now = 1_800_000_000_000;
    resolver = new Upstreams({ store, cluster, clock: () => now });
  });

  it("resolves a role to a ready endpoint of the role's Service in the session's namespace", async () => {
    await storeSession(store, newSession(A, { namespace: 'ns-a' }), 'ready');
    expect(await resolver.resolve(A, 'vscode')).toEqual({ upstream: POD });
    expect(upstreams).toHaveBeenCalledWith('ns-a', 'dev-session-vscode', 8080);
    expect(await resolver.resolve(A, 'preview')).toEqual({ upstream: POD });
    expect(upstreams).toHaveBeenLastCalledWith(
      'ns-a',
      'dev-session-preview',
      3000,
    );
  });

  it('resolves a session that is still provisioning, once its role has a ready endpoint', async () => {
    await storeSession(store, newSession(A), 'provisioning');
    expect(await resolver.resolve(A, 'chat')).toEqual({ upstream: POD });
  });

  it('picks one of the ready endpoints', async () => {
    await storeSession(store, newSession(A), 'ready');
    const pods = [POD, { host: '10.1.2.4', port: 13337 }];
    upstreams.mockResolvedValue(pods);
    const random = jest.spyOn(Math, 'random');
    try {
      random.mockReturnValue(0.99);
      expect(await resolver.resolve(A, 'vscode')).toEqual({
        upstream: pods[1],
      });
      random.mockReturnValue(0);
      expect(await resolver.resolve(A, 'chat')).toEqual({ upstream: pods[0] });
    } finally {
      random.mockRestore();
    }
  });

  it('answers 404 for a project without a session, asking no cluster', async () => {
    expect(await resolver.resolve(A, 'vscode')).toEqual({
      status: 404,
      message: expect.stringContaining(A),
    });
    expect(upstreams).not.toHaveBeenCalled();
  });

  it('answers 404 for a session being deleted', async () => {
    await storeSession(store, newSession(A), 'deleting');
    expect(await resolver.resolve(A, 'vscode')).toMatchObject({ status: 404 });
    expect(upstreams).not.toHaveBeenCalled();
  });

  it('answers 404 for a role the session does not have', async () => {
    const { preview, chat } = newSession(A).targets;
    await storeSession(
      store,
      newSession(A, { targets: { preview, chat } as SessionTargets }),
      'ready',
    );
    expect(await resolver.resolve(A, 'vscode')).toEqual({
      status: 404,
      message: expect.stringMatching(/has no vscode$/),
    });
    expect(upstreams).not.toHaveBeenCalled();
    expect(await resolver.resolve(A, 'chat')).toEqual({ upstream: POD });
  });

  it('answers 503 without a cluster', async () => {
    await storeSession(store, newSession(A), 'ready');
    const noCluster = new Upstreams({ store, clock: () => now });
    expect(await noCluster.resolve(A, 'vscode')).toEqual({
      status: 503,
      message: 'No Kubernetes cluster is configured',
    });
  });

  it('answers 503 when the role has no ready endpoint', async () => {
    await storeSession(store, newSession(A), 'ready');
    upstreams.mockResolvedValue([]);
    expect(await resolver.resolve(A, 'vscode')).toEqual({
      status: 503,
      message: expect.stringMatching(/vscode .* not ready \(state ready\)/),
    });
  });

  it('answers from its cache within the ttl, asks again after it', async () => {
    await storeSession(store, newSession(A), 'ready');
    const get = jest.spyOn(store, 'get');
    expect(await resolver.resolve(A, 'vscode')).toEqual({ upstream: POD });
    now += 4_999;
    upstreams.mockResolvedValue([]);
    expect(await resolver.resolve(A, 'vscode')).toEqual({ upstream: POD });
    expect(upstreams).toHaveBeenCalledTimes(1);
    expect(get).toHaveBeenCalledTimes(1);
    now += 1;
    expect(await resolver.resolve(A, 'vscode')).toMatchObject({ status: 503 });
    expect(upstreams).toHaveBeenCalledTimes(2);
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('keeps answers per session and role', async () => {
    await storeSession(store, newSession(A), 'ready');
    await storeSession(store, newSession(B), 'ready');
    await resolver.resolve(A, 'vscode');
    await resolver.resolve(A, 'chat');
    await resolver.resolve(B, 'vscode');
    await resolver.resolve(A, 'vscode');
    expect(upstreams.mock.calls.map(c => `${c[0]}/${c[1]}`)).toEqual([
      `${A}/dev-session-vscode`,
      `${A}/dev-session-chat`,
      `${B}/dev-session-vscode`,
    ]);
  });

  it('keeps a "no session" or "not ready" answer for the ttl as well', async () => {
    expect(await resolver.resolve(A, 'vscode')).toMatchObject({ status: 404 });
    await storeSession(store, newSession(A), 'ready');
    expect(await resolver.resolve(A, 'vscode')).toMatchObject({ status: 404 });
    now += 5_000;
    expect(await resolver.resolve(A, 'vscode')).toEqual({ upstream: POD });
  });

  it('honours another ttl', async () => {
    await storeSession(store, newSession(A), 'ready');
    const short = new Upstreams({
      store,
      cluster,
      ttlMs: 100,
      clock: () => now,
    });
    await short.resolve(A, 'vscode');
    now += 99;
    await short.resolve(A, 'vscode');
    expect(upstreams).toHaveBeenCalledTimes(1);
    now += 1;
    await short.resolve(A, 'vscode');
    expect(upstreams).toHaveBeenCalledTimes(2);
  });

  it('shares one look-up between requests arriving together', async () => {
    await storeSession(store, newSession(A), 'ready');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => resolver.resolve(A, 'vscode')),
    );
    expect(answers).toEqual(Array(20).fill({ upstream: POD }));
    expect(upstreams).toHaveBeenCalledTimes(1);
  });

  it('does not keep a failure: the next request asks again', async () => {
    await storeSession(store, newSession(A), 'ready');
    upstreams.mockRejectedValueOnce(new Error('the API server is down'));
    await expect(resolver.resolve(A, 'vscode')).rejects.toThrow(
      'the API server is down',
    );
    // within the ttl, still asked again
    expect(await resolver.resolve(A, 'vscode')).toEqual({ upstream: POD });
    expect(upstreams).toHaveBeenCalledTimes(2);
    // and the success is kept
    await resolver.resolve(A, 'vscode');
    expect(upstreams).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failure of the database either', async () => {
    await storeSession(store, newSession(A), 'ready');
    jest
      .spyOn(store, 'get')
      .mockRejectedValueOnce(new Error('the database is down'));
    await expect(resolver.resolve(A, 'vscode')).rejects.toThrow(
      'the database is down',
    );
    expect(await resolver.resolve(A, 'vscode')).toEqual({ upstream: POD });
  });
});
