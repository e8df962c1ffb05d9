/*
 * The simulated node stays healthy and pods recover from a node hiccup as on a real node: kwok
 * renews the node's Lease, and a running pod that the node lifecycle controller marked not ready
 * (reason NodeNotReady) becomes ready again, while simulated failures and finished pods stay as
 * they are.
 */
import {
  kubectl,
  kubectlApply,
  kubectlJson,
  randomSuffix,
  testNamespace,
  waitFor,
} from '../index';

jest.setTimeout(120_000);

const ns = `node-health-${randomSuffix()}`;

/** What the node lifecycle controller does to every pod of a node that missed its heartbeat. */
async function markNotReadyLikeTheNodeLifecycleController(pod: string) {
  const patch = {
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'NodeNotReady',
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    },
  };
  const r = await kubectl([
    '-n',
    ns,
    'patch',
    'pod',
    pod,
    '--subresource=status',
    '--type=strategic',
    '-p',
    JSON.stringify(patch),
  ]);
  if (r.code !== 0) throw new Error(`kubectl patch failed: ${r.stderr}`);
}

const ready = (p: any) =>
  p.status.conditions?.find((c: any) => c.type === 'Ready')?.status;

testNamespace(ns);

describe('node health', () => {
  it('every node is Ready and its Lease is renewed', async () => {
    const nodes = await kubectlJson(['get', 'nodes']);
    expect(nodes.items.length).toBeGreaterThan(0);
    for (const node of nodes.items) {
      const name = node.metadata.name;
      expect([name, ready(node)]).toEqual([name, 'True']);
      const first = await kubectlJson([
        '-n',
        'kube-node-lease',
        'get',
        'lease',
        name,
      ]);
      expect(first.spec.leaseDurationSeconds).toBeGreaterThan(0);
      await waitFor(
        `the Lease of ${name} to be renewed`,
        async () => {
          const l = await kubectlJson([
            '-n',
            'kube-node-lease',
            'get',
            'lease',
            name,
          ]);
          return l.spec.renewTime !== first.spec.renewTime;
        },
        30_000,
        1000,
      );
    }
  });

  it('a pod marked not ready by a node hiccup becomes ready again; failures and finished pods stay', async () => {
    await kubectlApply(`
apiVersion: v1
kind: Pod
metadata: { name: ok, namespace: ${ns} }
spec:
  containers: [{ name: app, image: busybox:1 }]
---
apiVersion: v1
kind: Pod
metadata:
  name: crash
  namespace: ${ns}
  annotations: { sim.dev-sessions.io/fail: "app=CrashLoopBackOff" }
spec:
  containers: [{ name: app, image: busybox:1 }]
---
apiVersion: v1
kind: Pod
metadata: { name: bad-image, namespace: ${ns} }
spec:
  containers: [{ name: app, image: registry.invalid/app:1 }]
---
apiVersion: v1
kind: Pod
metadata: { name: done, namespace: ${ns} }
spec:
  restartPolicy: Never
  containers: [{ name: app, image: busybox:1 }]
`);
    const get = (name: string) => kubectlJson(['-n', ns, 'get', 'pod', name]);
    await waitFor(
      'ok to be Ready',
      async () => ready(await get('ok')) === 'True',
    );
    await waitFor(
      'crash to crash',
      async () => (await get('crash')).status.podIP,
    );
    await waitFor(
      'bad-image to wait',
      async () => (await get('bad-image')).status.podIP,
    );
    await waitFor(
      'done to succeed',
      async () => (await get('done')).status.phase === 'Succeeded',
    );

    for (const name of ['ok', 'crash', 'bad-image']) {
      await markNotReadyLikeTheNodeLifecycleController(name);
    }
    const ok = await waitFor(
      'ok to be Ready again',
      async () => {
        const p = await get('ok');
        return ready(p) === 'True' && p;
      },
      15_000,
    );
    expect(ok.status.phase).toBe('Running');
    expect(
      ok.status.conditions.find((c: any) => c.type === 'ContainersReady')
        .status,
    ).toBe('True');

    // give the stages time to (wrongly) act on the others
    await new Promise(r => setTimeout(r, 3000));
    const crash = await get('crash');
    expect(ready(crash)).toBe('False');
    expect(crash.status.containerStatuses[0].state.waiting.reason).toBe(
      'CrashLoopBackOff',
    );
    const bad = await get('bad-image');
    expect(ready(bad)).toBe('False');
    expect(bad.status.containerStatuses[0].state.waiting.reason).toBe(
      'ImagePullBackOff',
    );
    const done = await get('done');
    expect(done.status.phase).toBe('Succeeded');
    expect(ready(done)).toBe('False');
  });
});
