import { UrlSettings } from '../config/settings';
import { endpointsFromManifest } from './endpoints';
import { KubeObject } from './manifest';

const NS = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const HOST = `${NS}.dev.example.com`;

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

function ingress(
  rules: Array<{ host?: string; paths: Array<[string, string]> }>,
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'ws' },
    spec: {
      rules: rules.map(r => ({
        host: r.host,
        http: {
          paths: r.paths.map(([path, svc]) => ({
            path,
            pathType: 'Prefix',
            backend: { service: { name: svc, port: { name: 'http' } } },
          })),
        },
      })),
    },
  };
}

const pathIngress = ingress([
  {
    host: HOST,
    paths: [
      ['/preview', 'ws-preview'],
      ['/chat', 'ws-chat'],
      ['/vscode', 'ws-vscode'],
    ],
  },
]);

const hostIngress = ingress(
  ['preview', 'chat', 'vscode'].map(role => ({
    host: `${role}.${HOST}`,
    paths: [['/', `ws-${role}`] as [string, string]],
  })),
);

describe('endpointsFromManifest', () => {
  const serviceMode: UrlSettings = { mode: 'service', scheme: 'https' };

  it('service mode: the in-cluster address of each annotated Service, with its first port', () => {
    expect(endpointsFromManifest(roleServices, NS, serviceMode)).toEqual({
      preview: {
        url: `http://ws-preview.${NS}.svc.cluster.local:3000/`,
        path: '/preview',
      },
      chat: {
        url: `http://ws-chat.${NS}.svc.cluster.local:3001/`,
        path: '/chat',
      },
      vscode: {
        url: `http://ws-vscode.${NS}.svc.cluster.local:8080/`,
        path: '/vscode',
      },
    });
  });

  it('service mode ignores Ingresses even when the chart rendered one', () => {
    expect(
      endpointsFromManifest([...roleServices, pathIngress], NS, serviceMode)
        .preview.url,
    ).toBe(`http://ws-preview.${NS}.svc.cluster.local:3000/`);
  });

  it('ingress-path: the host and path of the Ingress rule pointing at the Service', () => {
    const urls: UrlSettings = {
      mode: 'ingress-path',
      host: '{projectUuid}.dev.example.com',
      scheme: 'https',
    };
    expect(
      endpointsFromManifest([pathIngress, ...roleServices], NS, urls),
    ).toEqual({
      preview: { url: `https://${HOST}/preview`, path: '/preview' },
      chat: { url: `https://${HOST}/chat`, path: '/chat' },
      vscode: { url: `https://${HOST}/vscode`, path: '/vscode' },
    });
    expect(
      endpointsFromManifest([...roleServices, pathIngress], NS, {
        ...urls,
        scheme: 'http',
      }).chat.url,
    ).toBe(`http://${HOST}/chat`);
  });

  it('ingress-host: one host per role', () => {
    const urls: UrlSettings = {
      mode: 'ingress-host',
      host: '{projectUuid}.dev.example.com',
      scheme: 'https',
    };
    expect(
      endpointsFromManifest([...roleServices, hostIngress], NS, urls),
    ).toEqual({
      preview: { url: `https://preview.${HOST}/`, path: '/preview' },
      chat: { url: `https://chat.${HOST}/`, path: '/chat' },
      vscode: { url: `https://vscode.${HOST}/`, path: '/vscode' },
    });
  });

  it('falls back to the in-cluster address for a Service no host rule points at', () => {
    const urls: UrlSettings = {
      mode: 'ingress-path',
      host: '{projectUuid}.x',
      scheme: 'https',
    };
    const partial = ingress([
      { host: HOST, paths: [['/preview', 'ws-preview']] },
    ]);
    const hostless = ingress([{ paths: [['/chat', 'ws-chat']] }]);
    const eps = endpointsFromManifest(
      [...roleServices, partial, hostless],
      NS,
      urls,
    );
    expect(eps.preview.url).toBe(`https://${HOST}/preview`);
    expect(eps.chat.url).toBe(`http://ws-chat.${NS}.svc.cluster.local:3001/`);
    expect(eps.vscode.url).toBe(
      `http://ws-vscode.${NS}.svc.cluster.local:8080/`,
    );
  });

  it('ignores a Service without the role annotation (the -lb entry service) and other kinds', () => {
    const lb = service('ws-lb', { port: 80 });
    const annotatedPod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { 'dev-sessions.io/role': 'chat' } },
    };
    const eps = endpointsFromManifest(
      [lb, annotatedPod, roleServices[0]],
      NS,
      serviceMode,
    );
    expect(Object.keys(eps)).toEqual(['preview']);
    expect(JSON.stringify(eps)).not.toContain('ws-lb');
  });

  it('defaults the path to /<role> and leaves out a missing port', () => {
    expect(
      endpointsFromManifest(
        [service('app', { role: 'preview' })],
        NS,
        serviceMode,
      ),
    ).toEqual({
      preview: { url: `http://app.${NS}.svc.cluster.local/`, path: '/preview' },
    });
  });
});
