/*
 * values.schema.json rejects bad values before anything reaches the cluster, naming the field.
 */
import { baseValues, merge, template } from './render';

jest.setTimeout(60_000);

const cases: Array<[string, object, RegExp]> = [
  [
    'project UUID that is not a UUID',
    { project: { uuid: 'not-a-uuid' } },
    /project\.uuid: Does not match pattern/,
  ],
  [
    'project UUID with shell metacharacters',
    { project: { uuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10; rm -rf /' } },
    /project\.uuid/,
  ],
  [
    'project UUID of the wrong type',
    { project: { uuid: 42 } },
    /project\.uuid: Invalid type/,
  ],
  [
    'unknown top-level key',
    { replicaCount: 2 },
    /Additional property replicaCount is not allowed/,
  ],
  [
    'port above 65535',
    { service: { preview: { port: 70000, path: '/preview' } } },
    /service\.preview\.port: Must be less than or equal to 65535/,
  ],
  [
    'port 0',
    { service: { chat: { port: 0, path: '/chat' } } },
    /service\.chat\.port: Must be greater than or equal to 1/,
  ],
  [
    'port as a string',
    { service: { vscode: { port: '8080', path: '/vscode' } } },
    /service\.vscode\.port: Invalid type/,
  ],
  [
    'path without a leading slash',
    { service: { preview: { port: 3000, path: 'preview' } } },
    /service\.preview\.path: Does not match pattern/,
  ],
  [
    'path with spaces',
    { service: { chat: { port: 3001, path: '/chat room' } } },
    /service\.chat\.path/,
  ],
  ['unknown size', { size: 'huge' }, /size: size must be one of the following/],
  ['invalid storage size', { storage: { size: '10 gigs' } }, /storage\.size/],
  [
    'storage enabled as a string',
    { storage: { enabled: 'yes' } },
    /storage\.enabled: Invalid type/,
  ],
  [
    'invalid CPU quantity',
    { resources: { limits: { cpu: 'two' } } },
    /resources\.limits\.cpu/,
  ],
  [
    'invalid memory quantity',
    { resources: { limits: { memory: '4GB' } } },
    /resources\.limits\.memory/,
  ],
  [
    'unknown ingress mode',
    { ingress: { mode: 'subdomain' } },
    /ingress\.mode: ingress\.mode must be one of the following/,
  ],
  [
    'ingress host with a scheme',
    { ingress: { host: 'https://dev.example.com' } },
    /ingress\.host: Does not match pattern/,
  ],
  [
    'image repository with spaces',
    {
      containers: {
        preview: { image: { repository: 'node alpine', tag: '22' } },
      },
    },
    /containers\.preview\.image\.repository/,
  ],
  [
    'image tag with a shell injection',
    { containers: { chat: { image: { repository: 'node', tag: '22;echo' } } } },
    /containers\.chat\.image\.tag/,
  ],
  [
    'secretEnvFrom with an invalid name',
    { secretEnvFrom: ['My_Secret'] },
    /secretEnvFrom\.0/,
  ],
  [
    'runAsUser 0 (root)',
    { security: { runAsUser: 0 } },
    /security\.runAsUser: Must be greater than or equal to 1/,
  ],
  [
    'unknown key inside a container',
    { containers: { vscode: { privileged: true } } },
    /containers\.vscode: Additional property privileged is not allowed/,
  ],
  [
    'nameOverride with capitals',
    { nameOverride: 'Dev' },
    /nameOverride: Does not match pattern/,
  ],
  [
    'fullnameOverride over 55 characters',
    { fullnameOverride: 'a'.repeat(56) },
    /fullnameOverride: String length must be less than or equal to 55/,
  ],
  [
    'fullnameOverride starting with a digit (Service names are DNS-1035)',
    { fullnameOverride: '1dev' },
    /fullnameOverride: Does not match pattern/,
  ],
  [
    'existingClaim with a slash',
    { storage: { existingClaim: '../other' } },
    /storage\.existingClaim: Does not match pattern/,
  ],
  [
    'storageClass with a space',
    { storage: { storageClass: 'fast ssd' } },
    /storage\.storageClass: Does not match pattern/,
  ],
  [
    'serviceAccount.name with capitals',
    { serviceAccount: { name: 'Admin' } },
    /serviceAccount\.name: Does not match pattern/,
  ],
  [
    'ingress.className with an underscore',
    { ingress: { className: 'my_class' } },
    /ingress\.className: Does not match pattern/,
  ],
  [
    'ingress.tls.secretName over 253 characters',
    { ingress: { tls: { secretName: 'a'.repeat(254) } } },
    /ingress\.tls\.secretName: String length/,
  ],
  [
    'ingress.host in capitals',
    { ingress: { host: 'Dev.Example.com' } },
    /ingress\.host: Does not match pattern/,
  ],
  [
    'ingress.host label over 63 characters',
    { ingress: { host: `${'a'.repeat(64)}.example.com` } },
    /ingress\.host: Does not match pattern/,
  ],
  [
    'image repository in capitals',
    { containers: { preview: { image: { repository: 'Node', tag: '22' } } } },
    /containers\.preview\.image\.repository/,
  ],
  [
    'image tag over 128 characters',
    {
      containers: {
        preview: { image: { repository: 'node', tag: 'a'.repeat(129) } },
      },
    },
    /containers\.preview\.image\.tag/,
  ],
  [
    'env name with "="',
    { containers: { chat: { env: [{ name: 'A=B', value: 'x' }] } } },
    /containers\.chat\.env\.0\.name: Does not match pattern/,
  ],
  [
    'env value with a control character',
    { containers: { chat: { env: [{ name: 'A', value: 'a\u001bb' }] } } },
    /containers\.chat\.env\.0\.value: Does not match pattern/,
  ],
  [
    'args with a carriage return',
    { containers: { chat: { args: ['a\rb'] } } },
    /containers\.chat\.args\.0: Does not match pattern/,
  ],
  [
    'probe path with a space',
    { containers: { chat: { probes: { liveness: { path: '/a b' } } } } },
    /containers\.chat\.probes\.liveness\.path: Does not match pattern/,
  ],
  [
    'project.id with a newline',
    { project: { id: 'a\nb' } },
    /project\.id: Does not match pattern/,
  ],
  [
    'user.id over 253 characters',
    { user: { id: 'u'.repeat(254) } },
    /user\.id: String length/,
  ],
  [
    'project UUID over 36 characters',
    { project: { uuid: `${'a'.repeat(8)}-aaaa-aaaa-aaaa-${'a'.repeat(13)}` } },
    /project\.uuid/,
  ],
  [
    'memory quantity with a fraction',
    { resources: { limits: { memory: '1.5Gi' } } },
    /resources\.limits\.memory/,
  ],
  [
    'CPU quantity with four decimals',
    { resources: { limits: { cpu: '0.0005' } } },
    /resources\.limits\.cpu/,
  ],
  [
    'a LoadBalancer entry service',
    { service: { lb: { type: 'LoadBalancer' } } },
    /service\.lb\.type: service\.lb\.type must be one of the following: "ClusterIP"/,
  ],
  [
    'a NodePort entry service',
    { service: { lb: { type: 'NodePort' } } },
    /service\.lb\.type/,
  ],
  [
    'a gateway peer selecting every namespace',
    { networkPolicy: { gatewayPeers: [{ namespaceSelector: {} }] } },
    /networkPolicy\.gatewayPeers\.0\.namespaceSelector/,
  ],
  [
    'a gateway peer with empty matchLabels',
    {
      networkPolicy: {
        gatewayPeers: [{ namespaceSelector: { matchLabels: {} } }],
      },
    },
    /networkPolicy\.gatewayPeers\.0\.namespaceSelector\.matchLabels/,
  ],
  [
    'an empty gateway peer',
    { networkPolicy: { gatewayPeers: [{}] } },
    /networkPolicy\.gatewayPeers\.0/,
  ],
  [
    'a gateway peer with an unknown key',
    {
      networkPolicy: {
        gatewayPeers: [{ podSelector: {}, serviceAccount: 'backstage' }],
      },
    },
    /Additional property serviceAccount is not allowed/,
  ],
  [
    'a gateway peer that is not an object',
    { networkPolicy: { gatewayPeers: ['backstage'] } },
    /networkPolicy\.gatewayPeers\.0: Invalid type/,
  ],
  [
    'a gateway ipBlock that is not a CIDR',
    { networkPolicy: { gatewayPeers: [{ ipBlock: { cidr: 'backstage' } }] } },
    /networkPolicy\.gatewayPeers\.0\.ipBlock\.cidr: Does not match pattern/,
  ],
  [
    'an empty ingress auth annotation',
    {
      ingress: {
        auth: { annotations: { 'nginx.ingress.kubernetes.io/auth-url': '' } },
      },
    },
    /ingress\.auth\.annotations/,
  ],
  [
    'an unknown key under ingress.auth',
    { ingress: { auth: { none: true } } },
    /Additional property none is not allowed/,
  ],
  [
    'unknown key in an env entry',
    { containers: { chat: { env: [{ name: 'A', value: 'x', extra: 1 }] } } },
    /Additional property extra is not allowed/,
  ],
];

describe('dev-session chart: values.schema.json', () => {
  it.each(cases)('rejects %s', async (_name, bad, message) => {
    const r = await template(merge(baseValues, bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "values don't meet the specifications of the schema",
    );
    expect(r.stderr).toMatch(message);
  });

  it('accepts valid names, hosts, images and quantities', async () => {
    const r = await template(
      merge(baseValues, {
        nameOverride: 'ds',
        fullnameOverride: 'my-session',
        storage: {
          storageClass: '-',
          existingClaim: 'work.space-1',
          size: '1Ti',
        },
        serviceAccount: { name: 'session.sa' },
        ingress: {
          className: 'nginx.internal',
          host: 'p1.dev.example.com',
          tls: { secretName: 'wild-tls' },
          auth: {
            annotations: {
              'nginx.ingress.kubernetes.io/auth-url':
                'https://oauth2.example.com/oauth2/auth',
            },
          },
        },
        networkPolicy: {
          gatewayPeers: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': 'platform' },
              },
              podSelector: {
                matchExpressions: [
                  { key: 'app.kubernetes.io/name', operator: 'Exists' },
                ],
              },
            },
            { ipBlock: { cidr: 'fd00::/8', except: ['fd00::1/128'] } },
          ],
        },
        resources: {
          limits: { cpu: 1.5, memory: '3G' },
          requests: { cpu: '250m', memory: '512M' },
        },
        containers: {
          preview: {
            image: {
              repository: 'localhost:5000/acme/app_x',
              tag: 'v1.2.3-rc.1',
            },
            env: [{ name: 'my.var-1', value: 'plain? yes: {x} & *y "q"' }],
            probes: { readiness: { path: '/ready?full=1' } },
          },
          vscode: {
            image: { repository: 'ghcr.io/coder/code-server', tag: 4 },
          },
        },
        podLabels: { 'team.example.com/name': 'blue_1' },
        secretEnvFrom: ['dev.tokens'],
      }),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('accepts the defaults with a project UUID', async () => {
    const r = await template(baseValues);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
