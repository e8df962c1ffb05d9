/*
 * No chart value can add Kubernetes objects or move one out of the release namespace: each
 * payload below (a newline, `---` and a whole new object, YAML syntax, template syntax) is either
 * rejected by values.schema.json when `helm template` runs, or rendered as one plain string, with
 * exactly the objects the same values render without the payload.
 */
import {
  baseValues,
  ingressAuth,
  K8sObject,
  merge,
  parse,
  template,
  UUID,
} from './render';

jest.setTimeout(60_000);

/** A whole second document: a quota that would freeze kube-system. */
const DOC =
  '\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: pwned\n  namespace: kube-system\n' +
  'spec:\n  hard: {pods: "0"}\n';
/** The same, as a key/value pair that would continue the surrounding mapping. */
const KEY = '\n  pwned: true\nmetadata:\n  namespace: kube-system';
const inj = (prefix: string) => `${prefix}${DOC}`;

const ingressOn = {
  ingress: { enabled: true, host: 'dev.example.com', auth: ingressAuth },
};
const tlsOn = {
  ingress: {
    ...ingressOn.ingress,
    tls: { enabled: true, secretName: 'dev-tls' },
  },
};

type Outcome = 'rejected' | 'inert';
/** [name, options the payload needs (rendered alone as the baseline), payload, outcome] */
const corpus: Array<[string, object, object, Outcome]> = [
  [
    'storage.existingClaim',
    {},
    { storage: { existingClaim: inj('ws') } },
    'rejected',
  ],
  [
    'storage.existingClaim as a continued mapping',
    {},
    { storage: { existingClaim: `ws${KEY}` } },
    'rejected',
  ],
  [
    'serviceAccount.name',
    {},
    { serviceAccount: { name: inj('sa') } },
    'rejected',
  ],
  [
    'serviceAccount.name without create',
    {},
    { serviceAccount: { create: false, name: inj('sa') } },
    'rejected',
  ],
  [
    'ingress.className',
    ingressOn,
    { ingress: { className: inj('nginx') } },
    'rejected',
  ],
  [
    'ingress.tls.secretName',
    tlsOn,
    { ingress: { tls: { secretName: inj('tls') } } },
    'rejected',
  ],
  [
    'ingress.host with a newline',
    ingressOn,
    { ingress: { host: inj('dev.example.com') } },
    'rejected',
  ],
  [
    'ingress.host as a flow mapping',
    ingressOn,
    { ingress: { host: '{a: b}' } },
    'rejected',
  ],
  ['nameOverride', {}, { nameOverride: inj('n') }, 'rejected'],
  ['fullnameOverride', {}, { fullnameOverride: inj('f') }, 'rejected'],
  [
    'fullnameOverride with a YAML anchor',
    {},
    { fullnameOverride: '&a x' },
    'rejected',
  ],
  [
    'storage.storageClass',
    {},
    { storage: { storageClass: inj('fast') } },
    'rejected',
  ],
  [
    'image tag',
    {},
    {
      containers: {
        preview: { image: { repository: 'node', tag: inj('22') } },
      },
    },
    'rejected',
  ],
  [
    'image repository',
    {},
    { containers: { chat: { image: { repository: inj('node'), tag: '22' } } } },
    'rejected',
  ],
  ['test image tag', {}, { tests: { image: { tag: inj('1') } } }, 'rejected'],
  [
    'image pullPolicy',
    {},
    {
      containers: {
        chat: {
          image: { repository: 'node', tag: '22', pullPolicy: inj('Always') },
        },
      },
    },
    'rejected',
  ],
  [
    'probe path',
    {},
    {
      containers: {
        vscode: { probes: { readiness: { path: inj('/healthz') } } },
      },
    },
    'rejected',
  ],
  [
    'service path',
    ingressOn,
    { service: { chat: { port: 3001, path: inj('/chat') } } },
    'rejected',
  ],
  [
    'storage.mountPath',
    {},
    { storage: { mountPath: inj('/workspace') } },
    'rejected',
  ],
  [
    'env name',
    {},
    { containers: { chat: { env: [{ name: inj('A'), value: 'x' }] } } },
    'rejected',
  ],
  [
    'env value',
    {},
    { containers: { chat: { env: [{ name: 'A', value: inj('x') }] } } },
    'rejected',
  ],
  [
    'env secretKeyRef name',
    {},
    {
      containers: {
        chat: {
          env: [
            {
              name: 'A',
              valueFrom: { secretKeyRef: { name: inj('s'), key: 'k' } },
            },
          ],
        },
      },
    },
    'rejected',
  ],
  [
    'envFrom secretRef name',
    {},
    { containers: { chat: { envFrom: [{ secretRef: { name: inj('s') } }] } } },
    'rejected',
  ],
  [
    'secretEnvFrom item of a role',
    {},
    { containers: { chat: { secretEnvFrom: [inj('tokens')] } } },
    'rejected',
  ],
  [
    'imagePullSecrets item',
    {},
    { imagePullSecrets: [inj('regcred')] },
    'rejected',
  ],
  [
    'image digest',
    {},
    {
      containers: {
        vscode: {
          image: { digest: `sha256:${'a'.repeat(64)}${DOC}` },
        },
      },
    },
    'rejected',
  ],
  [
    'image digest as a continued mapping',
    {},
    {
      containers: {
        vscode: { image: { digest: `sha256:${'a'.repeat(64)}${KEY}` } },
      },
    },
    'rejected',
  ],
  [
    'history mount path',
    {},
    { storage: { history: { mountPath: inj('/commandhistory') } } },
    'rejected',
  ],
  [
    'agent config volume size',
    {},
    { storage: { agentConfig: { size: inj('1Gi') } } },
    'rejected',
  ],
  [
    'startup probe path',
    {},
    { containers: { chat: { probes: { startup: { path: inj('/health') } } } } },
    'rejected',
  ],
  ['podLabels key', {}, { podLabels: { [inj('k')]: 'v' } }, 'rejected'],
  ['podLabels value', {}, { podLabels: { k: inj('v') } }, 'rejected'],
  [
    'podAnnotations key',
    {},
    { podAnnotations: { [inj('k')]: 'v' } },
    'rejected',
  ],
  [
    'service.lb annotations key',
    {},
    { service: { lb: { annotations: { [inj('k')]: 'v' } } } },
    'rejected',
  ],
  [
    'serviceAccount annotations key',
    {},
    { serviceAccount: { annotations: { [`a${KEY}`]: 'v' } } },
    'rejected',
  ],
  ['nodeSelector value', {}, { nodeSelector: { zone: inj('a') } }, 'rejected'],
  [
    'toleration key',
    {},
    { tolerations: [{ key: inj('k'), operator: 'Exists' }] },
    'rejected',
  ],
  [
    'ingress controller namespace',
    {},
    { networkPolicy: { ingressControllerNamespaces: [inj('ingress-nginx')] } },
    'rejected',
  ],
  [
    'gateway peer label value',
    {},
    {
      networkPolicy: {
        gatewayPeers: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': inj('backstage') },
            },
          },
        ],
      },
    },
    'rejected',
  ],
  [
    'gateway peer ipBlock',
    {},
    {
      networkPolicy: {
        gatewayPeers: [{ ipBlock: { cidr: `10.0.0.0/8${KEY}` } }],
      },
    },
    'rejected',
  ],
  [
    'ingress auth annotation key',
    ingressOn,
    { ingress: { auth: { annotations: { [inj('k')]: 'v' } } } },
    'rejected',
  ],
  ['project.uuid', {}, { project: { uuid: `${UUID}${DOC}` } }, 'rejected'],
  ['project.id', {}, { project: { id: inj('demo') } }, 'rejected'],
  ['user.id', {}, { user: { id: inj('user:default/jane') } }, 'rejected'],
  ['size', {}, { size: inj('medium') }, 'rejected'],
  [
    'containers.<role>.resources.limits.memory',
    {},
    { containers: { chat: { resources: { limits: { memory: inj('4Gi') } } } } },
    'rejected',
  ],
  [
    'a preset quantity',
    {},
    {
      presets: {
        medium: { resources: { preview: { limits: { cpu: inj('1') } } } },
      },
    },
    'rejected',
  ],
  ['workspace size', {}, { storage: { size: inj('10Gi') } }, 'rejected'],
  [
    'history volume size',
    {},
    { storage: { history: { enabled: true, size: inj('1Gi') } } },
    'rejected',
  ],
  [
    'command with a NUL byte',
    {},
    { containers: { preview: { command: ['node\u0000', '-e'] } } },
    'rejected',
  ],
  // accepted, but only ever one string in the output
  ['podAnnotations value', {}, { podAnnotations: { note: inj('x') } }, 'inert'],
  [
    'ingress annotation value',
    ingressOn,
    { ingress: { annotations: { 'a/b': inj('x') } } },
    'inert',
  ],
  [
    'ingress auth annotation value',
    ingressOn,
    {
      ingress: {
        auth: {
          annotations: { 'nginx.ingress.kubernetes.io/auth-url': inj('x') },
        },
      },
    },
    'inert',
  ],
  [
    'container args (newlines allowed)',
    {},
    { containers: { preview: { args: [inj('console.log(1)')] } } },
    'inert',
  ],
  [
    'container command',
    {},
    { containers: { chat: { command: [inj('node'), '-e'] } } },
    'inert',
  ],
  [
    'probe path with shell syntax',
    {},
    {
      containers: {
        preview: { probes: { readiness: { path: '/$(reboot)";`id`' } } },
      },
    },
    'inert',
  ],
  [
    'project.id with template syntax',
    {},
    { project: { id: '{{ fail "x" }}{{ .Release.Name }}' } },
    'inert',
  ],
  [
    'project.id with YAML syntax',
    {},
    { project: { id: '&a {k: *a} [x] --- !!binary |' } },
    'inert',
  ],
  [
    'user.id with quotes and a backslash',
    {},
    { user: { id: '"x\\" \\u000a: y' } },
    'inert',
  ],
  [
    'podLabels overriding our labels',
    {},
    {
      podLabels: {
        'dev-sessions.io/project-uuid': 'other',
        'app.kubernetes.io/instance': 'x',
      },
    },
    'rejected',
  ],
  [
    'extra egress rule with a newline',
    {},
    {
      networkPolicy: {
        egress: {
          extraRules: [{ to: [{ ipBlock: { cidr: inj('1.2.3.4/32') } }] }],
        },
      },
    },
    'inert',
  ],
];

