/*
 * Soak test of the local cluster (`./dev soak`): creates and deletes dev sessions the way the
 * backend does (namespace with the Pod Security `restricted` label, then
 * `helm upgrade --install --atomic --wait` of charts/dev-session, then `helm uninstall` and the
 * namespace deleted), first one at a time and then 16 at once, round after round until both the
 * number of creates and the minimum duration are reached. Two long-lived "canary" sessions stay
 * up for the whole run. It prints the create time distribution, the failures, the pods that are
 * not ready and how often the node went NotReady, and exits non-zero unless all three are 0.
 *
 *   node scripts/soak.ts [--creates 500] [--minutes 20] [--concurrency 16] [--sequential 20]
 *                        [--baseline 5] [--timeout 120] [--json out.json]
 *
 * --sequential N: creates per sequential phase (then one concurrent phase of 4 x concurrency
 * creates, and again). --baseline N: N sequential plain chart installs (no backend) before the
 * run, the "bare Helm" cost a create is compared with. --canaries N: sessions kept up for the
 * whole run (default 2). --own-pods: count only this run's pods as not ready (for a cluster that
 * other tests share). --stop-on-failure: stop after the round with the first failure. Uses KUBECONFIG, else
 * DEV_SESSIONS_TEST_KUBECONFIG, else the local cluster (started if needed); helm and kubectl from
 * DEV_SESSIONS_HELM / DEV_SESSIONS_KUBECTL, else the repository's own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureHelmAndKubectl } from './cluster/tools.ts';

const root = path.resolve(import.meta.dirname, '..');
const chart = path.join(root, 'charts', 'dev-session');

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a number`);
  return v;
}
const opts = {
  creates: option('creates', 500),
  minutes: option('minutes', 20),
  concurrency: option('concurrency', 16),
  sequential: option('sequential', 20),
  baseline: option('baseline', 5),
  timeout: option('timeout', 120),
  canaries: option('canaries', 2),
};
const jsonOut = process.argv.includes('--json')
  ? process.argv[process.argv.indexOf('--json') + 1]
  : undefined;
const log = (m: string) => process.stderr.write(`[soak] ${m}\n`);

// ---- cluster and tools ----------------------------------------------------------------------
function kubeconfig(): string {
  const k = process.env.KUBECONFIG ?? process.env.DEV_SESSIONS_TEST_KUBECONFIG;
  if (k) return k;
  log('no KUBECONFIG: using the local cluster (./dev cluster up)');
  const up = spawnSync(
    process.execPath,
    [path.join(root, 'scripts/cluster/cluster.ts'), 'up'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    },
  );
  if (up.status !== 0) throw new Error('the local cluster did not start');
  return up.stdout
    .trim()
    .split('\n')
    .pop()!
    .replace(/^KUBECONFIG=/, '');
}
const KUBECONFIG = kubeconfig();
let helmBin = process.env.DEV_SESSIONS_HELM;
let kubectlBin = process.env.DEV_SESSIONS_KUBECTL;
if (!helmBin || !kubectlBin) {
  const dir = ensureHelmAndKubectl();
  helmBin ??= path.join(dir, 'helm');
  kubectlBin ??= path.join(dir, 'kubectl');
}

type Result = { code: number; stdout: string; stderr: string };
function run(
  file: string,
  args: string[],
  input?: string,
  timeoutMs = 300_000,
): Promise<Result> {
  return new Promise(resolve => {
    const child = spawn(file, args, {
      env: { ...process.env, KUBECONFIG },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}
const kubectl = (args: string[], input?: string) =>
  run(kubectlBin!, args, input);
const helm = (args: string[]) =>
  run(helmBin!, args, undefined, (opts.timeout + 60) * 1000);

// ---- one session ----------------------------------------------------------------------------
const runId = `soak-${Date.now().toString(36)}`;
const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

async function create(
  uuid: string,
  extra: string[] = [],
): Promise<{ ms: number; error?: string }> {
  const t0 = performance.now();
  const ns = await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: uuid,
        labels: {
          'app.kubernetes.io/managed-by': 'backstage-dev-sessions',
          'dev-sessions.io/project-uuid': uuid,
          'dev-sessions.io/soak': runId,
          'pod-security.kubernetes.io/enforce': 'restricted',
        },
      },
    }),
  );
  if (ns.code !== 0)
    return {
      ms: performance.now() - t0,
      error: `namespace: ${lastLine(ns.stderr)}`,
    };
  const r = await helm([
    'upgrade',
    '--install',
    'dev-session',
    chart,
    '-n',
    uuid,
    '--atomic',
    '--wait',
    '--timeout',
    `${opts.timeout}s`,
    '--set',
    `project.uuid=${uuid}`,
    '--set',
    'size=small',
    ...extra,
  ]);
  const ms = performance.now() - t0;
  return r.code === 0 ? { ms } : { ms, error: lastLine(r.stderr) };
}

async function remove(uuid: string): Promise<string | undefined> {
  const r = await helm([
    'uninstall',
    'dev-session',
    '-n',
    uuid,
    '--wait',
    '--timeout',
    `${opts.timeout}s`,
  ]);
  const d = await kubectl(['delete', 'namespace', uuid, '--wait=false']);
  // a failed --atomic install has already uninstalled itself (deleting is idempotent)
  if (r.code !== 0 && !/release: not found/.test(r.stderr))
    return `uninstall: ${lastLine(r.stderr)}`;
  if (d.code !== 0) return `delete namespace: ${lastLine(d.stderr)}`;
  return undefined;
}

// ---- watching the node ----------------------------------------------------------------------
let nodeNotReadyTransitions = 0;
const nodeReady = new Map<string, string>();
const nodeWatch = spawn(
  kubectlBin!,
  [
    'get',
    'nodes',
    '--watch',
    '-o',
    'jsonpath={.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}',
  ],
  { env: { ...process.env, KUBECONFIG }, stdio: ['ignore', 'pipe', 'inherit'] },
);
let nodeBuf = '';
nodeWatch.stdout.on('data', d => {
  nodeBuf += d;
  for (let nl = nodeBuf.indexOf('\n'); nl >= 0; nl = nodeBuf.indexOf('\n')) {
    const [name, status] = nodeBuf.slice(0, nl).trim().split(' ');
    nodeBuf = nodeBuf.slice(nl + 1);
    if (!name) continue;
    if (nodeReady.get(name) === 'True' && status !== 'True') {
      nodeNotReadyTransitions++;
      log(`node ${name} is now Ready=${status}`);
    }
    nodeReady.set(name, status);
  }
});

// FailedScheduling events (for example "pod has unbound immediate PersistentVolumeClaims"): the
// session namespaces are deleted, so count them as they happen
let failedScheduling = 0;
const eventWatch = spawn(
  kubectlBin!,
  [
    'get',
    'events',
    '-A',
    '--watch-only',
    '--field-selector',
    'reason=FailedScheduling',
    '-o',
    'jsonpath={.message}{"\\n"}',
  ],
  { env: { ...process.env, KUBECONFIG }, stdio: ['ignore', 'pipe', 'inherit'] },
);
eventWatch.stdout.on(
  'data',
  d => (failedScheduling += String(d).split('\n').filter(Boolean).length),
);

async function nodeNotReadyEvents(
  since: number,
): Promise<{ node: number; pods: number }> {
  const r = await kubectl([
    'get',
    'events',
    '-A',
    '--field-selector',
    'reason=NodeNotReady',
    '-o',
    'json',
  ]);
  const items = r.code === 0 ? JSON.parse(r.stdout).items : [];
  const recent = items.filter(
    (e: any) =>
      Date.parse(
        e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp,
      ) >=
      since - 1000,
  );
  const count = (kind: string) =>
    recent
      .filter((e: any) => e.involvedObject.kind === kind)
      .reduce((n: number, e: any) => n + (e.count ?? 1), 0);
  return { node: count('Node'), pods: count('Pod') };
}

/** The namespaces of this run's sessions (labelled with its run id), those being deleted too. */
async function runNamespaces(): Promise<string[]> {
  const r = await kubectl([
    'get',
    'namespaces',
    '-l',
    `dev-sessions.io/soak=${runId}`,
    '-o',
    'name',
  ]);
  const out = r.stdout.trim();
  return out ? out.split('\n').map(x => x.replace(/^namespace\//, '')) : [];
}

/**
 * Pods that should be ready and are not (simulated failures, finished and terminating pods, and
 * pods younger than 30 s excluded): of the whole cluster, or with --own-pods only of this run's
 * sessions (when other tests share the cluster).
 */
async function podsNotReady(): Promise<string[]> {
  const own = process.argv.includes('--own-pods');
  const r = await kubectl(['get', 'pods', '-A', '-o', 'json']);
  if (r.code !== 0) return [`kubectl get pods: ${lastLine(r.stderr)}`];
  const mine = own ? new Set(await runNamespaces()) : undefined;
  return JSON.parse(r.stdout)
    .items.filter((p: any) => {
      if (mine && !mine.has(p.metadata.namespace)) return false;
      if (
        p.metadata.deletionTimestamp ||
        ['Succeeded', 'Failed'].includes(p.status?.phase)
      )
        return false;
      if (p.metadata.annotations?.['sim.dev-sessions.io/fail'] !== undefined)
        return false;
      if (
        p.spec.containers.some((c: any) =>
          /^[^/]+\.invalid(:[0-9]+)?\//.test(c.image),
        )
      )
        return false;
      // a pod created a moment ago may not be ready yet
      if (Date.now() - Date.parse(p.metadata.creationTimestamp) < 30_000)
        return false;
      return (
        p.status?.conditions?.find((c: any) => c.type === 'Ready')?.status !==
        'True'
      );
    })
    .map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`);
}

// ---- the run --------------------------------------------------------------------------------
const pct = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((q / 100) * s.length) - 1)];
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
type Phase = 'sequential' | 'concurrent';
const samples: { phase: Phase; ms: number }[] = [];
const failures: string[] = [];
const deleteFailures: string[] = [];
let sessions = 0;

async function session(kind: Phase) {
  const uuid = randomUUID();
  const c = await create(uuid);
  sessions++;
  if (c.error) failures.push(`${uuid}: ${c.error}`);
  else samples.push({ phase: kind, ms: c.ms });
  const d = await remove(uuid);
  if (d) deleteFailures.push(`${uuid}: ${d}`);
}

/** Full rounds once the number of creates is reached and only the minimum duration is left. */
const createsLeft = () =>
  sessions >= opts.creates ? Infinity : opts.creates - sessions;

async function phase(kind: Phase, n: number, width: number) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await session(kind);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

// every 15 s: pods that stay not ready although nothing fails in them
const notReadySeen = new Set<string>();
const sampler = setInterval(() => {
  podsNotReady().then(
    names => {
      for (const n of names) {
        if (!notReadySeen.has(n)) log(`pod not ready for more than 30 s: ${n}`);
        notReadySeen.add(n);
      }
    },
    () => undefined,
  );
}, 15_000);

const started = Date.now();
const bare: number[] = [];
let ok = false;
const canaries: string[] = [];
try {
  if (opts.baseline > 0) {
    log(`baseline: ${opts.baseline} bare helm installs of the chart`);
    for (let i = 0; i < opts.baseline; i++) {
      const uuid = randomUUID();
      const c = await create(uuid, []);
      if (c.error) failures.push(`baseline ${uuid}: ${c.error}`);
      else bare.push(c.ms);
      await remove(uuid);
    }
  }
  for (let i = 0; i < opts.canaries; i++) {
    const uuid = randomUUID();
    const c = await create(uuid);
    if (c.error) failures.push(`canary ${uuid}: ${c.error}`);
    canaries.push(uuid);
  }
  const deadline = started + opts.minutes * 60_000;
  let round = 0;
  while (sessions < opts.creates || Date.now() < deadline) {
    round++;
    const seq = Math.min(opts.sequential, createsLeft());
    log(
      `round ${round}: ${seq} sequential creates (${sessions} so far, ${sec(
        Date.now() - started,
      )} elapsed)`,
    );
    await phase('sequential', seq, 1);
    const conc = Math.min(opts.concurrency * 4, createsLeft());
    if (conc > 0 && opts.concurrency > 0) {
      log(`round ${round}: ${conc} creates, ${opts.concurrency} at a time`);
      await phase('concurrent', conc, opts.concurrency);
    }
    if (failures.length > 0 && process.argv.includes('--stop-on-failure'))
      break;
  }
  ok = true;
} finally {
  const notReady = await podsNotReady();
  const events = await nodeNotReadyEvents(started);
  for (const uuid of canaries) await remove(uuid);
  nodeWatch.kill();
  eventWatch.kill();
  clearInterval(sampler);
  // the namespaces go away (finalized by the controller manager) within a minute
  let left = -1;
  for (let i = 0; i < 120 && left !== 0; i++) {
    left = (await runNamespaces()).length;
    if (left) await new Promise(res => setTimeout(res, 1000));
  }
  const all = samples.map(s => s.ms);
  const dist = (xs: number[]) =>
    `n=${xs.length} p50=${sec(pct(xs, 50))} p90=${sec(pct(xs, 90))} p99=${sec(
      pct(xs, 99),
    )} max=${sec(Math.max(...xs))}`;
  const seqMs = samples.filter(s => s.phase === 'sequential').map(s => s.ms);
  const concMs = samples.filter(s => s.phase === 'concurrent').map(s => s.ms);
  const summary = {
    creates: sessions,
    failures: failures.length,
    deleteFailures: deleteFailures.length,
    podsNotReady: notReady.length,
    podsNotReadySeen: notReadySeen.size,
    nodeNotReady: Math.max(nodeNotReadyTransitions, events.node),
    nodeNotReadyEvents: events.node,
    podNodeNotReadyEvents: events.pods,
    namespacesLeft: left,
    failedScheduling,
    minutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
    createSeconds: {
      all: {
        p50: pct(all, 50) / 1000,
        p90: pct(all, 90) / 1000,
        p99: pct(all, 99) / 1000,
        max: Math.max(...all) / 1000,
      },
      sequentialP50: pct(seqMs, 50) / 1000,
      concurrentP50: pct(concMs, 50) / 1000,
      bareP50: pct(bare, 50) / 1000,
    },
    ratioToBare: Number((pct(seqMs, 50) / pct(bare, 50)).toFixed(2)),
    failureMessages: [...failures, ...deleteFailures].slice(0, 20),
    podsNotReadyNames: notReady.slice(0, 20),
  };
  console.log(`soak ${runId} on ${KUBECONFIG}: ${summary.minutes} min`);
  console.log(
    `  creates ${sessions}, failed ${failures.length}, delete failures ${deleteFailures.length}, namespaces left ${left}`,
  );
  console.log(`  create time, all:        ${dist(all)}`);
  console.log(`  create time, sequential: ${dist(seqMs)}`);
  console.log(`  create time, ${opts.concurrency}-way:    ${dist(concMs)}`);
  if (bare.length)
    console.log(
      `  bare helm install: ${dist(bare)}; sequential create / bare = ${
        summary.ratioToBare
      }`,
    );
  console.log(
    `  pods not ready at the end: ${notReady.length}${
      notReady.length ? ` (${notReady.slice(0, 5).join(', ')})` : ''
    }; seen not ready > 30 s during the run: ${notReadySeen.size}`,
  );
  console.log(
    `  node NotReady: ${summary.nodeNotReady} (watch transitions ${nodeNotReadyTransitions}, node events ${events.node}, pod NodeNotReady events ${events.pods})`,
  );
  console.log(`  FailedScheduling events: ${failedScheduling}`);
  for (const f of summary.failureMessages) console.log(`  failure: ${f}`);
  if (jsonOut)
    fs.writeFileSync(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
  const pass =
    ok &&
    failures.length === 0 &&
    deleteFailures.length === 0 &&
    notReady.length === 0 &&
    summary.nodeNotReady === 0;
  console.log(pass ? 'PASS' : 'FAIL');
  process.exitCode = pass ? 0 : 1;
}
