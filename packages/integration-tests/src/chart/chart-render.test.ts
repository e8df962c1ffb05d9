/*
 * The dev-session chart rendered by the real `helm template`, for the defaults and each option.
 */
import {
  baseValues,
  find,
  ingressAuth,
  merge,
  one,
  render,
  template,
  UUID,
} from './render';

jest.setTimeout(60_000);

const FULL = 'dev-session';
const roles = ['preview', 'chat', 'vscode'] as const;

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
      expect(c.resources.limits).toEqual({ cpu: '2000m', memory: '4Gi' });
      expect(c.resources.requests).toEqual({ cpu: '500m', memory: '2Gi' });
      expect(c.volumeMounts).toContainEqual({
        name: 'workspace',
        mountPath: '/workspace',
      });
    }
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

  it('has a 10Gi workspace PVC, NetworkPolicy, ResourceQuota and LimitRange, and no Ingress', () => {
    const pvc = one(objs, 'PersistentVolumeClaim');
    expect(pvc.spec.resources.requests.storage).toBe('10Gi');
    expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(pvc.spec.storageClassName).toBeUndefined();
    one(objs, 'NetworkPolicy');
    const q = one(objs, 'ResourceQuota');
    // three containers at 2000m / 4Gi plus headroom for the test pod
    expect(q.spec.hard['limits.cpu']).toBe('6200m');
    expect(q.spec.hard['limits.memory']).toBe('12416Mi');
    one(objs, 'LimitRange');
    expect(find(objs, 'Ingress')).toHaveLength(0);
  });

  it('labels every object, pods included, with the standard labels and the project UUID', () => {
    const templ = one(objs, 'Deployment').spec.template;
    for (const o of [...objs, { ...templ, kind: 'PodTemplate' }]) {
      const l = o.metadata.labels ?? {};
      expect(l['dev-sessions.io/project-uuid']).toBe(UUID);
      for (const k of [
        'name',
        'instance',
        'version',
        'component',
        'managed-by',
      ]) {
        expect(l[`app.kubernetes.io/${k}`]).toBeTruthy();
      }
    }
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

  it('storage off uses an emptyDir and creates no PVC', async () => {
    const objs = await render(
      merge(baseValues, { storage: { enabled: false } }),
    );
    expect(find(objs, 'PersistentVolumeClaim')).toHaveLength(0);
    const vols = one(objs, 'Deployment').spec.template.spec.volumes;
    expect(vols.find((v: any) => v.name === 'workspace')).toEqual({
      name: 'workspace',
      emptyDir: {},
    });
  });

  it('existingClaim, storageClass and the optional history and agent volumes', async () => {
    const a = await render(
      merge(baseValues, { storage: { existingClaim: 'mine' } }),
    );
    expect(find(a, 'PersistentVolumeClaim')).toHaveLength(0);
    expect(
      one(a, 'Deployment').spec.template.spec.volumes[0].persistentVolumeClaim
        .claimName,
    ).toBe('mine');

    const b = await render(
      merge(baseValues, {
        storage: {
          storageClass: 'fast',
          history: { enabled: true },
          agentConfig: { enabled: true },
        },
      }),
    );
    const pvcs = find(b, 'PersistentVolumeClaim');
    const rows = pvcs.map(p => [
      p.metadata.name,
      p.spec.resources.requests.storage,
      p.spec.storageClassName,
    ]);
    expect(rows.sort()).toEqual([
      [`${FULL}-agent-config`, '1Gi', 'fast'],
      [`${FULL}-history`, '1Gi', 'fast'],
      [`${FULL}-workspace`, '10Gi', 'fast'],
    ]);
    const cs = one(b, 'Deployment').spec.template.spec.containers;
    expect(cs[2].volumeMounts.map((m: any) => m.mountPath)).toContain(
      '/commandhistory',
    );
    expect(cs[1].volumeMounts.map((m: any) => m.name)).toContain(
      'agent-config',
    );
  });

  it('size presets set resources and storage; explicit values win', async () => {
    const small = await render(merge(baseValues, { size: 'small' }));
    expect(
      one(small, 'Deployment').spec.template.spec.containers[0].resources
        .limits,
    ).toEqual({ cpu: '1000m', memory: '2Gi' });
    expect(
      one(small, 'PersistentVolumeClaim').spec.resources.requests.storage,
    ).toBe('5Gi');

    const large = await render(
      merge(baseValues, {
        size: 'large',
        storage: { size: '50Gi' },
        resources: { limits: { memory: '6Gi' } },
      }),
    );
    const c = one(large, 'Deployment').spec.template.spec.containers[0];
    expect(c.resources.limits).toEqual({ cpu: '4000m', memory: '6Gi' });
    expect(
      one(large, 'PersistentVolumeClaim').spec.resources.requests.storage,
    ).toBe('50Gi');
    expect(one(large, 'ResourceQuota').spec.hard['limits.memory']).toBe(
      `${3 * 6144 + 128}Mi`,
    );

    const perContainer = await render(
      merge(baseValues, {
        containers: { chat: { resources: { limits: { cpu: '250m' } } } },
      }),
    );
    const cs = one(perContainer, 'Deployment').spec.template.spec.containers;
    expect(cs[1].resources.limits.cpu).toBe('250m');
    expect(cs[0].resources.limits.cpu).toBe('2000m');
  });

  it('secrets come from existing Secrets through envFrom and secretKeyRef', async () => {
    const objs = await render(
      merge(baseValues, {
        secretEnvFrom: ['dev-tokens'],
        containers: {
          chat: {
            env: [
              {
                name: 'ANTHROPIC_API_KEY',
                valueFrom: { secretKeyRef: { name: 'ai', key: 'key' } },
              },
            ],
          },
        },
      }),
    );
    const cs = one(objs, 'Deployment').spec.template.spec.containers;
    for (const c of cs)
      expect(c.envFrom).toEqual([{ secretRef: { name: 'dev-tokens' } }]);
    expect(cs[1].env).toContainEqual({
      name: 'ANTHROPIC_API_KEY',
      valueFrom: { secretKeyRef: { name: 'ai', key: 'key' } },
    });
    expect(find(objs, 'Secret')).toHaveLength(0);
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
