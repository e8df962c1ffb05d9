/*
 * The local development cluster: a real kube-apiserver, kube-controller-manager and
 * kube-scheduler on etcd, with kwok simulating the node and the pod lifecycle, plus two tiny
 * controllers a real cluster would have (a volume provisioner for the default StorageClass and a
 * LoadBalancer IP assigner). Everything binds to 127.0.0.1.
 *
 *   yarn cluster up | down | status | env
 *
 * Run with Node 22 (type stripping): node scripts/cluster/cluster.ts <command>
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { ensureHelmAndKubectl } from './tools.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const stateDir = path.resolve(
  process.env.DEV_SESSIONS_CLUSTER_DIR ?? path.join(repoRoot, '.cluster'),
);
/** The port offset: as set, else the one of the cluster already in the state dir, else 0. */
function portOffsetOf(): number {
  if (process.env.DEV_SESSIONS_CLUSTER_PORT_OFFSET !== undefined) {
    return Number(process.env.DEV_SESSIONS_CLUSTER_PORT_OFFSET);
  }
  try {
    const kc = fs.readFileSync(path.join(stateDir, 'kubeconfig'), 'utf8');
    const m = /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(kc);
    if (m) return Number(m[1]) - 36443;
  } catch {
    /* no cluster there yet */
  }
  return 0;
}
const portOffset = portOffsetOf();
const ports = {
  etcdClient: 32379 + portOffset,
  etcdPeer: 32380 + portOffset,
  apiserver: 36443 + portOffset,
  // kwok's kubelet-like server (container logs): the node's kubeletEndpoint port
  kubelet: 10250 + portOffset,
};
const SERVICE_CIDR = '10.96.0.0/16';
const POD_CIDR = '10.244.0.0/16';
const NODE_NAME = 'kwok-node-0';
const PROVISIONER = 'dev-sessions.io/local-path';
const LB_PREFIX = '192.0.2.'; // TEST-NET-1: documentation range, never routed
/** The node's address: where the API server reaches kwok's kubelet server (logs). */
const NODE_IP = '127.0.0.1';
/** Simulated container logs: container-logs/<container>.txt and <container>.previous.txt. */
const LOG_ROLES = ['preview', 'chat', 'vscode'];

const p = (...parts: string[]) => path.join(stateDir, ...parts);
const log = (msg: string) => process.stderr.write(`[cluster] ${msg}\n`);
class ClusterError extends Error {}
const fail = (msg: string): never => {
  throw new ClusterError(msg);
};

type Component = { name: string; bin: string; args: string[] };

function binDir(): string {
  const res = spawnSync(
    'bash',
    [path.join(import.meta.dirname, 'build-binaries.sh')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    },
  );
  if (res.status !== 0)
    fail('building the cluster binaries failed (see above)');
  return res.stdout.trim().split('\n').pop()!;
}

function openssl(args: string[]) {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error)
    fail(
      'openssl is required to create the cluster certificates (apt-get install openssl)',
    );
  if (r.status !== 0) fail(`openssl ${args[0]} failed: ${r.stderr}`);
}

function ensureCerts() {
  const pki = p('pki');
  const f = (n: string) => path.join(pki, n);
  if (!fs.existsSync(f('admin.crt'))) createCerts(f);
  // kwok's kubelet server: its own serving cert, which the API server checks against our CA
  // (also for a state dir made before kwok served logs)
  if (!fs.existsSync(f('kubelet.crt'))) {
    signCert(
      f,
      'kubelet',
      `/CN=system:node:${NODE_NAME}`,
      `subjectAltName=IP:${NODE_IP},DNS:localhost,DNS:${NODE_NAME}\nextendedKeyUsage=serverAuth\n`,
    );
  }
}

