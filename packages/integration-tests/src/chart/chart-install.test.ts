/*
 * The dev-session chart on a real cluster: install with --wait reaches Ready in a namespace that
 * enforces the restricted Pod Security Standard, `helm test` passes, an upgrade changes a value
 * in place, and uninstall removes everything.
 */
import { randomUUID } from 'node:crypto';
import { helm, testNamespace } from '../index';
import { getIn, installChart, sessionNamespaceLabels } from './install';

jest.setTimeout(300_000);

const uuid = randomUUID();
const release = 'dev-session';
const selector = `dev-sessions.io/project-uuid=${uuid}`;
const get = getIn(uuid);
const workspace = () => get('pvc', `${release}-workspace`);

const values = {
  project: { uuid, id: 'install-test' },
  user: { id: 'user:default/jane' },
  storage: { size: '10Gi' },
};

testNamespace(uuid, sessionNamespaceLabels(uuid));

describe('dev-session chart on the cluster', () => {
  it('installs with --wait and reaches Ready under the restricted Pod Security Standard', async () => {
    await installChart(release, uuid, values);

    const pods = await get('pods', '-l', selector);
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0];
    expect(pod.status.phase).toBe('Running');
    expect(
      pod.status.containerStatuses.map((c: any) => [c.name, c.ready]).sort(),
    ).toEqual([
      ['chat', true],
      ['preview', true],
      ['vscode', true],
    ]);

    const pvc = await workspace();
    expect(pvc.status.phase).toBe('Bound');

    const svcs = await get('services', '-l', selector);
    expect(svcs.items.map((s: any) => s.metadata.name).sort()).toEqual(
      ['chat', 'lb', 'preview', 'vscode'].map(s => `${release}-${s}`),
    );
    for (const s of svcs.items)
      expect(s.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const quota = await get('resourcequota', release);
    expect(quota.status.used.pods).toBe('1');
  });

  it('passes helm test (each service answers)', async () => {
    const out = await helm(
      ['test', release, '-n', uuid, '--timeout', '60s'],
      90_000,
    );
    expect(out).toMatch(/Phase:\s+Succeeded/);
  });

  it('upgrades a value in place', async () => {
    const pvcBefore = await workspace();
    await installChart(release, uuid, { ...values, size: 'small' });
    const dep = await get('deployment', release);
    expect(dep.spec.template.spec.containers[0].resources.limits).toEqual({
      cpu: '1',
      memory: '2Gi',
    });
    expect(dep.status.readyReplicas).toBe(1);
    const pvcAfter = await workspace();
    expect(pvcAfter.metadata.uid).toBe(pvcBefore.metadata.uid);
    const history = JSON.parse(
      await helm(['history', release, '-n', uuid, '-o', 'json']),
    );
    expect(history.at(-1)).toMatchObject({ revision: 2, status: 'deployed' });
  });

  it('uninstalls everything', async () => {
    await helm(
      ['uninstall', release, '-n', uuid, '--wait', '--timeout', '60s'],
      90_000,
    );
    const left = await get(
      'deployments,replicasets,pods,services,pvc,serviceaccounts,networkpolicies,resourcequotas,limitranges',
      '-l',
      selector,
    );
    expect(left.items.map((o: any) => `${o.kind}/${o.metadata.name}`)).toEqual(
      [],
    );
    expect(JSON.parse(await helm(['list', '-n', uuid, '-o', 'json']))).toEqual(
      [],
    );
  });
});
