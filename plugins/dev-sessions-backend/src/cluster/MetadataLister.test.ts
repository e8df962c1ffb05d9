import * as k8s from '@kubernetes/client-node';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { MetadataLister, MetadataListError } from './MetadataLister';

/** A stand-in API server that records what it was asked. */
async function fakeApiServer(status = 200, items: unknown = undefined) {
  const seen: Array<{ url: string; accept?: string; auth?: string }> = [];
  const server = http.createServer((req, res) => {
    seen.push({
      url: req.url!,
      accept: req.headers.accept,
      auth: req.headers.authorization,
    });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        status === 200
          ? {
              kind: 'PartialObjectMetadataList',
              items:
                items === undefined
                  ? [{ metadata: { name: 's1', labels: { status: 'ok' } } }]
                  : items,
            }
          : { kind: 'Status', code: status, message: 'forbidden' },
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
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 'tok' }],
    contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
    currentContext: 'c',
  });
  return {
    kc,
    seen,
    close: () => new Promise(r => server.close(r)),
  };
}

describe('MetadataLister', () => {
  it('asks for metadata only, with the selector and the credentials, and parses the list', async () => {
    const api = await fakeApiServer();
    const lister = new MetadataLister(api.kc);
    const list = await lister.list(
      '/api/v1/namespaces/ns1/secrets',
      'owner=helm,name=dev-session',
    );
    expect(list.items).toEqual([
      { metadata: { name: 's1', labels: { status: 'ok' } } },
    ]);
    expect(api.seen).toEqual([
      {
        url: '/api/v1/namespaces/ns1/secrets?labelSelector=owner%3Dhelm%2Cname%3Ddev-session',
        accept:
          'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
        auth: 'Bearer tok',
      },
    ]);
    lister.close();
    await api.close();
  });

  it('answers an error status as an error with its code', async () => {
    const api = await fakeApiServer(403);
    const lister = new MetadataLister(api.kc);
    const e = await lister
      .list('/api/v1/namespaces/x/secrets', 'a=b')
      .catch(err => err);
    expect(e).toBeInstanceOf(MetadataListError);
    expect(e.code).toBe(403);
    lister.close();
    await api.close();
  });

  it('answers an empty list (items: null, as the API server sends it) as no items', async () => {
    const api = await fakeApiServer(200, null);
    const lister = new MetadataLister(api.kc);
    expect(await lister.list('/api/v1/namespaces/x/secrets', 'a=b')).toEqual({
      items: [],
    });
    lister.close();
    await api.close();
  });
});