/** Signs a key pair with the cluster CA. */
function signCert(
  f: (n: string) => string,
  name: string,
  subj: string,
  ext: string,
) {
  fs.writeFileSync(f(`${name}.ext`), ext);
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.csr`),
    '-subj',
    subj,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f(`${name}.crt`),
    '-days',
    '3650',
    '-extfile',
    f(`${name}.ext`),
  ]);
}

function createCerts(f: (n: string) => string) {
  fs.mkdirSync(p('pki'), { recursive: true });
  log('creating certificates');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '3650',
    '-subj',
    '/CN=dev-sessions-local-ca',
  ]);
  const sign = (name: string, subj: string, ext: string) =>
    signCert(f, name, subj, ext);
  sign(
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n',
  );
  openssl(['genrsa', '-out', f('sa.key'), '2048']);
  openssl(['rsa', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub')]);
  sign(
    'admin',
    '/O=system:masters/CN=dev-sessions-admin',
    'extendedKeyUsage=clientAuth\n',
  );
}

function writeKubeconfig() {
  const b64 = (n: string) => fs.readFileSync(p('pki', n)).toString('base64');
  const cfg = `apiVersion: v1
kind: Config
clusters:
- name: dev-sessions-local
  cluster:
    server: https://127.0.0.1:${ports.apiserver}
    certificate-authority-data: ${b64('ca.crt')}
users:
- name: dev-sessions-admin
  user:
    client-certificate-data: ${b64('admin.crt')}
    client-key-data: ${b64('admin.key')}
contexts:
- name: dev-sessions-local
  context:
    cluster: dev-sessions-local
    user: dev-sessions-admin
current-context: dev-sessions-local
`;
  fs.writeFileSync(p('kubeconfig'), cfg, { mode: 0o600 });
}

function components(bin: string): Component[] {
  const pki = (n: string) => p('pki', n);
  const kc = p('kubeconfig');
  return [
    {
      name: 'etcd',
      bin: path.join(bin, 'etcd'),
      args: [
        `--data-dir=${p('etcd')}`,
        '--name=local',
        `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-cluster=local=http://127.0.0.1:${ports.etcdPeer}`,
        '--quota-backend-bytes=4294967296',
        '--unsafe-no-fsync',
        '--log-level=warn',
        '--snapshot-count=10000',
        '--auto-compaction-retention=1',
      ],
    },
    {
      name: 'kube-apiserver',
      bin: path.join(bin, 'kube-apiserver'),
      args: [
        `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.apiserver}`,
        '--advertise-address=127.0.0.1',
        `--tls-cert-file=${pki('apiserver.crt')}`,
        `--tls-private-key-file=${pki('apiserver.key')}`,
        `--client-ca-file=${pki('ca.crt')}`,
        `--service-account-key-file=${pki('sa.pub')}`,
        `--service-account-signing-key-file=${pki('sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--service-node-port-range=30000-32767',
        '--authorization-mode=Node,RBAC',
        '--allow-privileged=true',
        '--endpoint-reconciler-type=none',
        // container logs (and exec, port-forward) go to kwok's kubelet server at the node's
        // InternalIP and kubeletEndpoint port, over TLS checked against our CA
        '--kubelet-preferred-address-types=InternalIP',
        `--kubelet-certificate-authority=${pki('ca.crt')}`,
        '--v=1',
      ],
    },
    {
      name: 'kube-controller-manager',
      bin: path.join(bin, 'kube-controller-manager'),
      args: [
        `--kubeconfig=${kc}`,
        '--secure-port=0',
        '--leader-elect=false',
        `--service-account-private-key-file=${pki('sa.key')}`,
        `--root-ca-file=${pki('ca.crt')}`,
        '--use-service-account-credentials=false',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route',
        '--v=1',
        '--concurrent-namespace-syncs=10',
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        // The node is healthy while kwok renews its Lease (every 10 s, see kwok below). Declare it
        // lost only after 2 min without a renewal (default 50 s), so a busy 2-core machine that
        // starves kwok for a moment never marks every pod NotReady.
        '--node-monitor-period=5s',
        // quotas recount every 15 s (default 5 min), so a missed pod event settles quickly
        '--resource-quota-sync-period=15s',
        '--node-monitor-grace-period=2m',
      ],
    },
    {
      name: 'kube-scheduler',
      bin: path.join(bin, 'kube-scheduler'),
      // A pod that waited for its PVC to bind is retried within 10 s even if the scheduler misses
      // the bind event (the default, 5 min, outlasts helm --wait on a busy machine).
      args: [
        `--kubeconfig=${kc}`,
        '--secure-port=0',
        '--leader-elect=false',
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        '--pod-max-in-unschedulable-pods-duration=10s',
        '--v=1',
      ],
    },
    {
      name: 'kwok',
      bin: path.join(bin, 'kwok'),
      args: [
        `--kubeconfig=${kc}`,
        `--config=${path.join(import.meta.dirname, 'stages.yaml')}`,
        // ClusterLogs: which file kwok's kubelet server answers `kubectl logs` with
        `--config=${p('kwok-logs.yaml')}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--cidr=${POD_CIDR}`,
        // the node's InternalIP and kubelet port (kubeletEndpoint): where the API server
        // reaches kwok's kubelet-like server, HTTPS with a cert of our CA, on 127.0.0.1 only
        `--node-ip=${NODE_IP}`,
        `--node-port=${ports.kubelet}`,
        `--server-address=${NODE_IP}:${ports.kubelet}`,
        `--tls-cert-file=${pki('kubelet.crt')}`,
        `--tls-private-key-file=${pki('kubelet.key')}`,
        '--v=-4',
        // Without this flag kwok v0.7.0 keeps no node Lease at all and (its default node stages
        // are chosen by an inverted test) posts the node status only every 10-20 min, so the
        // node lifecycle controller saw no heartbeat for 50 s and marked the node NotReady about
        // once a minute. With it kwok renews the Lease kube-node-lease/kwok-node-0 every 10 s
        // (duration / 4) and posts the node status every 20-45 s. kwokctl sets the same (40).
        '--node-lease-duration-seconds=40',
      ],
    },
    {
      name: 'local-controllers',
      bin: process.execPath,
      args: [import.meta.filename, 'controllers', `--state-dir=${stateDir}`],
    },
  ];
}

/**
 * kwok's ClusterLogs (kwok.x-k8s.io/v1alpha1, read from its --config): every pod's container
 * `<role>` logs container-logs/<role>.txt, and container-logs/<role>.previous.txt for
 * `--previous` (not `.log`: the repository ignores those). Files are in the CRI log format
 * (`<RFC 3339 time> stdout|stderr F <line>`), which kwok parses like a kubelet; kwok v0.7.0 serves the previous file whatever the restart count (it does not look at
 * the pod), so only a container that restarted has a previous log worth reading.
 */
function writeLogsConfig() {
  const dir = path.join(import.meta.dirname, 'container-logs');
  const logs = LOG_ROLES.map(role => ({
    containers: [role],
    logsFile: path.join(dir, `${role}.txt`),
    previousLogsFile: path.join(dir, `${role}.previous.txt`),
  }));
  const cfg = {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterLogs',
    metadata: { name: 'dev-sessions-simulated-logs' },
    spec: { selector: {}, logs },
  };
  // JSON is YAML; one document
  fs.writeFileSync(p('kwok-logs.yaml'), `${JSON.stringify(cfg, null, 2)}\n`);
}

// ---- processes ------------------------------------------------------------------------------
type Pids = Record<string, number>;
const readPids = (): Pids => {
  try {
    return JSON.parse(fs.readFileSync(p('pids.json'), 'utf8'));
  } catch {
    return {};
  }
};
const writePids = (pids: Pids) =>
  fs.writeFileSync(p('pids.json'), JSON.stringify(pids, null, 2));

/** True when pid runs and is one of ours (its command line mentions our state dir or stages file). */
function ownsPid(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (st.split(') ')[1]?.startsWith('Z')) return false;
    return (
      cmd.includes(stateDir) ||
      cmd.includes(path.join(import.meta.dirname, 'stages.yaml'))
    );
  } catch {
    return false;
  }
}

/** True when the running process pid was started with exactly these arguments. */
function sameArgs(pid: number, args: string[]): boolean {
  try {
    const argv = fs
      .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .slice(1, -1);
    return JSON.stringify(argv) === JSON.stringify(args);
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function start(c: Component): number {
  fs.mkdirSync(p('logs'), { recursive: true });
  const out = fs.openSync(p('logs', `${c.name}.log`), 'a');
  const child = spawn(c.bin, c.args, {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  fs.closeSync(out);
  if (!child.pid) fail(`could not start ${c.name}`);
  return child.pid!;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

// ---- API access -----------------------------------------------------------------------------
function tlsOpts() {
  return {
    ca: fs.readFileSync(p('pki', 'ca.crt')),
    cert: fs.readFileSync(p('pki', 'admin.crt')),
    key: fs.readFileSync(p('pki', 'admin.key')),
  };
}
let cachedTls: ReturnType<typeof tlsOpts> | undefined;

export function api(
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: any }> {
  cachedTls ??= tlsOpts();
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        host: '127.0.0.1',
        port: ports.apiserver,
        path: urlPath,
        method,
        ...cachedTls,
        timeout: 10_000,
        headers: data
          ? {
              'content-type': contentType,
              'content-length': Buffer.byteLength(data),
            }
          : {},
      },
      res => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', d => (buf += d));
        res.on('end', () => {
          let json: any = buf;
          try {
            json = JSON.parse(buf);
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function apiReady(): Promise<boolean> {
  try {
    const r = await api('GET', '/readyz');
    return r.status === 200;
  } catch {
    return false;
  }
}

async function ensureObject(collection: string, obj: any) {
  const r = await api('POST', collection, obj);
  if (r.status !== 201 && r.status !== 409)
    fail(
      `creating ${obj.kind} ${obj.metadata.name}: ${r.status} ${JSON.stringify(
        r.json,
      )}`,
    );
}

async function bootstrapObjects() {
  await ensureObject('/apis/storage.k8s.io/v1/storageclasses', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: 'standard',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
  });
  await ensureObject('/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      annotations: {
        'kwok.x-k8s.io/node': 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
      },
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: {
      allocatable: {
        cpu: '1000',
        memory: '4Ti',
        pods: '5000',
        'ephemeral-storage': '10Ti',
      },
      capacity: {
        cpu: '1000',
        memory: '4Ti',
        pods: '5000',
        'ephemeral-storage': '10Ti',
      },
    },
  });
  // The node's address and kubelet port (also on a node made before kwok served logs: kwok
  // keeps the addresses a node has): the API server sends `kubectl logs` there.
  const st = await api(
    'PATCH',
    `/api/v1/nodes/${NODE_NAME}/status`,
    {
      status: {
        addresses: [{ type: 'InternalIP', address: NODE_IP }],
        daemonEndpoints: { kubeletEndpoint: { Port: ports.kubelet } },
      },
    },
    'application/merge-patch+json',
  );
  if (st.status !== 200)
    fail(`setting the node's address: ${st.status} ${JSON.stringify(st.json)}`);
  // kwok manages a node only while it holds the node's Lease, and every kwok process has a new
  // identity: after a restart the old Lease would keep the new kwok off the node (and the node
  // without heartbeat) until it expires. Start from no Lease.
  await api(
    'DELETE',
    `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE_NAME}`,
  );
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logFile?: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(300);
  }
  let tail = '';
  if (logFile && fs.existsSync(logFile))
    tail = `\n--- last lines of ${logFile} ---\n${fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .slice(-15)
      .join('\n')}`;
  fail(`timed out after ${timeoutMs / 1000}s waiting for ${what}${tail}`);
}

