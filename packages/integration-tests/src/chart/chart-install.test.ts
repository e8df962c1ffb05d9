/*
 * The dev-session chart on a real cluster: install with --wait reaches Ready in a namespace that
 * enforces the restricted Pod Security Standard, `helm test` passes, an upgrade changes a value
 * in place, and uninstall removes everything but the session's volumes, which a new install
 * adopts as they are; only deleting the session's namespace removes them.
 */
import { randomUUID } from 'node:crypto';
import { helm, kubectl, kubectlJson, testNamespace, waitFor } from '../index';
import {
  claimsIn,
  getIn,
  installChart,
  markClaims,
  sessionNamespaceLabels,
} from './install';

jest.setTimeout(300_000);

const uuid = randomUUID();
const release = 'dev-session';
const selector = `dev-sessions.io/project-uuid=${uuid}`;
const get = getIn(uuid);
const CLAIMS = [
  'dev-session-agent-config',
  'dev-session-history',
  'dev-session-workspace',
];

const values = {
  project: { uuid, id: 'install-test' },
  user: { id: 'user:default/jane' },
};

testNamespace(uuid, sessionNamespaceLabels(uuid));

describe('dev-session chart on the cluster', () => {
  let claims: Awaited<ReturnType<typeof claimsIn>>;

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

    claims = await claimsIn(uuid);
    expect(Object.keys(claims).sort()).toEqual(CLAIMS);
    for (const c of Object.values(claims)) {
      expect(c.phase).toBe('Bound');
      expect(c.keep).toBe('keep');
    }
    expect(claims['dev-session-workspace'].size).toBe('10Gi');
    await markClaims(uuid, 'install-test');

    const svcs = await get('services', '-l', selector);
    expect(svcs.items.map((s: any) => s.metadata.name).sort()).toEqual(
      ['chat', 'lb', 'preview', 'vscode'].map(s => `${release}-${s}`),
    );
    for (const s of svcs.items)
      expect(s.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const quota = await get('resourcequota', 'dev-session');
    expect(quota.status.used.pods).toBe('1');
    expect(quota.status.used['requests.storage']).toBe('12Gi');
  });

  it('passes helm test (each service answers)', async () => {
    const out = await helm(
      ['test', release, '-n', uuid, '--timeout', '60s'],
      90_000,
    );
    expect(out).toMatch(/Phase:\s+Succeeded/);
  });

  it('upgrades a value in place; a smaller size keeps the workspace as it is', async () => {
    await installChart(release, uuid, { ...values, size: 'small' });
    const dep = await get('deployment', release);
    expect(dep.spec.template.spec.containers[0].resources.limits).toEqual({
      cpu: '200m',
      memory: '512Mi',
    });
    expect(dep.status.readyReplicas).toBe(1);
    const after = await claimsIn(uuid);
    for (const name of CLAIMS) {
      expect(after[name].uid).toBe(claims[name].uid);
      expect(after[name].marker).toBe('install-test');
    }
    // the small preset's workspace is 5Gi; a claim never shrinks
    expect(after['dev-session-workspace'].size).toBe('10Gi');
    const history = JSON.parse(
      await helm(['history', release, '-n', uuid, '-o', 'json']),
    );
    expect(history.at(-1)).toMatchObject({ revision: 2, status: 'deployed' });
  });

  it('uninstalls everything but the volumes, which Helm keeps', async () => {
    await helm(
      ['uninstall', release, '-n', uuid, '--wait', '--timeout', '60s'],
      90_000,
    );
    const left = await get(
      'deployments,replicasets,pods,services,pvc,serviceaccounts,networkpolicies,resourcequotas,limitranges',
      '-l',
      selector,
    );
    expect(
      left.items.map((o: any) => `${o.kind}/${o.metadata.name}`).sort(),
    ).toEqual(CLAIMS.map(c => `PersistentVolumeClaim/${c}`));
    expect(JSON.parse(await helm(['list', '-n', uuid, '-o', 'json']))).toEqual(
      [],
    );
  });

  it('installs again (a stopped session started) with the same volumes and their data', async () => {
    await installChart(release, uuid, values);
    const again = await claimsIn(uuid);
    for (const name of CLAIMS) {
      expect(again[name].uid).toBe(claims[name].uid);
      expect(again[name].marker).toBe('install-test');
    }
    const pod = (await get('pods', '-l', selector)).items[0];
    expect(pod.status.phase).toBe('Running');
  });

  it("deleting the session's namespace removes the volumes", async () => {
    const pvs = Object.values(claims).map(c => `pvc-${c.uid}`);
    const r = await kubectl([
      'delete',
      'namespace',
      uuid,
      '--wait=true',
      '--timeout=150s',
    ]);
    expect(r.stderr).toBe('');
    await waitFor(
      'the volumes to be deleted',
      async () => {
        const all = await kubectlJson(['get', 'pv']);
        return !all.items.some((p: any) => pvs.includes(p.metadata.name));
      },
      60_000,
    );
  });
});
