/*
 * The status cache on the local cluster: its watches follow pods and events of this
 * installation's namespaces only, and after the API server they talk to restarts (a second
 * kube-apiserver of the same cluster, stopped and started for real) they say they are not
 * synced while it is down, reconnect, and catch up with what changed meanwhile. A job waits on
 * it for a session to get ready.
 */
import { mockServices } from '@backstage/backend-test-utils';
import {
  kubectl,
  kubectlApply,
  randomSuffix,
  SpareApiServer,
  waitFor,
} from '@dev-sessions/integration-tests';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { StatusCache } from '../status/StatusCache';

jest.setTimeout(300_000);

// an instance name of its own: this cache sees this file's namespaces and no other test's
const instance = `cache-${randomSuffix()}`;
const uuid = randomUUID();
const foreign = `not-ours-${randomSuffix()}`;
const uuid2 = randomUUID();

const pod = (name: string, namespace: string) => `
---
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
  labels:
    app.kubernetes.io/component: session
    dev-sessions.io/project-uuid: ${uuid}
spec:
  containers:
    - { name: preview, image: busybox:1 }
    - { name: chat, image: busybox:1 }
    - { name: vscode, image: busybox:1 }
`;

let spare: SpareApiServer;
let cache: StatusCache;

beforeAll(async () => {
  await kubectlApply(`
apiVersion: v1
kind: Namespace
metadata:
  name: ${uuid}
  labels:
    app.kubernetes.io/managed-by: backstage-dev-sessions
    dev-sessions.io/instance: ${instance}
    dev-sessions.io/project-uuid: ${uuid}
---
apiVersion: v1
kind: Namespace
metadata: { name: ${foreign} }
`);
  spare = await SpareApiServer.start();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(spare.kubeconfig);
  cache = new StatusCache({
    kc,
    logger: mockServices.logger.mock(),
    instance,
    backoffMs: { min: 100, max: 1000 },
  });
  cache.start();
});

afterAll(async () => {
  cache?.stop();
  await spare?.stop();
  await kubectl([
    'delete',
    'namespace',
    uuid,
    uuid2,
    foreign,
    '--wait=false',
    '--ignore-not-found',
  ]);
});

const readyPod = (name: string) => () => {
  const snap = cache.snapshot(uuid, uuid);
  return (
    snap?.pod?.name === name &&
    snap.pod.phase === 'Running' &&
    snap.containers.length === 3 &&
    snap.containers.every(c => c.ready)
  );
};

describe('StatusCache on the local cluster', () => {
  it('syncs, then follows the pods and events of its namespaces and keeps no other events', async () => {
    expect(await cache.waitForSync(60_000)).toBe(true);
    await kubectlApply(pod('session-a', uuid) + pod('lookalike', foreign));
    await waitFor('session-a ready in the cache', async () =>
      readyPod('session-a')(),
    );
    const snap = cache.snapshot(uuid, uuid)!;
    expect(snap.containers.map(c => [c.name, c.role, c.state])).toEqual([
      ['preview', 'preview', 'running'],
      ['chat', 'chat', 'running'],
      ['vscode', 'vscode', 'running'],
    ]);
    await waitFor('the pod events in the cache', async () =>
      cache
        .snapshot(uuid, uuid)!
        .events.some(e => e.object === 'Pod/session-a'),
    );
    // the lookalike's pod matches the label selector, but its events are not kept
    await waitFor('the lookalike pod watched', async () =>
      cache.pods.hasNamespace(foreign),
    );
    expect(cache.events.all().every(e => e.metadata?.namespace === uuid)).toBe(
      true,
    );
    // a namespace that is not this installation's is not answered from the cache
    expect(cache.snapshot(foreign, uuid)).toBeUndefined();
  });

  it('reconnects after its API server restarts and catches up with what changed meanwhile', async () => {
    await waitFor('session-a ready in the cache', async () =>
      readyPod('session-a')(),
    );
    const before = { ...cache.stats };
    await spare.stop();
    await waitFor('the cache to notice', async () => !cache.synced, 30_000);
    // readers fall back to the API server while the cache cannot follow
    expect(cache.snapshot(uuid, uuid)).toBeUndefined();

    // changes made through the main API server while this one is down
    const del = await kubectl([
      '-n',
      uuid,
      'delete',
      'pod',
      'session-a',
      '--wait=false',
    ]);
    expect(del.stderr).toBe('');
    await kubectlApply(pod('session-b', uuid));

    await spare.startAgain();
    expect(await cache.waitForSync(60_000)).toBe(true);
    await waitFor('session-b ready in the cache', async () =>
      readyPod('session-b')(),
    );
    await waitFor(
      'session-a gone from the cache',
      async () =>
        !cache.pods
          .inNamespace(uuid)
          .some(p => p.metadata?.name === 'session-a'),
    );
    expect(cache.stats.errors).toBeGreaterThan(before.errors);
    expect(cache.stats.watches).toBeGreaterThan(before.watches);
  });

  it('says when a session is ready, from the watch, or times out saying what is not', async () => {
    await cache.waitForReady(uuid, uuid, { timeoutMs: 30_000 });
    await kubectlApply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${uuid2} }
---
apiVersion: v1
kind: Pod
metadata:
  name: bad-image
  namespace: ${uuid2}
  labels:
    app.kubernetes.io/component: session
    dev-sessions.io/project-uuid: ${uuid2}
spec:
  containers: [{ name: preview, image: registry.invalid/app:1 }]
`);
    await expect(
      cache.waitForReady(uuid2, uuid2, { timeoutMs: 5000 }),
    ).rejects.toThrow(
      /^timed out after 5 s \(pod bad-image \w+, container preview: (ErrImagePull|ImagePullBackOff)\)$/,
    );
  });
});