// ---- commands -------------------------------------------------------------------------------
async function up() {
  const t0 = Date.now();
  const bin = binDir();
  let tools = '(helm/kubectl not installed yet: run the install step)';
  try {
    tools = ensureHelmAndKubectl();
  } catch (e) {
    log(`warning: ${(e as Error).message}`);
  }
  fs.mkdirSync(stateDir, { recursive: true });
  const free = fs.statfsSync(stateDir);
  if (free.bavail * free.bsize < 1024 ** 3)
    fail(`not enough disk: less than 1 GB free in ${stateDir}`);

  const comps = components(bin);
  const pids = readPids();
  const alive = comps.filter(c => ownsPid(pids[c.name]));
  // components started with other flags (an older cluster.ts): restart them all
  const changed = alive.filter(c => !sameArgs(pids[c.name], c.args));
  if (
    alive.length === comps.length &&
    changed.length === 0 &&
    (await apiReady())
  ) {
    log(`already up (${stateDir})`);
    console.log(`KUBECONFIG=${p('kubeconfig')}`);
    return;
  }
  if (changed.length > 0)
    log(
      `the flags of ${changed
        .map(c => c.name)
        .join(', ')} changed since they started: restarting the cluster`,
    );
  if (alive.length > 0 || Object.keys(pids).length > 0) {
    if (changed.length === 0)
      log(
        'found a partial or crashed earlier run: stopping what is left of it and restarting',
      );
    await stopAll(pids);
  }
  for (const [name, port] of Object.entries(ports)) {
    if (!(await portFree(port))) {
      fail(
        `port ${port} (${name}) on 127.0.0.1 is taken by another process. Stop it (ss -ltnp 'sport = :${port}') or set DEV_SESSIONS_CLUSTER_PORT_OFFSET.`,
      );
    }
  }
  ensureCerts();
  writeKubeconfig();
  writeLogsConfig();

  const newPids: Pids = {};
  for (const c of comps) {
    log(`starting ${c.name}`);
    newPids[c.name] = start(c);
    writePids(newPids);
    if (c.name === 'etcd') {
      await waitFor(
        'etcd',
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${ports.etcdClient}/health`))
              .ok;
          } catch {
            return false;
          }
        },
        30_000,
        p('logs', 'etcd.log'),
      );
    }
    if (c.name === 'kube-apiserver') {
      await waitFor(
        'kube-apiserver /readyz',
        apiReady,
        90_000,
        p('logs', 'kube-apiserver.log'),
      );
      await bootstrapObjects();
    }
    await sleep(100);
    if (!ownsPid(newPids[c.name])) {
      fail(
        `${c.name} exited right after start; see ${p(
          'logs',
          `${c.name}.log`,
        )}:\n${fs
          .readFileSync(p('logs', `${c.name}.log`), 'utf8')
          .split('\n')
          .slice(-15)
          .join('\n')}`,
      );
    }
  }
  await waitFor(
    'node to be Ready',
    async () => {
      const r = await api('GET', `/api/v1/nodes/${NODE_NAME}`);
      return (
        r.json?.status?.conditions?.some(
          (c: any) => c.type === 'Ready' && c.status === 'True',
        ) ?? false
      );
    },
    60_000,
    p('logs', 'kwok.log'),
  );
  await waitFor(
    'the default service account',
    async () =>
      (
        await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')
      ).status === 200,
    60_000,
    p('logs', 'kube-controller-manager.log'),
  );
  log(
    `up in ${((Date.now() - t0) / 1000).toFixed(
      1,
    )}s; helm and kubectl in ${tools}`,
  );
  console.log(`KUBECONFIG=${p('kubeconfig')}`);
}

async function stopAll(pids: Pids) {
  const order = Object.keys(pids).reverse();
  for (const name of order) {
    const pid = pids[name];
    if (ownsPid(pid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && order.some(n => ownsPid(pids[n])))
    await sleep(100);
  for (const name of order) {
    if (ownsPid(pids[name])) {
      try {
        process.kill(pids[name], 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  fs.rmSync(p('pids.json'), { force: true });
}

async function down() {
  if (!fs.existsSync(stateDir)) {
    log('not running (no state)');
    return;
  }
  await stopAll(readPids());
  fs.rmSync(stateDir, { recursive: true, force: true });
  log(`stopped and removed ${stateDir}`);
}

async function status() {
  const pids = readPids();
  const names = [
    'etcd',
    'kube-apiserver',
    'kube-controller-manager',
    'kube-scheduler',
    'kwok',
    'local-controllers',
  ];
  let allUp = fs.existsSync(stateDir);
  console.log(`state dir: ${stateDir}`);
  for (const n of names) {
    const ok = ownsPid(pids[n]);
    allUp &&= ok;
    let rss = '';
    if (ok) {
      const m = /VmRSS:\s+(\d+)/.exec(
        fs.readFileSync(`/proc/${pids[n]}/status`, 'utf8'),
      );
      if (m) rss = ` rss=${Math.round(Number(m[1]) / 1024)}MB`;
    }
    console.log(
      `${n.padEnd(24)} ${ok ? `running pid=${pids[n]}${rss}` : 'not running'}`,
    );
  }
  const ready = fs.existsSync(p('pki', 'admin.crt')) && (await apiReady());
  console.log(
    `${'api'.padEnd(24)} ${
      ready ? `ready https://127.0.0.1:${ports.apiserver}` : 'not ready'
    }`,
  );
  let nodeReady = false;
  if (ready) {
    const v = await api('GET', '/version');
    console.log(`${'version'.padEnd(24)} ${v.json.gitVersion}`);
    const h = await health();
    nodeReady = h.nodeReady;
    console.log(`${'node'.padEnd(24)} ${h.node}`);
    console.log(`${'pods'.padEnd(24)} ${h.pods}`);
    console.log(
      `${'node NotReady events'.padEnd(24)} ${
        h.nodeNotReadyEvents
      } in the last hour`,
    );
  }
  process.exitCode = allUp && ready && nodeReady ? 0 : 3;
}

const age = (t: string | undefined) =>
  t ? `${Math.round((Date.now() - Date.parse(t)) / 1000)}s ago` : 'never';
const simulatedFailure = (pod: any) =>
  pod.metadata.annotations?.['sim.dev-sessions.io/fail'] !== undefined ||
  (pod.spec.containers ?? []).some((c: any) =>
    /^[^/]+\.invalid(:[0-9]+)?\//.test(c.image ?? ''),
  );

/** The node's readiness and heartbeats, and the pods that are not ready. */
async function health() {
  const [node, lease, pods, events] = await Promise.all([
    api('GET', `/api/v1/nodes/${NODE_NAME}`),
    api(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE_NAME}`,
    ),
    api('GET', '/api/v1/pods'),
    api(
      'GET',
      '/api/v1/events?fieldSelector=reason%3DNodeNotReady%2CinvolvedObject.kind%3DNode',
    ),
  ]);
  const cond = (node.json?.status?.conditions ?? []).find(
    (c: any) => c.type === 'Ready',
  );
  const nodeReady = cond?.status === 'True';
  const leaseInfo =
    lease.status === 200
      ? `lease renewed ${age(lease.json.spec.renewTime)}`
      : 'no lease';
  const nodeLine = cond
    ? `${NODE_NAME} Ready=${cond.status}${
        nodeReady ? '' : ` (${cond.reason})`
      } since ${age(cond.lastTransitionTime)}, ` +
      `status heartbeat ${age(cond.lastHeartbeatTime)}, ${leaseInfo}`
    : `${NODE_NAME} missing or without a Ready condition`;
  let total = 0;
  const notReady: any[] = [];
  for (const pod of pods.json?.items ?? []) {
    if (
      ['Succeeded', 'Failed'].includes(pod.status?.phase) ||
      pod.metadata.deletionTimestamp
    )
      continue;
    total++;
    const ready = (pod.status?.conditions ?? []).find(
      (c: any) => c.type === 'Ready',
    );
    if (ready?.status !== 'True') notReady.push(pod);
  }
  const simulated = notReady.filter(simulatedFailure).length;
  const unexpected = notReady.length - simulated;
  const examples = unexpected
    ? `: ${notReady
        .filter(x => !simulatedFailure(x))
        .slice(0, 5)
        .map(x => `${x.metadata.namespace}/${x.metadata.name}`)
        .join(', ')}`
    : '';
  const podsLine = `${total} active, ${notReady.length} not ready (${simulated} simulated failures, ${unexpected} other)${examples}`;
  const nodeNotReadyEvents = (events.json?.items ?? []).reduce(
    (n: number, e: any) => n + (e.count ?? 1),
    0,
  );
  return { nodeReady, node: nodeLine, pods: podsLine, nodeNotReadyEvents };
}

