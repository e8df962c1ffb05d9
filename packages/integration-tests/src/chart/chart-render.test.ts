/*
 * The dev-session chart rendered by the real `helm template`, for the defaults and each option.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chartDir, run, testHelmBinary } from '../index';
import {
  baseValues,
  find,
  ingressAuth,
  merge,
  one,
  parse,
  render,
  template,
  UUID,
} from './render';

jest.setTimeout(60_000);

const FULL = 'dev-session';
const roles = ['preview', 'chat', 'vscode'] as const;
const CLAIMS = [
  'dev-session-agent-config',
  'dev-session-history',
  'dev-session-workspace',
];
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** The medium preset, per role: the design's session budget split by role. */
const MEDIUM = {
  preview: {
    requests: { cpu: '100m', memory: '512Mi' },
    limits: { cpu: '400m', memory: '1Gi' },
  },
  chat: {
    requests: { cpu: '200m', memory: '768Mi' },
    limits: { cpu: '800m', memory: '1536Mi' },
  },
  vscode: {
    requests: { cpu: '200m', memory: '768Mi' },
    limits: { cpu: '800m', memory: '1536Mi' },
  },
};
const containersOf = (objs: Awaited<ReturnType<typeof render>>) =>
  Object.fromEntries(
    one(objs, 'Deployment').spec.template.spec.containers.map((c: any) => [
      c.name,
      c,
    ]),
  );

