import { mockServices } from '@backstage/backend-test-utils';
import * as k8s from '@kubernetes/client-node';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { eventually } from '../__testUtils__/wait';
import { WatchCache } from './WatchCache';

/**
 * A stand-in API server for one kind: answers the list with `state.items` (or `state.listStatus`)
 * and keeps each watch open so the test can send it lines or end it.
 */
async function fakeApiServer() {
  const state = {
    items: [] as any[],
    resourceVersion: '10',
    listStatus: 200,
    lists: 0,
    watchQueries: [] as URLSearchParams[],
    watches: [] as http.ServerResponse[],
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.searchParams.get('watch') === 'true') {
      state.watchQueries.push(url.searchParams);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      state.watches.push(res);
      return;
    }
    state.lists++;
    res.writeHead(state.listStatus, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        state.listStatus === 200
          ? {
              apiVersion: 'v1',
              kind: 'PodList',
              metadata: { resourceVersion: state.resourceVersion },
              items: state.items,
            }
          : { kind: 'Status', code: state.listStatus, message: 'boom' },
      ),
    );
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'fake',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        // plain HTTP on loopback: client-node allows it only with this set
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
    currentContext: 'c',
  });
  const send = (type: string, object: object) =>
    state.watches.at(-1)!.write(`${JSON.stringify({ type, object })}\n`);
  return {
    state,
    kc,
    send,
    close: () =>
      new Promise(r => {
        for (const w of state.watches) w.destroy();
        server.close(r);
      }),
  };
}

const pod = (
  name: string,
  rv: string,
  labels: Record<string, string> = {},
) => ({
  metadata: { name, namespace: 'ns1', resourceVersion: rv, labels },
});

function cacheOf(kc: k8s.KubeConfig, keep?: (p: k8s.V1Pod) => boolean) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return new WatchCache<k8s.V1Pod>({
    name: 'pods',
    kc,
    path: '/api/v1/pods',
    list: p => core.listPodForAllNamespaces(p),
    keep,
    logger: mockServices.logger.mock(),
    backoffMs: { min: 10, max: 50 },
  });
}

const names = (c: WatchCache<k8s.V1Pod>) =>
  c
    .inNamespace('ns1')
    .map(p => p.metadata!.name)
    .sort();

describe('WatchCache', () => {
  let api: Awaited<ReturnType<typeof fakeApiServer>>;
  let cache: WatchCache<k8s.V1Pod>;
  beforeEach(async () => {
    api = await fakeApiServer();
  });
  afterEach(async () => {
    cache?.stop();
    await api.close();
  });

  it('lists, then watches from the list’s version and applies added, modified and deleted', async () => {
    api.state.items = [pod('a', '5')];
    cache = cacheOf(api.kc);
    cache.start();
    expect(await cache.waitForSync(5000)).toBe(true);
    expect(names(cache)).toEqual(['a']);
    await eventually(() => api.state.watches.length === 1, 'the watch');
    expect(api.state.watchQueries[0].get('resourceVersion')).toBe('10');
    expect(api.state.watchQueries[0].get('allowWatchBookmarks')).toBe('true');

    api.send('ADDED', pod('b', '11'));
    api.send('MODIFIED', pod('a', '12', { x: 'y' }));
    await eventually(() => names(cache).length === 2, 'b added');
    await eventually(
      () =>
        cache.inNamespace('ns1').find(p => p.metadata!.name === 'a')?.metadata
          ?.labels?.x,
      'a modified',
    );
    api.send('DELETED', pod('b', '13'));
    api.send('BOOKMARK', { metadata: { resourceVersion: '20' } });
    await eventually(() => names(cache).length === 1, 'b deleted');

    // the watch ends (the server's timeout): it resumes from the last version seen
    api.state.watches[0].end();
    await eventually(() => api.state.watches.length === 2, 'the next watch');
    expect(api.state.watchQueries[1].get('resourceVersion')).toBe('20');
    expect(api.state.lists).toBe(1);
    expect(cache.synced).toBe(true);
  });

  it('lists again when its version is gone (410)', async () => {
    api.state.items = [pod('a', '5')];
    cache = cacheOf(api.kc);
    cache.start();
    await eventually(() => api.state.watches.length === 1, 'the watch');
    api.state.items = [pod('c', '30')];
    api.state.resourceVersion = '30';
    api.send('ERROR', { kind: 'Status', code: 410, message: 'too old' });
    await eventually(() => api.state.lists === 2, 'a second list');
    await eventually(() => names(cache)[0] === 'c', 'the new list applied');
    expect(names(cache)).toEqual(['c']);
    await eventually(() => api.state.watches.length === 2, 'the next watch');
    expect(api.state.watchQueries[1].get('resourceVersion')).toBe('30');
    expect(cache.stats.errors).toBe(1);
  });

  it('keeps only what `keep` accepts, and drops an object that stops matching', async () => {
    api.state.items = [pod('a', '5', { ours: 'yes' }), pod('z', '6')];
    cache = cacheOf(api.kc, p => p.metadata?.labels?.ours === 'yes');
    cache.start();
    await eventually(() => api.state.watches.length === 1, 'the watch');
    expect(names(cache)).toEqual(['a']);
    api.send('ADDED', pod('y', '11'));
    api.send('MODIFIED', pod('a', '12'));
    await eventually(() => names(cache).length === 0, 'a dropped');
    expect(cache.size).toBe(0);
  });

  it('is not synced while the list fails, retries with backoff and syncs when it answers', async () => {
    api.state.listStatus = 500;
    cache = cacheOf(api.kc);
    cache.start();
    await eventually(() => api.state.lists >= 3, 'retries');
    expect(cache.synced).toBe(false);
    expect(await cache.waitForSync(50)).toBe(false);
    api.state.listStatus = 200;
    api.state.items = [pod('a', '5')];
    expect(await cache.waitForSync(5000)).toBe(true);
    expect(names(cache)).toEqual(['a']);
  });

  it('stops: no more watches, not synced', async () => {
    cache = cacheOf(api.kc);
    cache.start();
    await eventually(() => api.state.watches.length === 1, 'the watch');
    cache.stop();
    expect(cache.synced).toBe(false);
    await new Promise(r => setTimeout(r, 100));
    expect(api.state.watches.length).toBe(1);
  });
});