// ---- local controllers: volume provisioner and LoadBalancer IPs ------------------------------
/**
 * Streams a watch (`?watch=1`) of a collection and hands each event to onEvent, in order.
 * Resolves with the last resourceVersion when the server ends the watch, or undefined when the
 * version is too old (410 Gone) and the caller must list again.
 */
function watchOnce(
  collection: string,
  resourceVersion: string,
  onEvent: (type: string, obj: any) => Promise<void>,
): Promise<string | undefined> {
  cachedTls ??= tlsOpts();
  return new Promise((resolve, reject) => {
    let rv: string | undefined = resourceVersion;
    let chain = Promise.resolve();
    const req = https.request(
      {
        host: '127.0.0.1',
        port: ports.apiserver,
        method: 'GET',
        ...cachedTls,
        path: `${collection}?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${resourceVersion}`,
      },
      res => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`watch ${collection}: HTTP ${res.statusCode}`));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line);
            if (ev.type === 'ERROR') {
              if (ev.object?.code === 410) rv = undefined;
              req.destroy();
              continue;
            }
            if (rv !== undefined)
              rv = ev.object?.metadata?.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK') continue;
            chain = chain
              .then(() => onEvent(ev.type, ev.object))
              .catch(e => {
                process.stderr.write(
                  `controllers: ${collection}: ${(e as Error).message}\n`,
                );
              });
          }
        });
        res.on('error', () => undefined);
        res.on('close', () => chain.then(() => resolve(rv)));
      },
    );
    req.on('error', e => (rv === undefined ? resolve(undefined) : reject(e)));
    req.end();
  });
}

