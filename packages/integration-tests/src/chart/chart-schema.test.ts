/*
 * values.schema.json rejects bad values before anything reaches the cluster, naming the field.
 */
import { baseValues, merge, template, UUID } from './render';

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
    'storage.enabled (the workspace is always a claim: no emptyDir that loses it)',
    { storage: { enabled: false } },
    /storage: Additional property enabled is not allowed/,
  ],
  [
    'invalid CPU quantity',
    { containers: { chat: { resources: { limits: { cpu: 'two' } } } } },
    /containers\.chat\.resources\.limits\.cpu/,
  ],
  [
    'invalid memory quantity',
    { containers: { preview: { resources: { limits: { memory: '4GB' } } } } },
    /containers\.preview\.resources\.limits\.memory/,
  ],
  [
    'the old top-level resources (the preset is the pod budget; override per container)',
    { resources: { limits: { cpu: '2' } } },
    /Additional property resources is not allowed/,
  ],
  [
    'a memory limit too large to count in bytes',
    { containers: { chat: { resources: { limits: { memory: '10000Ti' } } } } },
    /containers\.chat\.resources\.limits\.memory/,
  ],
  [
    'a preset for a role the chart does not have',
    {
      presets: {
        small: {
          resources: {
            db: {
              requests: { cpu: '1', memory: '1Gi' },
              limits: { cpu: '1', memory: '1Gi' },
            },
          },
        },
      },
    },
    /presets\.small\.resources: Additional property db is not allowed/,
  ],
  [
    'a preset role without limits (null removes a key in Helm)',
    {
      presets: {
        medium: {
          resources: { chat: { limits: null } },
        },
      },
    },
    /presets\.medium\.resources\.chat: limits is required/,
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
    'a per-role secretEnvFrom with an invalid name',
    { containers: { chat: { secretEnvFrom: ['My_Secret'] } } },
    /containers\.chat\.secretEnvFrom\.0: Does not match pattern/,
  ],
  [
    'the old top-level secretEnvFrom (it reached every container)',
    { secretEnvFrom: ['tokens'] },
    /Additional property secretEnvFrom is not allowed/,
  ],
  [
    'imagePullSecrets with an invalid name',
    { imagePullSecrets: ['Reg Cred'] },
    /imagePullSecrets\.0: Does not match pattern/,
  ],
  [
    'imagePullSecrets as objects (names only)',
    { imagePullSecrets: [{ name: 'regcred' }] },
    /imagePullSecrets\.0: Invalid type/,
  ],
  [
    'a numeric image tag (YAML reads 4.10 as 4.1)',
    {
      containers: {
        vscode: { image: { repository: 'codercom/code-server', tag: 4.1 } },
      },
    },
    /containers\.vscode\.image\.tag: Invalid type\. Expected: string, given: number/,
  ],
  [
    'a numeric test image tag',
    { tests: { image: { tag: 1.37 } } },
    /tests\.image\.tag: Invalid type/,
  ],
  [
    'a digest that is not sha256 and 64 hex digits',
    { containers: { chat: { image: { digest: 'sha256:abc' } } } },
    /containers\.chat\.image\.digest: Does not match pattern/,
  ],
  [
    'a digest in capitals',
    {
      containers: {
        chat: { image: { digest: `sha256:${'ABCDEF0123456789'.repeat(4)}` } },
      },
    },
    /containers\.chat\.image\.digest/,
  ],
  [
    'a digest with another algorithm',
    { containers: { chat: { image: { digest: `md5:${'a'.repeat(32)}` } } } },
    /containers\.chat\.image\.digest/,
  ],
  [
    'an image with neither tag nor digest',
    { containers: { preview: { image: { tag: '', digest: '' } } } },
    /containers\.preview\.image: Must validate at least one schema/,
  ],
  [
    'an env value that is a number',
    { containers: { chat: { env: [{ name: 'PORT2', value: 3002 }] } } },
    /containers\.chat\.env\.0\.value: Invalid type\. Expected: string, given: integer/,
  ],
  [
    'an env value that is a boolean',
    { containers: { vscode: { env: [{ name: 'DEBUG', value: true }] } } },
    /containers\.vscode\.env\.0\.value: Invalid type/,
  ],
  [
    'podLabels replacing the project UUID',
    { podLabels: { 'dev-sessions.io/project-uuid': UUID } },
    /podLabels: Property name of "dev-sessions\.io\/project-uuid" does not match/,
  ],
  [
    'podLabels replacing a selector label',
    { podLabels: { 'app.kubernetes.io/instance': 'other' } },
    /podLabels: Property name of "app\.kubernetes\.io\/instance" does not match/,
  ],
  [
    'podLabels with the chart label',
    { podLabels: { 'helm.sh/chart': 'x' } },
    /podLabels: Property name of "helm\.sh\/chart" does not match/,
  ],
  [
    'podLabels with any dev-sessions.io key',
    { podLabels: { 'dev-sessions.io/role': 'vscode' } },
    /podLabels: Property name of "dev-sessions\.io\/role" does not match/,
  ],
  ...(
    [
      '/tmp',
      '/tmp/work',
      '/',
      '/etc',
      '/proc/self',
      '/sys',
      '/dev/shm',
      '/usr/local/work',
      '/var/run',
      '/home',
      '/workspace/../tmp',
      '/./tmp',
      '//tmp',
      '/workspace/',
      'workspace',
    ] as const
  ).map((mountPath): [string, object, RegExp] => [
    `a workspace mountPath of ${mountPath}`,
    { storage: { mountPath } },
    /storage\.mountPath: (Does not match pattern|Must not validate the schema \(not\))/,
  ]),
  [
    'a history mountPath in /etc',
    { storage: { history: { mountPath: '/etc/history' } } },
    /storage\.history\.mountPath/,
  ],
  [
    'an agent config mountPath of /',
    { storage: { agentConfig: { mountPath: '/' } } },
    /storage\.agentConfig\.mountPath/,
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
    { containers: { chat: { resources: { limits: { memory: '1.5Gi' } } } } },
    /containers\.chat\.resources\.limits\.memory/,
  ],
  [
    'CPU quantity with four decimals',
    { containers: { chat: { resources: { requests: { cpu: '0.0005' } } } } },
    /containers\.chat\.resources\.requests\.cpu/,
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
          mountPath: '/home/coder/project.d/...',
          history: { mountPath: '/home/coder/.history', size: '512Mi' },
          agentConfig: { mountPath: '/home/node/.claude', size: '9999Ti' },
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
        imagePullSecrets: ['regcred', 'mirror.example.com'],
        containers: {
          preview: {
            image: {
              repository: 'localhost:5000/acme/app_x',
              tag: 'v1.2.3-rc.1',
            },
            env: [{ name: 'my.var-1', value: 'plain? yes: {x} & *y "q"' }],
            probes: {
              readiness: { path: '/ready?full=1', failureThreshold: 5 },
              startup: { path: '/', periodSeconds: 2, failureThreshold: 300 },
            },
            resources: {
              limits: { cpu: 1.5, memory: '3G' },
              requests: { cpu: '250m', memory: '512M' },
            },
          },
          chat: {
            image: {
              repository: 'registry.example.com/ai/agent',
              tag: '',
              digest: `sha256:${'0123456789abcdef'.repeat(4)}`,
            },
            secretEnvFrom: ['dev.tokens', 'agent-key'],
          },
          vscode: {
            image: { repository: 'ghcr.io/coder/code-server', tag: '4.10' },
            resources: { limits: { cpu: '1.125', memory: '1Ti' } },
          },
        },
        podLabels: {
          'team.example.com/name': 'blue_1',
          'app.kubernetes.io/created-by': 'me',
        },
        tests: { image: { repository: 'busybox', tag: '1' } },
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
