import { internalUrl, storedTarget, targetsFromManifest } from './endpoints';
import { KubeObject } from './manifest';

const NS = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

function service(
  name: string,
  opts: { role?: string; path?: string; port?: number } = {},
): KubeObject {
  const annotations: Record<string, string> = {};
  if (opts.role) annotations['dev-sessions.io/role'] = opts.role;
  if (opts.path) annotations['dev-sessions.io/path'] = opts.path;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, annotations },
    spec: opts.port === undefined ? {} : { ports: [{ port: opts.port }] },
  };
}

const roleServices = [
  service('ws-preview', { role: 'preview', path: '/preview', port: 3000 }),
  service('ws-chat', { role: 'chat', path: '/chat', port: 3001 }),
  service('ws-vscode', { role: 'vscode', path: '/vscode', port: 8080 }),
];

describe('targetsFromManifest', () => {
  it('takes each annotated Service by name with its first port and path', () => {
    expect(targetsFromManifest(roleServices)).toEqual({
      preview: { service: 'ws-preview', port: 3000, path: '/preview' },
      chat: { service: 'ws-chat', port: 3001, path: '/chat' },
      vscode: { service: 'ws-vscode', port: 8080, path: '/vscode' },
    });
  });

  it('ignores a Service without the role annotation (the -lb entry service), unknown roles, other kinds and Services without a port', () => {
    const annotatedPod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { 'dev-sessions.io/role': 'chat' } },
    };
    const targets = targetsFromManifest([
      service('ws-lb', { port: 80 }),
      service('shell', { role: 'shell', port: 22 }),
      service('portless', { role: 'vscode' }),
      annotatedPod,
      roleServices[0],
    ]);
    expect(Object.keys(targets)).toEqual(['preview']);
  });

  it('defaults the path to /<role>', () => {
    expect(
      targetsFromManifest([service('app', { role: 'preview', port: 80 })]),
    ).toEqual({ preview: { service: 'app', port: 80, path: '/preview' } });
  });
});

describe('internalUrl and storedTarget', () => {
  it('gives the in-cluster address of a target', () => {
    expect(
      internalUrl(NS, { service: 'ws-chat', port: 3001, path: '/chat' }),
    ).toBe(`http://ws-chat.${NS}.svc.cluster.local:3001/`);
  });

  it('reads targets as stored, and rows stored with the in-cluster URL before', () => {
    const t = { service: 'ws-chat', port: 3001, path: '/chat' };
    expect(storedTarget(t)).toEqual(t);
    expect(
      storedTarget({
        url: `http://ws-chat.${NS}.svc.cluster.local:3001/`,
        path: '/chat',
      }),
    ).toEqual(t);
    // an ingress link of the old ingress modes names no Service: no target
    expect(
      storedTarget({ url: `https://${NS}.dev.example.com/chat`, path: '/c' }),
    ).toBeUndefined();
    expect(storedTarget(undefined)).toBeUndefined();
  });
});