describe('dev-session chart: defaults', () => {
  let objs: Awaited<ReturnType<typeof render>>;
  beforeAll(async () => {
    objs = await render(baseValues);
  });

  it('renders one Deployment with Recreate, one replica and three containers', () => {
    const d = one(objs, 'Deployment');
    expect(d.metadata.name).toBe(FULL);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe('Recreate');
    const cs = d.spec.template.spec.containers;
    expect(cs.map((c: any) => c.name)).toEqual(['preview', 'chat', 'vscode']);
    expect(cs.map((c: any) => c.ports[0].containerPort)).toEqual([
      3000, 3001, 8080,
    ]);
    expect(cs[2].image).toMatch(/^codercom\/code-server:/);
    for (const c of cs) {
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
      expect(env).toMatchObject({
        PROJECT_UUID: UUID,
        PROJECT_ID: 'demo',
        USER_ID: 'user:default/jane',
      });
      expect(c.readinessProbe.httpGet.path).toBeTruthy();
      expect(c.livenessProbe.httpGet.path).toBeTruthy();
      expect(c.startupProbe).toMatchObject({
        httpGet: { path: c.readinessProbe.httpGet.path, port: c.name },
        periodSeconds: 5,
        failureThreshold: 60,
      });
      expect(c.resources).toEqual(MEDIUM[c.name as keyof typeof MEDIUM]);
      expect(c.volumeMounts).toContainEqual({
        name: 'workspace',
        mountPath: '/workspace',
      });
    }
    // the design's extra volumes: shell history for VS Code, the agent's configuration for chat
    expect(cs[2].volumeMounts).toContainEqual({
      name: 'history',
      mountPath: '/commandhistory',
    });
    expect(cs[2].env).toContainEqual({
      name: 'HISTFILE',
      value: '/commandhistory/.bash_history',
    });
    expect(cs[1].volumeMounts).toContainEqual({
      name: 'agent-config',
      mountPath: '/home/node/.claude',
    });
    expect(cs[0].volumeMounts.map((m: any) => m.name)).toEqual([
      'workspace',
      'tmp',
    ]);
  });

  it('meets the restricted Pod Security Standard', () => {
    const pod = one(objs, 'Deployment').spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        runAsNonRoot: true,
      });
    }
    const sa = one(objs, 'ServiceAccount');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
  });

  it('renders a ClusterIP service per role and a combined -lb service with all three ports', () => {
    for (const r of roles) {
      const s = one(objs, 'Service', `${FULL}-${r}`);
      expect(s.spec.type).toBe('ClusterIP');
      expect(s.spec.ports[0].targetPort).toBe(r);
    }
    const lb = one(objs, 'Service', `${FULL}-lb`);
    expect(lb.spec.ports.map((p: any) => p.port)).toEqual([3000, 3001, 8080]);
  });

  it('has a 10Gi workspace and 1Gi history and agent-config claims that Helm keeps, NetworkPolicy, ResourceQuota and LimitRange, and no Ingress', () => {
    const pvcs = find(objs, 'PersistentVolumeClaim');
    expect(
      pvcs.map(p => [p.metadata.name, p.spec.resources.requests.storage]),
    ).toEqual([
      ['dev-session-workspace', '10Gi'],
      ['dev-session-history', '1Gi'],
      ['dev-session-agent-config', '1Gi'],
    ]);
    for (const pvc of pvcs) {
      expect(pvc.metadata.annotations).toEqual({
        'helm.sh/resource-policy': 'keep',
      });
      expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
      expect(pvc.spec.storageClassName).toBeUndefined();
    }
    const vols = one(objs, 'Deployment').spec.template.spec.volumes;
    expect(
      vols
        .filter((v: any) => v.persistentVolumeClaim)
        .map((v: any) => v.persistentVolumeClaim.claimName)
        .sort(),
    ).toEqual(CLAIMS);
    one(objs, 'NetworkPolicy');
    const q = one(objs, 'ResourceQuota');
    // the pod's budget (2000m / 4Gi in all) plus headroom for the test pod
    expect(q.spec.hard['limits.cpu']).toBe('2200m');
    expect(q.spec.hard['limits.memory']).toBe('4224Mi');
    expect(q.spec.hard['requests.cpu']).toBe('600m');
    expect(q.spec.hard['requests.memory']).toBe('2112Mi');
    one(objs, 'LimitRange');
    expect(find(objs, 'Ingress')).toHaveLength(0);
  });

  it('labels every object, pods included, with the standard labels and the project UUID; the pod without the chart version', () => {
    const templ = one(objs, 'Deployment').spec.template;
    for (const o of [...objs, { ...templ, kind: 'PodTemplate' }]) {
      const l = o.metadata.labels ?? {};
      expect(l['dev-sessions.io/project-uuid']).toBe(UUID);
      for (const k of ['name', 'instance', 'component', 'managed-by']) {
        expect(l[`app.kubernetes.io/${k}`]).toBeTruthy();
      }
    }
    // the chart version on every object but the pod
    for (const o of objs) {
      expect(o.metadata.labels?.['helm.sh/chart']).toMatch(
        /^dev-session-\d+\.\d+\.\d+/,
      );
      expect(o.metadata.labels?.['app.kubernetes.io/version']).toBeTruthy();
    }
    expect(templ.metadata.labels['helm.sh/chart']).toBeUndefined();
    expect(templ.metadata.labels['app.kubernetes.io/version']).toBeUndefined();
  });

  it('has a helm test hook that checks each service', () => {
    const t = find(objs, 'Pod').find(
      p => p.metadata.annotations?.['helm.sh/hook'] === 'test',
    );
    expect(t).toBeDefined();
    // the URLs are arguments of the script (never parsed by the shell)
    const urls = t!.spec.containers[0].args.slice(2);
    expect(urls).toEqual([
      `http://${FULL}-preview:3000/health`,
      `http://${FULL}-chat:3001/health`,
      `http://${FULL}-vscode:8080/healthz`,
    ]);
  });

  it('puts no secret value in the rendered output', () => {
    const text = JSON.stringify(objs);
    expect(text).not.toMatch(/kind":"Secret"/);
    expect(text).not.toMatch(/TOKEN"?:\s*"[^"]+"/);
  });
});

