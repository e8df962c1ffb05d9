/*
 * What must hold on the local cluster (or any cluster the tests point at): workloads run,
 * services get addresses, storage binds, Helm installs/upgrades/uninstalls with --wait,
 * namespaces finalize, and failure states can be simulated.
 */
import {
  helm,
  kubectl,
  kubectlApply,
  kubectlJson,
  randomSuffix,
  run,
  testNamespace,
  waitFor,
  clusterEnv,
} from '../index';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

jest.setTimeout(180_000);

const ns = `cluster-test-${randomSuffix()}`;

function ipToInt(ip: string) {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function inCidr(ip: string, cidr: string) {
  const [base, bits] = cidr.split('/');
  const mask = 2 ** 32 - 2 ** (32 - Number(bits));
  return (ipToInt(ip) & mask) >>> 0 === (ipToInt(base) & mask) >>> 0;
}

testNamespace(ns);

describe('local cluster', () => {
  it('reports the real Kubernetes version', async () => {
    const v = await kubectlJson(['version']);
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(v.serverVersion.gitVersion).not.toContain('v0.0.0');
  });

  it('runs a Deployment: ReplicaSet, Pod Running with a pod IP, Service ClusterIP, EndpointSlice', async () => {
    await kubectlApply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{ containerPort: 80 }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 80 }]
`);
    const rs = await waitFor('a ReplicaSet', async () => {
      const l = await kubectlJson([
        '-n',
        ns,
        'get',
        'replicasets',
        '-l',
        'app=web',
      ]);
      return l.items.length === 1 && l.items[0];
    });
    expect(rs.metadata.ownerReferences[0].kind).toBe('Deployment');
    const pods = await waitFor('2 running pods with IPs', async () => {
      const l = await kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app=web']);
      const running = l.items.filter(
        (p: any) => p.status.phase === 'Running' && p.status.podIP,
      );
      return running.length === 2 && running;
    });
    const svc = await kubectlJson(['-n', ns, 'get', 'service', 'web']);
    const clusterIp: string = svc.spec.clusterIP;
    expect(inCidr(clusterIp, '10.96.0.0/16')).toBe(true);
    for (const p of pods) {
      expect(inCidr(p.status.podIP, '10.96.0.0/16')).toBe(false);
      expect(
        p.status.conditions.find((c: any) => c.type === 'Ready').status,
      ).toBe('True');
    }
    const slices = await waitFor(
      'an EndpointSlice with both pods',
      async () => {
        const l = await kubectlJson([
          '-n',
          ns,
          'get',
          'endpointslices',
          '-l',
          'kubernetes.io/service-name=web',
        ]);
        const addrs = l.items.flatMap((s: any) =>
          (s.endpoints ?? []).flatMap((e: any) => e.addresses),
        );
        return addrs.length === 2 && addrs;
      },
    );
    expect(slices.sort()).toEqual(pods.map((p: any) => p.status.podIP).sort());
  });

  it('binds a PVC through the default StorageClass', async () => {
    const scs = await kubectlJson(['get', 'storageclasses']);
    const def = scs.items.find(
      (s: any) =>
        s.metadata.annotations?.[
          'storageclass.kubernetes.io/is-default-class'
        ] === 'true',
    );
    expect(def).toBeDefined();
    await kubectlApply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: ${ns} }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 2Gi } }
`);
    const pvc = await waitFor('the PVC to be Bound', async () => {
      const c = await kubectlJson(['-n', ns, 'get', 'pvc', 'data']);
      return c.status.phase === 'Bound' && c;
    });
    const pv = await kubectlJson(['get', 'pv', pvc.spec.volumeName]);
    expect(pv.spec.capacity.storage).toBe('2Gi');
    expect(pv.spec.claimRef.name).toBe('data');
    expect(pv.spec.storageClassName).toBe(def.metadata.name);
  });

  it('simulates ImagePullBackOff, CrashLoopBackOff and OOMKilled', async () => {
    await kubectlApply(`
apiVersion: v1
kind: Pod
metadata: { name: bad-image, namespace: ${ns} }
spec:
  containers: [{ name: app, image: registry.invalid/app:1 }, { name: ok, image: busybox:1 }]
---
apiVersion: v1
kind: Pod
metadata:
  name: crash
  namespace: ${ns}
  annotations: { sim.dev-sessions.io/fail: "app=CrashLoopBackOff" }
spec:
  containers: [{ name: app, image: busybox:1 }, { name: ok, image: busybox:1 }]
---
apiVersion: v1
kind: Pod
metadata:
  name: oom
  namespace: ${ns}
  annotations: { sim.dev-sessions.io/fail: "app=OOMKilled" }
spec:
  containers: [{ name: app, image: busybox:1 }]
`);
    const status = (name: string) =>
      waitFor(`status of ${name}`, async () => {
        const p = await kubectlJson(['-n', ns, 'get', 'pod', name]);
        return p.status.containerStatuses?.length && p.status;
      });
    const bad = await status('bad-image');
    const app = bad.containerStatuses.find((c: any) => c.name === 'app');
    expect(app.state.waiting.reason).toBe('ImagePullBackOff');
    expect(bad.containerStatuses.find((c: any) => c.name === 'ok').ready).toBe(
      true,
    );

    const crash = await status('crash');
    const crashed = crash.containerStatuses.find((c: any) => c.name === 'app');
    expect(crashed.state.waiting.reason).toBe('CrashLoopBackOff');
    expect(crashed.restartCount).toBeGreaterThan(0);
    expect(crash.conditions.find((c: any) => c.type === 'Ready').status).toBe(
      'False',
    );

    const oom = await status('oom');
    expect(oom.containerStatuses[0].lastState.terminated.reason).toBe(
      'OOMKilled',
    );
  });

  it('installs, upgrades and uninstalls a Helm chart with --wait (LoadBalancer, PVC)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-'));
    fs.mkdirSync(path.join(dir, 'templates'));
    fs.writeFileSync(
      path.join(dir, 'Chart.yaml'),
      'apiVersion: v2\nname: probe\nversion: 0.1.0\n',
    );
    fs.writeFileSync(path.join(dir, 'values.yaml'), 'replicas: 1\n');
    fs.writeFileSync(
      path.join(dir, 'templates', 'all.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: probe }
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: probe } }
  template:
    metadata: { labels: { app: probe } }
    spec:
      containers: [{ name: c, image: busybox:1 }]
      volumes: [{ name: d, persistentVolumeClaim: { claimName: probe } }]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: probe }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
