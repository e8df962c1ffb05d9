/*
 * The chart's own guardrails, rendered by the real `helm template`: pod labels the user cannot
 * overwrite, a ResourceQuota that also bounds storage, a default-deny NetworkPolicy whose internet
 * egress never reaches private or link-local (cloud metadata) addresses, and a LimitRange that
 * admits every container the chart itself renders.
 */
import { baseValues, ingressAuth, merge, one, render, UUID } from './render';

jest.setTimeout(60_000);

const ipBlocks = (np: any) =>
  np.spec.egress.flatMap((e: any) =>
    (e.to ?? []).filter((t: any) => t.ipBlock).map((t: any) => t.ipBlock),
  );

describe('dev-session chart: guardrails', () => {
  it('podLabels cannot overwrite the project UUID or the selector labels', async () => {
    const objs = await render(
      merge(baseValues, {
        podLabels: {
          'dev-sessions.io/project-uuid': 'someone-else',
          'app.kubernetes.io/name': 'other',
          'app.kubernetes.io/instance': 'other',
          'app.kubernetes.io/component': 'other',
          team: 'blue',
        },
      }),
    );
    const dep = one(objs, 'Deployment');
    const labels = dep.spec.template.metadata.labels;
    expect(labels).toMatchObject({
      'dev-sessions.io/project-uuid': UUID,
      'app.kubernetes.io/name': 'dev-session',
      'app.kubernetes.io/instance': 'dev-session',
      'app.kubernetes.io/component': 'session',
      team: 'blue',
    });
    // the Deployment still selects its own pods
    for (const [k, v] of Object.entries(dep.spec.selector.matchLabels))
      expect(labels[k]).toBe(v);
  });

  it('the ResourceQuota bounds storage and the number of claims', async () => {
    const q = one(await render(baseValues), 'ResourceQuota');
    expect(q.spec.hard['requests.storage']).toBe('10240Mi');
    expect(q.spec.hard.persistentvolumeclaims).toBe('1');

    const all = one(
      await render(
        merge(baseValues, {
          size: 'large',
          storage: {
            history: { enabled: true },
            agentConfig: { enabled: true, size: '512Mi' },
          },
        }),
      ),
      'ResourceQuota',
    );
    expect(all.spec.hard['requests.storage']).toBe(
      `${20 * 1024 + 1024 + 512}Mi`,
    );
    expect(all.spec.hard.persistentvolumeclaims).toBe('3');

    const none = one(
      await render(merge(baseValues, { storage: { enabled: false } })),
      'ResourceQuota',
    );
    expect(none.spec.hard['requests.storage']).toBe('0Mi');
    expect(none.spec.hard.persistentvolumeclaims).toBe('0');

    // an existing claim counts as the workspace: it must fit in storage.size
    const existing = one(
      await render(
        merge(baseValues, { storage: { existingClaim: 'mine', size: '3Gi' } }),
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
    expect(def.spec.limits[0].max).toEqual({ cpu: '2000m', memory: '4Gi' });

    const objs = await render(
      merge(baseValues, {
        size: 'small',
        containers: {
          chat: { resources: { limits: { cpu: '1.5', memory: '3G' } } },
          vscode: { resources: { limits: { cpu: '1200m', memory: '2900M' } } },
        },
      }),
    );
    const lr = one(objs, 'LimitRange');
    // 3G (2861Mi) is above 2900M (2766Mi) and the preset's 2Gi; 1.5 CPU is the largest CPU
    expect(lr.spec.limits[0].max).toEqual({ cpu: '1.5', memory: '3G' });
    const q = one(objs, 'ResourceQuota');
    // 1000m + 1500m + 1200m + 200m; 2048 + ceil(2861.02) + ceil(2765.66) + 128 (MiB, rounded up)
    expect(q.spec.hard['limits.cpu']).toBe('3900m');
    expect(q.spec.hard['limits.memory']).toBe(`${2048 + 2862 + 2766 + 128}Mi`);

    // below the LimitRange's own default, the default is the max (default <= max must hold)
    const tiny = one(
      await render(
        merge(baseValues, {
          resources: {
            requests: { cpu: '10m', memory: '16Mi' },
            limits: { cpu: '100m', memory: '64Mi' },
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