describe('dev-session chart: options', () => {
  it('ingress path mode routes /preview, /chat, /vscode on one host with TLS', async () => {
    const objs = await render(
      merge(baseValues, {
        ingress: {
          enabled: true,
          className: 'nginx',
          host: 'dev.example.com',
          annotations: { 'a/b': 'c' },
          auth: ingressAuth,
          tls: { enabled: true, secretName: 'dev-tls' },
        },
      }),
    );
    const ing = one(objs, 'Ingress');
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.metadata.annotations).toEqual({
      'a/b': 'c',
      ...ingressAuth.annotations,
    });
    expect(ing.spec.tls).toEqual([
      { hosts: ['dev.example.com'], secretName: 'dev-tls' },
    ]);
    expect(ing.spec.rules).toHaveLength(1);
    expect(
      ing.spec.rules[0].http.paths.map((p: any) => [
        p.path,
        p.backend.service.name,
      ]),
    ).toEqual([
      ['/preview', `${FULL}-preview`],
      ['/chat', `${FULL}-chat`],
      ['/vscode', `${FULL}-vscode`],
    ]);
  });

  it('ingress host mode gives each role its own host', async () => {
    const objs = await render(
      merge(baseValues, {
        ingress: {
          enabled: true,
          mode: 'host',
          host: 'p1.dev.example.com',
          auth: ingressAuth,
          tls: { enabled: true, secretName: 'wild' },
        },
      }),
    );
    const ing = one(objs, 'Ingress');
    expect(ing.spec.rules.map((r: any) => r.host)).toEqual([
      'preview.p1.dev.example.com',
      'chat.p1.dev.example.com',
      'vscode.p1.dev.example.com',
    ]);
    expect(ing.spec.rules.every((r: any) => r.http.paths[0].path === '/')).toBe(
      true,
    );
    expect(ing.spec.tls[0].hosts).toHaveLength(3);
  });

  it('ingress without a host is refused with a message', async () => {
    const r = await template(merge(baseValues, { ingress: { enabled: true } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ingress.host is required');
  });

  it('the claims have fixed names whatever the release name and name overrides', async () => {
    for (const [release, values] of [
      ['other', {}],
      ['dev-session', { nameOverride: 'ds' }],
      ['dev-session', { fullnameOverride: 'ws' }],
    ] as const) {
      const r = await template(merge(baseValues, values), release);
      expect(r.stderr).toBe('');
      const objs = parse(r.stdout);
      expect(
        find(objs, 'PersistentVolumeClaim')
          .map(p => p.metadata.name)
          .sort(),
      ).toEqual(CLAIMS);
      const d = one(objs, 'Deployment');
      // the selector follows no override (a Deployment's selector is immutable)
      expect(d.spec.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'dev-session',
        'app.kubernetes.io/instance': release,
        'app.kubernetes.io/component': 'session',
      });
    }
  });

  it('existingClaim, storageClass, and the history and agent volumes switched off', async () => {
    const a = await render(
      merge(baseValues, { storage: { existingClaim: 'mine' } }),
    );
    expect(
      find(a, 'PersistentVolumeClaim')
        .map(p => p.metadata.name)
        .sort(),
    ).toEqual(['dev-session-agent-config', 'dev-session-history']);
    expect(
      one(a, 'Deployment').spec.template.spec.volumes[0].persistentVolumeClaim
        .claimName,
    ).toBe('mine');

    const b = await render(
      merge(baseValues, {
        storage: {
          storageClass: 'fast',
          size: '30Gi',
          history: { size: '2Gi', mountPath: '/home/coder/.history' },
          agentConfig: { size: '512Mi' },
        },
      }),
    );
    const rows = find(b, 'PersistentVolumeClaim').map(p => [
      p.metadata.name,
      p.spec.resources.requests.storage,
      p.spec.storageClassName,
    ]);
    expect(rows.sort()).toEqual([
      ['dev-session-agent-config', '512Mi', 'fast'],
      ['dev-session-history', '2Gi', 'fast'],
      ['dev-session-workspace', '30Gi', 'fast'],
    ]);
    expect(containersOf(b).vscode.volumeMounts).toContainEqual({
      name: 'history',
      mountPath: '/home/coder/.history',
    });
    const none = await render(
      merge(baseValues, { storage: { storageClass: '-' } }),
    );
    for (const p of find(none, 'PersistentVolumeClaim'))
      expect(p.spec.storageClassName).toBe('');

    // switched off: not mounted and not rendered (Helm keeps an existing claim: keep policy)
    const off = await render(
      merge(baseValues, {
        storage: {
          history: { enabled: false },
          agentConfig: { enabled: false },
        },
      }),
    );
    expect(
      find(off, 'PersistentVolumeClaim').map(p => p.metadata.name),
    ).toEqual(['dev-session-workspace']);
    const cs = containersOf(off);
    for (const role of roles)
      expect(cs[role].volumeMounts.map((m: any) => m.name)).toEqual([
        'workspace',
        'tmp',
      ]);
    expect(cs.vscode.env.map((e: any) => e.name)).not.toContain('HISTFILE');
  });

  it('size presets are pod budgets split by role; the workspace follows the preset; explicit values win', async () => {
    const budget = (objs: Awaited<ReturnType<typeof render>>) =>
      Object.fromEntries(
        Object.entries(containersOf(objs)).map(([n, c]: [string, any]) => [
          n,
          c.resources,
        ]),
      );
    const small = await render(merge(baseValues, { size: 'small' }));
    expect(budget(small)).toEqual({
      preview: {
        requests: { cpu: '50m', memory: '256Mi' },
        limits: { cpu: '200m', memory: '512Mi' },
      },
      chat: {
        requests: { cpu: '100m', memory: '384Mi' },
        limits: { cpu: '400m', memory: '768Mi' },
      },
      vscode: {
        requests: { cpu: '100m', memory: '384Mi' },
        limits: { cpu: '400m', memory: '768Mi' },
      },
    });
    expect(
      one(small, 'PersistentVolumeClaim', 'dev-session-workspace').spec
        .resources.requests.storage,
    ).toBe('5Gi');
    expect(one(small, 'ResourceQuota').spec.hard).toMatchObject({
      'limits.cpu': `${1000 + 200}m`,
      'limits.memory': `${2048 + 128}Mi`,
      'requests.cpu': `${250 + 100}m`,
      'requests.memory': `${1024 + 64}Mi`,
    });

    const large = await render(
      merge(baseValues, {
        size: 'large',
        storage: { size: '50Gi' },
        containers: { vscode: { resources: { limits: { memory: '6Gi' } } } },
      }),
    );
    const l = budget(large);
    expect(l.vscode).toEqual({
      requests: { cpu: '400m', memory: '1536Mi' },
      limits: { cpu: '1600m', memory: '6Gi' },
    });
    expect(l.preview.limits).toEqual({ cpu: '800m', memory: '2Gi' });
    expect(
      one(large, 'PersistentVolumeClaim', 'dev-session-workspace').spec
        .resources.requests.storage,
    ).toBe('50Gi');
    expect(one(large, 'ResourceQuota').spec.hard['limits.memory']).toBe(
      `${2048 + 3072 + 6144 + 128}Mi`,
    );

    // a limit below the preset's request brings the request down with it
    const low = budget(
      await render(
        merge(baseValues, {
          containers: {
            chat: { resources: { limits: { cpu: '150m', memory: '256Mi' } } },
          },
        }),
      ),
    );
    expect(low.chat).toEqual({
      requests: { cpu: '150m', memory: '256Mi' },
      limits: { cpu: '150m', memory: '256Mi' },
    });
    expect(low.preview).toEqual(MEDIUM.preview);
  });

  it('refuses a request above its limit, naming the value to raise', async () => {
    const r = await template(
      merge(baseValues, {
        containers: { chat: { resources: { requests: { memory: '2G' } } } },
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "containers.chat.resources.requests.memory (2G) is above the container's memory limit (1536Mi): raise containers.chat.resources.limits.memory too",
    );
  });

  it('secrets reach only the containers they are configured for', async () => {
    const objs = await render(
      merge(baseValues, {
        containers: {
          chat: {
            secretEnvFrom: ['agent-api-key'],
            env: [
              {
                name: 'ANTHROPIC_API_KEY',
                valueFrom: { secretKeyRef: { name: 'ai', key: 'key' } },
              },
            ],
          },
          vscode: {
            secretEnvFrom: ['git-credentials', 'more'],
            envFrom: [{ configMapRef: { name: 'settings' } }],
          },
        },
      }),
    );
    const cs = containersOf(objs);
    expect(cs.chat.envFrom).toEqual([{ secretRef: { name: 'agent-api-key' } }]);
    expect(cs.vscode.envFrom).toEqual([
      { secretRef: { name: 'git-credentials' } },
      { secretRef: { name: 'more' } },
      { configMapRef: { name: 'settings' } },
    ]);
    expect(cs.preview.envFrom).toBeUndefined();
    expect(JSON.stringify(cs.preview)).not.toMatch(/secret/i);
    expect(cs.chat.env).toContainEqual({
      name: 'ANTHROPIC_API_KEY',
      valueFrom: { secretKeyRef: { name: 'ai', key: 'key' } },
    });
    expect(JSON.stringify(cs.vscode.env)).not.toContain('ANTHROPIC');
    expect(find(objs, 'Secret')).toHaveLength(0);
  });

  it('private registries and pinned images: imagePullSecrets on the pods and the ServiceAccount, digests, string tags', async () => {
    const objs = await render(
      merge(baseValues, {
        imagePullSecrets: ['regcred', 'mirror.creds'],
        containers: {
          chat: {
            image: {
              repository: 'registry.example.com/ai/agent',
              digest: DIGEST,
            },
          },
          vscode: {
            image: { repository: 'ghcr.io/coder/code-server', tag: '4.10' },
          },
        },
        tests: { image: { repository: 'busybox', digest: DIGEST } },
      }),
    );
    const pull = [{ name: 'regcred' }, { name: 'mirror.creds' }];
    const pod = one(objs, 'Deployment').spec.template.spec;
    expect(pod.imagePullSecrets).toEqual(pull);
    expect(one(objs, 'ServiceAccount').imagePullSecrets).toEqual(pull);
    const test = one(objs, 'Pod');
    expect(test.spec.imagePullSecrets).toEqual(pull);
    expect(test.spec.containers[0].image).toBe(`busybox@${DIGEST}`);
    const cs = containersOf(objs);
    expect(cs.preview.image).toBe('node:22-alpine');
    // the digest pins the image; the default tag is not used
    expect(cs.chat.image).toBe(`registry.example.com/ai/agent@${DIGEST}`);
    // a numeric-looking tag stays as written (4.10, not 4.1)
    expect(cs.vscode.image).toBe('ghcr.io/coder/code-server:4.10');

    const none = await render(baseValues);
    expect(
      one(none, 'Deployment').spec.template.spec.imagePullSecrets,
    ).toBeUndefined();
    expect(one(none, 'ServiceAccount').imagePullSecrets).toBeUndefined();
  });

  it('a chart version bump leaves the pod template as it is (no restart of every session)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-bump-'));
    try {
      const copy = path.join(dir, 'dev-session');
      fs.cpSync(chartDir, copy, { recursive: true });
      const chartYaml = path.join(copy, 'Chart.yaml');
      fs.writeFileSync(
        chartYaml,
        fs
          .readFileSync(chartYaml, 'utf8')
          .replace(/^version: .*$/m, 'version: 99.1.2')
          .replace(/^appVersion: .*$/m, "appVersion: '9.9.9'"),
      );
      const valuesFile = path.join(dir, 'values.json');
      fs.writeFileSync(valuesFile, JSON.stringify(baseValues));
      const args = (c: string) => [
        'template',
        FULL,
        c,
        '-n',
        UUID,
        '-f',
        valuesFile,
      ];
      const before = await run(testHelmBinary(), args(chartDir));
      const after = await run(testHelmBinary(), args(copy));
      expect(after.stderr).toBe('');
      const dep = (out: string) => one(parse(out), 'Deployment');
      expect(dep(after.stdout).metadata.labels?.['helm.sh/chart']).toBe(
        'dev-session-99.1.2',
      );
      expect(dep(after.stdout).spec.template).toEqual(
        dep(before.stdout).spec.template,
      );
      expect(dep(after.stdout).spec.selector).toEqual(
        dep(before.stdout).spec.selector,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses two roles on one port, and a volume on the workspace path, before the API server would', async () => {
    const ports = await template(
      merge(baseValues, {
        service: { vscode: { port: 3001, path: '/vscode' } },
      }),
    );
    expect(ports.code).not.toBe(0);
    expect(ports.stderr).toContain(
      'service.chat.port and service.vscode.port are both 3001: the three roles need three different ports',
    );
    const mounts = await template(
      merge(baseValues, {
        storage: { mountPath: '/work', agentConfig: { mountPath: '/work' } },
      }),
    );
    expect(mounts.code).not.toBe(0);
    expect(mounts.stderr).toContain(
      'storage.agentConfig.mountPath and storage.mountPath are both /work: each volume needs its own path',
    );
    // switched off, it may (it is not mounted)
    const off = await template(
      merge(baseValues, {
        storage: {
          mountPath: '/work',
          agentConfig: { enabled: false, mountPath: '/work' },
        },
      }),
    );
    expect(off.stderr).toBe('');
  });

  it('network policy: namespace, gateway and ingress controller in, DNS and internet out; off when disabled', async () => {
    const objs = await render(
      merge(baseValues, {
        networkPolicy: {
          ingressControllerNamespaces: ['ingress-nginx', 'traefik'],
        },
        ingress: { enabled: true, host: 'dev.example.com', auth: ingressAuth },
      }),
    );
    const np = one(objs, 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress[0].from).toEqual([
      { podSelector: {} },
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'dev-sessions-system' },
        },
      },
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
        },
      },
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'traefik' },
        },
      },
    ]);
    expect(np.spec.egress[0].ports).toContainEqual({
      protocol: 'UDP',
      port: 53,
    });
    expect(
      np.spec.egress.some((e: any) => e.to?.[0]?.ipBlock?.cidr === '0.0.0.0/0'),
    ).toBe(true);

    const closed = await render(
      merge(baseValues, { networkPolicy: { egress: { internet: false } } }),
    );
    expect(
      one(closed, 'NetworkPolicy').spec.egress.some(
        (e: any) => e.to?.[0]?.ipBlock,
      ),
    ).toBe(false);

    const off = await render(
      merge(baseValues, {
        networkPolicy: { enabled: false },
        quota: { enabled: false },
        limitRange: { enabled: false },
      }),
    );
    expect(find(off, 'NetworkPolicy')).toHaveLength(0);
    expect(find(off, 'ResourceQuota')).toHaveLength(0);
    expect(find(off, 'LimitRange')).toHaveLength(0);
  });

  it('images, ports, paths and probe paths are configurable', async () => {
    const objs = await render(
      merge(baseValues, {
        service: { preview: { port: 5173, path: '/app' } },
        containers: {
          preview: {
            image: { repository: 'ghcr.io/acme/preview', tag: '1.2.3' },
            probes: { readiness: { path: '/ready' } },
          },
        },
      }),
    );
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/acme/preview:1.2.3');
    expect(c.ports[0].containerPort).toBe(5173);
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(one(objs, 'Service', `${FULL}-preview`).spec.ports[0].port).toBe(
      5173,
    );
  });

  it('refuses to render without a project UUID', async () => {
    const r = await template({});
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('project.uuid is required');
  });
});