apiVersion: v1
kind: Service
metadata: { name: probe-lb }
spec: { type: LoadBalancer, selector: { app: probe }, ports: [{ port: 80 }] }
`,
    );
    const hns = `helm-probe-${randomSuffix()}`;
    await helm(
      [
        'install',
        'probe',
        dir,
        '-n',
        hns,
        '--create-namespace',
        '--wait',
        '--timeout',
        '90s',
      ],
      120_000,
    );
    const svc = await kubectlJson(['-n', hns, 'get', 'service', 'probe-lb']);
    expect(svc.status.loadBalancer.ingress[0].ip).toMatch(
      /^\d+\.\d+\.\d+\.\d+$/,
    );
    await helm(
      [
        'upgrade',
        'probe',
        dir,
        '-n',
        hns,
        '--set',
        'replicas=2',
        '--wait',
        '--timeout',
        '90s',
      ],
      120_000,
    );
    const dep = await kubectlJson(['-n', hns, 'get', 'deployment', 'probe']);
    expect(dep.status.readyReplicas).toBe(2);
    const history = JSON.parse(
      await helm(['history', 'probe', '-n', hns, '-o', 'json']),
    );
    expect(history.map((h: any) => h.status)).toEqual([
      'superseded',
      'deployed',
    ]);
    await helm(
      ['uninstall', 'probe', '-n', hns, '--wait', '--timeout', '60s'],
      90_000,
    );
    const list = JSON.parse(await helm(['list', '-n', hns, '-o', 'json']));
    expect(list).toEqual([]);

    // deleting the namespace finalizes
    const del = await kubectl([
      'delete',
      'namespace',
      hns,
      '--wait=true',
      '--timeout=60s',
    ]);
    expect(del.code).toBe(0);
    const env = clusterEnv();
    const gone = await run(env.kubectl, ['get', 'namespace', hns], {
      env: { KUBECONFIG: env.kubeconfig },
    });
    expect(gone.stderr).toContain('NotFound');
  });
});
