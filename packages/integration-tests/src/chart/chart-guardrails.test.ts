/*
 * The chart's own guardrails, rendered by the real `helm template`: pod labels the user cannot
 * overwrite, a ResourceQuota that is the pod's budget and also bounds storage, a default-deny
 * NetworkPolicy whose internet egress never reaches private or link-local (cloud metadata)
 * addresses, and a LimitRange that admits every container the chart itself renders, whatever
 * units its limits are written in.
 */
import {
  baseValues,
  ingressAuth,
  merge,
  one,
  parse,
  render,
  template,
  UUID,
} from './render';

jest.setTimeout(60_000);

const ipBlocks = (np: any) =>
  np.spec.egress.flatMap((e: any) =>
    (e.to ?? []).filter((t: any) => t.ipBlock).map((t: any) => t.ipBlock),
  );

describe('dev-session chart: guardrails', () => {
  it('podLabels cannot overwrite the project UUID or the selector labels: the schema refuses them, and the template ignores them', async () => {
    const podLabels = {
      'dev-sessions.io/project-uuid': 'someone-else',
      'app.kubernetes.io/name': 'other',
      'app.kubernetes.io/instance': 'other',
      'app.kubernetes.io/component': 'other',
      'helm.sh/chart': 'other',
      team: 'blue',
    };
    const refused = await template(merge(baseValues, { podLabels }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/podLabels: Property name of/);
    for (const key of Object.keys(podLabels).filter(k => k !== 'team'))
      expect(refused.stderr).toContain(`"${key}" does not match`);

    // with the schema skipped, ours still win
    const r = await template(merge(baseValues, { podLabels }), 'dev-session', [
      '--skip-schema-validation',
    ]);
    expect(r.stderr).toBe('');
    const dep = one(parse(r.stdout), 'Deployment');
    const labels = dep.spec.template.metadata.labels;
    expect(labels).toMatchObject({
      'dev-sessions.io/project-uuid': UUID,
      'app.kubernetes.io/name': 'dev-session',
      'app.kubernetes.io/instance': 'dev-session',
      'app.kubernetes.io/component': 'session',
      team: 'blue',
    });
    expect(labels['helm.sh/chart']).toBeUndefined();
    // the Deployment still selects its own pods
    for (const [k, v] of Object.entries(dep.spec.selector.matchLabels))
      expect(labels[k]).toBe(v);
  });

  it('the ResourceQuota bounds storage and the number of claims', async () => {
    const q = one(await render(baseValues), 'ResourceQuota');
    // workspace 10Gi, history 1Gi, agent config 1Gi
    expect(q.spec.hard['requests.storage']).toBe(`${12 * 1024}Mi`);
    expect(q.spec.hard.persistentvolumeclaims).toBe('3');

    const all = one(
      await render(
        merge(baseValues, {
          size: 'large',
          storage: { agentConfig: { size: '512Mi' } },
        }),
      ),
      'ResourceQuota',
    );
    expect(all.spec.hard['requests.storage']).toBe(
      `${20 * 1024 + 1024 + 512}Mi`,
    );
    expect(all.spec.hard.persistentvolumeclaims).toBe('3');

    const workspaceOnly = one(
      await render(
        merge(baseValues, {
          storage: {
            history: { enabled: false },
            agentConfig: { enabled: false },
          },
        }),
      ),
      'ResourceQuota',
    );
    expect(workspaceOnly.spec.hard['requests.storage']).toBe('10240Mi');
    expect(workspaceOnly.spec.hard.persistentvolumeclaims).toBe('1');

    // an existing claim counts as the workspace: it must fit in storage.size
    const existing = one(
      await render(
        merge(baseValues, {
          storage: {
            existingClaim: 'mine',
            size: '3Gi',
            history: { enabled: false },
            agentConfig: { enabled: false },
          },
        }),
      ),
      'ResourceQuota',
    );
    expect(existing.spec.hard['requests.storage']).toBe('3072Mi');
    expect(existing.spec.hard.persistentvolumeclaims).toBe('1');
  });

  it('the NetworkPolicy denies by default and its internet egress excludes private and link-local ranges', async () => {
    const np = one(await render(baseValues), 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'dev-session',
      'app.kubernetes.io/instance': 'dev-session',
    });
    // in: only the three container ports, from this namespace and the gateway (the backend's
    // dev-sessions-system namespace by default); no ingress controller while there is no Ingress
    expect(np.spec.ingress).toHaveLength(1);
    expect(np.spec.ingress[0].from).toEqual([
      { podSelector: {} },
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'dev-sessions-system' },
        },
      },
    ]);
    expect(np.spec.ingress[0].ports).toEqual([
      { protocol: 'TCP', port: 3000 },
      { protocol: 'TCP', port: 3001 },
      { protocol: 'TCP', port: 8080 },
    ]);
    // out: no rule without a destination (that would allow everything)
    for (const rule of np.spec.egress)
      expect(rule.to?.length).toBeGreaterThan(0);
    const blocks = ipBlocks(np);
    expect(blocks).toHaveLength(1);
    expect(blocks[0].cidr).toBe('0.0.0.0/0');
    expect(blocks[0].except).toEqual(
      expect.arrayContaining([
        '169.254.0.0/16',
        '10.0.0.0/8',
        '172.16.0.0/12',
        '192.168.0.0/16',
        '100.64.0.0/10',
        '127.0.0.0/8',
      ]),
    );
    // DNS only to kube-system on port 53
    const dns = np.spec.egress.find((e: any) => e.ports);
    expect(dns.to).toEqual([
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
        },
      },
    ]);
    expect(dns.ports.map((p: any) => p.port)).toEqual([53, 53]);
  });

  it('the LimitRange max is the largest effective container limit, so it admits every container', async () => {
    const def = one(await render(baseValues), 'LimitRange');
    expect(def.spec.limits[0].max).toEqual({ cpu: '800m', memory: '1536Mi' });

    // an override above the preset, in decimal units: 4 CPU and 4G (3814.7Mi) must be the max
    // (not rounded down to 3814Mi, which the API server would compare with 4G and refuse)
    const objs = await render(
      merge(baseValues, {
        containers: {
          chat: { resources: { limits: { cpu: '4', memory: '4G' } } },
          vscode: { resources: { limits: { cpu: 1.5, memory: '3900M' } } },
        },
      }),
    );
    const lr = one(objs, 'LimitRange');
    expect(lr.spec.limits[0].max).toEqual({ cpu: '4', memory: '4G' });
    const q = one(objs, 'ResourceQuota');
    // 400m + 4000m + 1500m + 200m; 1024Mi + 4e9 + 3.9e9 bytes, rounded up to MiB, + 128
    expect(q.spec.hard['limits.cpu']).toBe('6100m');
    const mi = Math.ceil((1024 * 2 ** 20 + 4e9 + 3.9e9) / 2 ** 20);
    expect(q.spec.hard['limits.memory']).toBe(`${mi + 128}Mi`);

    // exact comparison across units: 1537Mi is above 1536Mi, 1.6G (1525.9Mi) is below
    const close = one(
      await render(
        merge(baseValues, {
          containers: {
            preview: { resources: { limits: { memory: '1537Mi' } } },
            chat: { resources: { limits: { memory: '1600M', cpu: '0.801' } } },
          },
        }),
      ),
      'LimitRange',
    );
    expect(close.spec.limits[0].max).toEqual({
      cpu: '0.801',
      memory: '1537Mi',
    });

    // below the LimitRange's own default, the default is the max (default <= max must hold)
    const small = {
      requests: { cpu: '10m', memory: '16Mi' },
      limits: { cpu: '100m', memory: '64Mi' },
    };
    const tiny = one(
      await render(
        merge(baseValues, {
          containers: {
            preview: { resources: small },
            chat: { resources: small },
            vscode: { resources: small },
          },
        }),
      ),
      'LimitRange',
    );
    expect(tiny.spec.limits[0].max).toEqual({ cpu: '200m', memory: '128Mi' });
  });

  it('quotes scalars from values', async () => {
    const objs = await render(
      merge(baseValues, {
        storage: { existingClaim: 'true' },
        serviceAccount: { name: '123' },
        ingress: {
          enabled: true,
          host: 'dev.example.com',
          className: 'null',
          tls: { enabled: true, secretName: '0x1' },
          auth: ingressAuth,
        },
      }),
    );
    const pod = one(objs, 'Deployment').spec.template.spec;
    expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe('true');
    expect(pod.serviceAccountName).toBe('123');
    const ing = one(objs, 'Ingress');
    expect(ing.spec.ingressClassName).toBe('null');
    expect(ing.spec.tls[0].secretName).toBe('0x1');
  });
});
