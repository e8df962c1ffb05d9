/*
 * The chart's guardrails on a real cluster, in namespaces that enforce the restricted Pod
 * Security Standard: for every size preset, the pod and per-container overrides in every unit
 * (above the preset, below its requests, numbers, decimal and binary units) are admitted by the
 * API server under the chart's own LimitRange and ResourceQuota, and the pod becomes Ready; the
 * ResourceQuota bounds storage, so one more claim beyond the session's volumes is refused.
 */
import { randomUUID } from 'node:crypto';
import { kubectl, testNamespace, waitFor } from '../index';
import {
  getIn,
  installChart,
  sessionNamespaceLabels,
  sessionPod,
} from './install';
import { merge, one, render } from './render';

jest.setTimeout(600_000);

const release = 'dev-session';
const SIZES = ['small', 'medium', 'large'] as const;
const namespaces = Object.fromEntries(SIZES.map(s => [s, randomUUID()]));
for (const uuid of Object.values(namespaces))
  testNamespace(uuid, sessionNamespaceLabels(uuid));

/** Per-container overrides a user may set (containers.<role>.resources.{requests,limits}.*). */
const overrides: Array<[string, object]> = [
  [
    'one container far above the preset, in decimal units (4 CPU, 4G)',
    { chat: { resources: { limits: { cpu: '4', memory: '4G' } } } },
  ],
  [
    'numbers and fractions (1.5 CPU, requests 0.25 and 1000M)',
    {
      vscode: {
        resources: {
          limits: { cpu: 1.5, memory: '2900M' },
          requests: { cpu: 0.25, memory: '1000M' },
        },
      },
      preview: { resources: { limits: { cpu: '0.3' } } },
    },
  ],
  [
    "limits below the preset's requests (the requests follow them down)",
    {
      preview: { resources: { limits: { cpu: '20m', memory: '64Mi' } } },
      chat: { resources: { limits: { cpu: '50m', memory: '100M' } } },
    },
  ],
  [
    'every container, each in other units, requests equal to limits',
    {
      preview: { resources: { limits: { cpu: '1200m', memory: '1500000k' } } },
      chat: {
        resources: {
          requests: { cpu: '2', memory: '2Gi' },
          limits: { cpu: '2', memory: '2Gi' },
        },
      },
      vscode: {
        resources: {
          requests: { cpu: '100m', memory: '262144Ki' },
          limits: { cpu: '3', memory: '6000Mi' },
        },
      },
    },
  ],
];

/** The resources the chart renders for these values, per container. */
async function rendered(values: object) {
  const objs = await render(values);
  return {
    containers: Object.fromEntries(
      one(objs, 'Deployment').spec.template.spec.containers.map((c: any) => [
        c.name,
        c.resources,
      ]),
    ),
    max: one(objs, 'LimitRange').spec.limits[0].max,
  };
}

/** Kubernetes writes quantities back in canonical form: compare them as numbers. */
function amount(q: string | number, kind: 'cpu' | 'memory'): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q));
  if (!m) throw new Error(`not a quantity: ${q}`);
  const f: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  const v = Number(m[1]) * f[m[2]];
  return kind === 'cpu' ? Math.round(v * 1000) : Math.round(v);
}
function amounts(resources: any) {
  const out: any = {};
  for (const part of ['requests', 'limits'])
    out[part] = {
      cpu: amount(resources[part].cpu, 'cpu'),
      memory: amount(resources[part].memory, 'memory'),
    };
  return out;
}

describe.each(SIZES)(
  'dev-session chart guardrails on the cluster: size %s',
  size => {
    const uuid = namespaces[size];
    const get = getIn(uuid);
    const base = {
      project: { uuid, id: `guardrails-${size}` },
      user: { id: 'user:default/jane' },
      size,
    };

    async function expectAdmitted(values: object) {
      await installChart(release, uuid, values, {
        atomic: true,
        timeoutSeconds: 60,
      });
      const want = await rendered(values);
      const pod = await sessionPod(uuid, uuid);
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.containerStatuses.every((c: any) => c.ready)).toBe(
        true,
      );
      for (const c of pod.spec.containers)
        expect({ [c.name]: amounts(c.resources) }).toEqual({
          [c.name]: amounts(want.containers[c.name]),
        });
      const lr = await get('limitrange', 'dev-session');
      expect(amount(lr.spec.limits[0].max.cpu, 'cpu')).toBe(
        amount(want.max.cpu, 'cpu'),
      );
      expect(amount(lr.spec.limits[0].max.memory, 'memory')).toBe(
        amount(want.max.memory, 'memory'),
      );
      // the quota controller counts the pod a moment after it runs (and an upgrade's old pod
      // a moment after it is gone): wait for the count to settle on one pod
      const used = await waitFor(
        'the quota to count the one pod',
        async () => {
          const quota = await get('resourcequota', 'dev-session');
          return quota.status?.used?.pods === '1' && quota.status.used;
        },
        // a full recount comes every 15 s (the local cluster's quota sync period)
        90_000,
      );
      expect(used.pods).toBe('1');
      return pod;
    }

    it(`admits the ${size} preset's pod under restricted Pod Security, the LimitRange and the quota`, async () => {
      await expectAdmitted(base);
      const quota = await get('resourcequota', 'dev-session');
      // the pod's budget, plus the test pod's headroom
      const budget: Record<string, [number, number]> = {
        small: [1000, 2048],
        medium: [2000, 4096],
        large: [4000, 8192],
      };
      expect(amount(quota.spec.hard['limits.cpu'], 'cpu')).toBe(
        budget[size][0] + 200,
      );
      expect(amount(quota.spec.hard['limits.memory'], 'memory')).toBe(
        (budget[size][1] + 128) * 2 ** 20,
      );
      expect(
        amount(quota.status.used['limits.cpu'], 'cpu'),
      ).toBeLessThanOrEqual(budget[size][0]);
    });

    it.each(overrides)('admits an override: %s', async (_what, containers) => {
      const pod = await expectAdmitted(merge(base, { containers }));
      expect(pod.spec.containers).toHaveLength(3);
    });
  },
);

describe('dev-session chart guardrails on the cluster: storage', () => {
  it('bounds storage with the ResourceQuota: one more claim than the session has is refused', async () => {
    const uuid = namespaces.small;
    const quota = await getIn(uuid)('resourcequota', 'dev-session');
    // the small workspace (5Gi), history and agent config (1Gi each)
    expect(quota.status.hard['requests.storage']).toBe('7Gi');
    expect(quota.status.used['requests.storage']).toBe('7Gi');
    expect(quota.status.hard.persistentvolumeclaims).toBe('3');
    const extra = await kubectl(
      ['-n', uuid, 'create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'extra' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      }),
    );
    expect(extra.code).not.toBe(0);
    expect(extra.stderr).toMatch(/exceeded quota/);
  });
});