/** List, then watch, forever: every object is handed to onEvent as soon as it changes. */
async function informer(
  collection: string,
  onEvent: (type: string, obj: any) => Promise<void>,
) {
  for (;;) {
    try {
      const list = await api('GET', collection);
      if (list.status !== 200)
        throw new Error(`list ${collection}: HTTP ${list.status}`);
      for (const item of list.json.items ?? []) await onEvent('ADDED', item);
      let rv: string | undefined = list.json.metadata.resourceVersion;
      while (rv !== undefined) rv = await watchOnce(collection, rv, onEvent);
    } catch (e) {
      process.stderr.write(`controllers: ${(e as Error).message}\n`);
      await sleep(1000);
    }
  }
}

async function controllers() {
  const volRoot = p('volumes');
  fs.mkdirSync(volRoot, { recursive: true });

  // Volume provisioner: a PV for every Pending claim of our StorageClass the moment the claim is
  // created (a watch, not a poll), so the PV controller binds it before the scheduler looks at
  // the pod; the PV is deleted when its claim goes away.
  const onClaim = async (type: string, c: any) => {
    if (type === 'DELETED') return;
    const ann = c.metadata.annotations ?? {};
    const want =
      ann['volume.kubernetes.io/storage-provisioner'] ??
      ann['volume.beta.kubernetes.io/storage-provisioner'];
    if (
      want !== PROVISIONER ||
      c.spec.volumeName ||
      c.status?.phase !== 'Pending' ||
      c.metadata.deletionTimestamp
    )
      return;
    const name = `pvc-${c.metadata.uid}`;
    const dir = path.join(volRoot, name);
    fs.mkdirSync(dir, { recursive: true });
    const r = await api('POST', '/api/v1/persistentvolumes', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name,
        annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER },
      },
      spec: {
        capacity: { storage: c.spec.resources?.requests?.storage ?? '1Gi' },
        accessModes: c.spec.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: c.spec.storageClassName,
        volumeMode: c.spec.volumeMode ?? 'Filesystem',
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: c.metadata.namespace,
          name: c.metadata.name,
          uid: c.metadata.uid,
        },
      },
    });
    if (r.status !== 201 && r.status !== 409)
      throw new Error(
        `creating PV ${name}: HTTP ${r.status} ${JSON.stringify(r.json)}`,
      );
    // Bind the claim to it at once, as the PV controller would (it finishes the phases): under
    // load the PV controller binds only after the scheduler has already tried the pod and
    // backed off (FailedScheduling "pod has unbound immediate PersistentVolumeClaims").
    const b = await api(
      'PATCH',
      `/api/v1/namespaces/${c.metadata.namespace}/persistentvolumeclaims/${c.metadata.name}`,
      {
        metadata: {
          resourceVersion: c.metadata.resourceVersion,
          annotations: {
            'pv.kubernetes.io/bind-completed': 'yes',
            'pv.kubernetes.io/bound-by-controller': 'yes',
          },
        },
        spec: { volumeName: name },
      },
      'application/merge-patch+json',
    );
    // 409: the claim changed meanwhile (the PV controller bound it first); its next event decides
    if (![200, 404, 409].includes(b.status))
      throw new Error(`binding PVC ${c.metadata.name}: HTTP ${b.status}`);
  };
  const onVolume = async (type: string, v: any) => {
    const ours =
      v.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] ===
      PROVISIONER;
    if (!ours) return;
    if (type === 'DELETED') {
      fs.rmSync(path.join(volRoot, v.metadata.name), {
        recursive: true,
        force: true,
      });
      return;
    }
    if (
      ['Released', 'Failed'].includes(v.status?.phase) &&
      v.spec.persistentVolumeReclaimPolicy === 'Delete' &&
      !v.metadata.deletionTimestamp
    ) {
      const r = await api(
        'DELETE',
        `/api/v1/persistentvolumes/${v.metadata.name}`,
      );
      if (r.status !== 200 && r.status !== 202 && r.status !== 404)
        throw new Error(`deleting PV ${v.metadata.name}: HTTP ${r.status}`);
      fs.rmSync(path.join(volRoot, v.metadata.name), {
        recursive: true,
        force: true,
      });
    }
  };

  // LoadBalancer IPs from 192.0.2.0/24, one per LoadBalancer service.
  const lbByService = new Map<string, string>();
  const onService = async (type: string, s: any) => {
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    if (type === 'DELETED') {
      lbByService.delete(key);
      return;
    }
    const have = s.status?.loadBalancer?.ingress?.[0]?.ip;
    if (have) {
      lbByService.set(key, have);
      return;
    }
    if (s.spec.type !== 'LoadBalancer') return;
    const used = new Set(lbByService.values());
    let n = 1;
    while (used.has(`${LB_PREFIX}${n}`) && n < 254) n++;
    const ip = `${LB_PREFIX}${n}`;
    lbByService.set(key, ip);
    await api(
      'PATCH',
      `/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}/status`,
      { status: { loadBalancer: { ingress: [{ ip }] } } },
      'application/merge-patch+json',
    );
  };

  await Promise.all([
    informer('/api/v1/persistentvolumeclaims', onClaim),
    informer('/api/v1/persistentvolumes', onVolume),
    informer('/api/v1/services', onService),
  ]);
}

// ---- main -----------------------------------------------------------------------------------
const cmd = process.argv[2];
const usage = 'usage: yarn cluster up | down | status | env';
try {
  switch (cmd) {
    case 'up':
      await up();
      break;
    case 'down':
      await down();
      break;
    case 'status':
      await status();
      break;
    case 'env':
      console.log(`KUBECONFIG=${p('kubeconfig')}`);
      break;
    case 'controllers':
      await controllers();
      break;
    default:
      console.error(usage);
      process.exitCode = 2;
  }
} catch (e) {
  if (e instanceof ClusterError) {
    console.error(`[cluster] ERROR: ${e.message}`);
    process.exitCode = 1;
  } else throw e;
}
