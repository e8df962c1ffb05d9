/*
 * The chart's guardrails on a real cluster, in a namespace that enforces the restricted Pod
 * Security Standard: a container whose limit is above the size preset (in decimal units, 3G) is
 * admitted by the chart's own LimitRange and the pod is created and becomes Ready; the
 * ResourceQuota bounds storage, so one more claim beyond the session's volumes is refused.
 */
import { randomUUID } from 'node:crypto';
import { kubectl, testNamespace } from '../index';
import { getIn, installChart, sessionNamespaceLabels } from './install';

jest.setTimeout(300_000);

const uuid = randomUUID();
const release = 'dev-session';
const selector = `dev-sessions.io/project-uuid=${uuid}`;
const get = getIn(uuid);

const values = {
  project: { uuid, id: 'guardrails-test' },
  user: { id: 'user:default/jane' },
  size: 'small',
  containers: {
    chat: { resources: { limits: { cpu: '1500m', memory: '3G' } } },
    vscode: { resources: { limits: { cpu: '1.2', memory: '2900M' } } },
  },
  storage: { size: '2Gi', history: { enabled: true, size: '1Gi' } },
};

testNamespace(uuid, sessionNamespaceLabels(uuid));

describe('dev-session chart guardrails on the cluster', () => {
  it('admits a container limit above the preset through the LimitRange and runs the pod', async () => {
    await installChart(release, uuid, values);

    const lr = await get('limitrange', release);
    expect(lr.spec.limits[0].max).toEqual({ cpu: '1500m', memory: '3G' });

    const pods = await get('pods', '-l', selector);
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0];
    expect(pod.status.phase).toBe('Running');
    const limits = Object.fromEntries(
      pod.spec.containers.map((c: any) => [c.name, c.resources.limits]),
    );
    expect(limits).toEqual({
      preview: { cpu: '1', memory: '2Gi' },
      chat: { cpu: '1500m', memory: '3G' },
      vscode: { cpu: '1200m', memory: '2900M' },
    });
    expect(pod.status.containerStatuses.every((c: any) => c.ready)).toBe(true);
  });

  it('bounds storage with the ResourceQuota: one more claim is refused', async () => {
    const quota = await get('resourcequota', release);
    expect(quota.status.hard['requests.storage']).toBe('3Gi');
    expect(quota.status.hard.persistentvolumeclaims).toBe('2');

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