describe('dev-session chart: access (only the dev-sessions gateway reaches code-server)', () => {
  const ingressOn = { enabled: true, host: 'dev.example.com' };
  const fromOf = async (values: object) =>
    one(await render(merge(baseValues, values)), 'NetworkPolicy').spec
      .ingress[0].from;

  it('code-server runs without its own sign-in, so the NetworkPolicy is what guards it', async () => {
    const objs = await render(baseValues);
    const vscode = one(objs, 'Deployment').spec.template.spec.containers[2];
    expect(vscode.args).toEqual(
      expect.arrayContaining(['--auth', 'none', '--bind-addr', '0.0.0.0:8080']),
    );
    const np = one(objs, 'NetworkPolicy');
    expect(np.spec.policyTypes).toContain('Ingress');
    expect(np.spec.ingress).toHaveLength(1);
    expect(np.spec.ingress[0].ports.map((p: any) => p.port)).toEqual([
      3000, 3001, 8080,
    ]);
  });

  it('admits the gateway peers as given, after the namespace itself', async () => {
    const peers = [
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'platform' },
        },
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': 'backstage' },
        },
      },
      {
        namespaceSelector: {
          matchExpressions: [
            { key: 'team', operator: 'In', values: ['portal', 'idp'] },
          ],
        },
      },
      { ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.5.0/24'] } },
    ];
    expect(await fromOf({ networkPolicy: { gatewayPeers: peers } })).toEqual([
      { podSelector: {} },
      ...peers,
    ]);
    // no gateway peers: only the namespace itself
    expect(await fromOf({ networkPolicy: { gatewayPeers: [] } })).toEqual([
      { podSelector: {} },
    ]);
  });

  it('admits the ingress controller namespaces only when the Ingress is enabled', async () => {
    const controller = {
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
      },
    };
    const off = await fromOf({
      networkPolicy: { ingressControllerNamespaces: ['ingress-nginx'] },
    });
    expect(off).not.toContainEqual(controller);
    expect(JSON.stringify(off)).not.toContain('ingress-nginx');

    const on = await fromOf({
      networkPolicy: { ingressControllerNamespaces: ['ingress-nginx'] },
      ingress: { ...ingressOn, auth: ingressAuth },
    });
    expect(on).toContainEqual(controller);
    expect(on[0]).toEqual({ podSelector: {} });
  });

  it('refuses an Ingress without authentication in front of it', async () => {
    for (const ingress of [
      ingressOn,
      { ...ingressOn, auth: { annotations: {} } },
      // plain annotations are not authentication
      { ...ingressOn, annotations: { 'a/b': 'c' } },
      { ...ingressOn, mode: 'host' },
    ]) {
      const r = await template(merge(baseValues, { ingress }));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        'ingress.enabled needs ingress.auth.annotations (for example ' +
          'nginx.ingress.kubernetes.io/auth-url pointing at oauth2-proxy): an Ingress without ' +
          'authentication would give anyone who reaches it a shell in the session',
      );
      expect(r.stdout).not.toContain('kind: Ingress');
    }
  });

  it('renders an Ingress with authentication, carrying the auth annotations over plain ones', async () => {
    const url = ingressAuth.annotations['nginx.ingress.kubernetes.io/auth-url'];
    const objs = await render(
      merge(baseValues, {
        ingress: {
          ...ingressOn,
          annotations: {
            'nginx.ingress.kubernetes.io/proxy-body-size': '64m',
            // a plain annotation cannot replace the authentication
            'nginx.ingress.kubernetes.io/auth-url':
              'http://allow-all.example.com',
          },
          auth: ingressAuth,
        },
      }),
    );
    const ing = one(objs, 'Ingress');
    expect(ing.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/proxy-body-size': '64m',
      ...ingressAuth.annotations,
    });
    expect(
      ing.metadata.annotations?.['nginx.ingress.kubernetes.io/auth-url'],
    ).toBe(url);
  });

  it('the -lb entry service is only ClusterIP: the schema refuses LoadBalancer and NodePort', async () => {
    for (const type of ['LoadBalancer', 'NodePort']) {
      const r = await template(
        merge(baseValues, { service: { lb: { type } } }),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        "values don't meet the specifications of the schema",
      );
      expect(r.stderr).toMatch(/service\.lb\.type/);
    }
  });

  it('the template refuses a LoadBalancer too when the schema is skipped', async () => {
    const r = await template(
      merge(baseValues, { service: { lb: { type: 'LoadBalancer' } } }),
      'dev-session',
      ['--skip-schema-validation'],
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'service.lb.type must be ClusterIP, not "LoadBalancer"',
    );
  });

  it('every Service is ClusterIP and the quota allows no load balancers or node ports', async () => {
    const objs = await render(baseValues);
    const services = find(objs, 'Service');
    expect(services).toHaveLength(4);
    for (const s of services) expect(s.spec.type).toBe('ClusterIP');
    const q = one(objs, 'ResourceQuota');
    expect(q.spec.hard['services.loadbalancers']).toBe('0');
    expect(q.spec.hard['services.nodeports']).toBe('0');
  });
});