/** The kinds the chart makes and how many of each at most. */
const KINDS: Record<string, number> = {
  Deployment: 1,
  Service: 4,
  Ingress: 1,
  PersistentVolumeClaim: 3,
  ServiceAccount: 1,
  NetworkPolicy: 1,
  ResourceQuota: 1,
  LimitRange: 1,
  Pod: 1,
};

function ids(objs: K8sObject[]) {
  return objs.map(o => `${o.kind}/${o.metadata?.name}`).sort();
}

function expectContained(objs: K8sObject[]) {
  const counts: Record<string, number> = {};
  for (const o of objs) {
    expect(Object.keys(KINDS)).toContain(o.kind);
    counts[o.kind] = (counts[o.kind] ?? 0) + 1;
    expect(counts[o.kind]).toBeLessThanOrEqual(KINDS[o.kind]);
    expect([undefined, UUID]).toContain(o.metadata.namespace);
    expect(o.metadata.name).toMatch(/^dev-session(-[a-z-]+)?$/);
    expect(o.metadata.labels?.['dev-sessions.io/project-uuid']).toBe(UUID);
  }
}

describe('dev-session chart: injection through values', () => {
  it('has a corpus of at least 20 payloads', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20);
  });

  const rejected = corpus.filter(c => c[3] === 'rejected');
  const inert = corpus.filter(c => c[3] === 'inert');

  it.each(rejected)('rejects %s', async (_name, options, payload) => {
    const base = await template(merge(baseValues, options));
    expect(base.stderr).toBe('');
    expect(base.code).toBe(0);

    const r = await template(merge(baseValues, options, payload));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "values don't meet the specifications of the schema",
    );
    expect(r.stdout).not.toContain('pwned');
  });

  it.each(inert)(
    'renders %s as one string',
    async (_name, options, payload) => {
      const base = await template(merge(baseValues, options));
      expect(base.stderr).toBe('');
      const baseline = parse(base.stdout);

      const r = await template(merge(baseValues, options, payload));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const objs = parse(r.stdout);
      expectContained(objs);
      expect(ids(objs)).toEqual(ids(baseline));
      expect(objs.some(o => o.metadata.name === 'pwned')).toBe(false);
    },
  );

  it('keeps inert payloads as exactly the string that was given', async () => {
    const id = '{{ fail "x" }}\u00e9 &a *a';
    const note = inj('x');
    const arg = inj('console.log(1)');
    const objs = parse(
      (
        await template(
          merge(baseValues, {
            project: { id },
            podAnnotations: { note },
            containers: { preview: { args: [arg] } },
          }),
        )
      ).stdout,
    );
    const dep = objs.find(o => o.kind === 'Deployment')!;
    expect(dep.spec.template.metadata.annotations).toEqual({ note });
    const preview = dep.spec.template.spec.containers[0];
    expect(preview.args).toEqual([arg]);
    expect(preview.env).toContainEqual({ name: 'PROJECT_ID', value: id });
  });

  it('never hands a value to the shell of the helm test pod', async () => {
    const path = '/$(reboot)";`id`';
    const objs = parse(
      (
        await template(
          merge(baseValues, {
            containers: { preview: { probes: { readiness: { path } } } },
          }),
        )
      ).stdout,
    );
    const test = objs.find(o => o.kind === 'Pod')!;
    const [script, ...argv] = test.spec.containers[0].args;
    expect(script).not.toContain('reboot');
    expect(argv).toContain(`http://dev-session-preview:3000${path}`);
  });
});
