/*
 * The `cluster` tool itself (scripts/cluster/cluster.ts), on a second cluster with its own state
 * directory and ports so it never disturbs the cluster the other suites use.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterEnv, repoRoot, run } from '../index';

jest.setTimeout(240_000);

const tool = path.join(repoRoot, 'scripts', 'cluster', 'cluster.ts');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-tool-'));
const env = {
  DEV_SESSIONS_CLUSTER_DIR: stateDir,
  DEV_SESSIONS_CLUSTER_PORT_OFFSET: '200',
};
const cluster = (...args: string[]) =>
  run(process.execPath, [tool, ...args], { env, timeoutMs: 180_000 });

function pids(): Record<string, number> {
  return JSON.parse(fs.readFileSync(path.join(stateDir, 'pids.json'), 'utf8'));
}
/** Running (a zombie, exited but not yet reaped by its new parent, does not count). */
function alive(pid: number) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

afterAll(async () => {
  await cluster('down');
});

describe('cluster tool', () => {
  it('env prints the KUBECONFIG line', async () => {
    const r = await cluster('env');
    expect(r.stdout.trim()).toBe(
      `KUBECONFIG=${path.join(stateDir, 'kubeconfig')}`,
    );
  });

  it('up starts every component, status reports them, a second up is a no-op', async () => {
    const first = await cluster('up');
    expect(first.stderr).not.toContain('ERROR');
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(
      `KUBECONFIG=${path.join(stateDir, 'kubeconfig')}`,
    );

    const status = await cluster('status');
    expect(status.code).toBe(0);
    for (const c of [
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
      'local-controllers',
    ]) {
      expect(status.stdout).toMatch(new RegExp(`${c}\\s+running pid=\\d+`));
    }
    expect(status.stdout).toMatch(/api\s+ready https:\/\/127\.0\.0\.1:36643/);
    expect(status.stdout).toMatch(
      /node\s+kwok-node-0 Ready=True since \d+s ago, status heartbeat \d+s ago, lease renewed \d+s ago/,
    );
    expect(status.stdout).toMatch(/pods\s+\d+ active, 0 not ready/);
    expect(status.stdout).toMatch(/node NotReady events\s+0 in the last hour/);

    const before = pids();
    const again = await cluster('up');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already up');
    expect(pids()).toEqual(before);
  });

  it('up recovers from a crashed earlier run', async () => {
    const before = pids();
    process.kill(before['kube-apiserver'], 'SIGKILL');
    await new Promise(r => setTimeout(r, 500));
    const down = await cluster('status');
    expect(down.code).not.toBe(0);
    expect(down.stdout).toMatch(/kube-apiserver\s+not running/);

    const r = await cluster('up');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('crashed earlier run');
    const after = pids();
    expect(after['kube-apiserver']).not.toBe(before['kube-apiserver']);
    expect((await cluster('status')).code).toBe(0);
  });

  it('fails clearly when a port is taken', async () => {
    const otherDir = fs.mkdtempSync(
      path.join(os.tmpdir(), 'cluster-tool-port-'),
    );
    const blocker = net.createServer();
    await new Promise<void>(r =>
      blocker.listen(36443 + 300, '127.0.0.1', () => r()),
    );
    try {
      const r = await run(process.execPath, [tool, 'up'], {
        env: {
          DEV_SESSIONS_CLUSTER_DIR: otherDir,
          DEV_SESSIONS_CLUSTER_PORT_OFFSET: '300',
        },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'port 36743 (apiserver) on 127.0.0.1 is taken',
      );
    } finally {
      blocker.close();
      await run(process.execPath, [tool, 'down'], {
        env: { DEV_SESSIONS_CLUSTER_DIR: otherDir },
      });
    }
  });

  it('down stops only its own processes and removes the state', async () => {
    const before = pids();
    const r = await cluster('down');
    expect(r.code).toBe(0);
    for (const pid of Object.values(before)) expect(alive(pid)).toBe(false);
    expect(fs.existsSync(stateDir)).toBe(false);
    // the main test cluster (another state dir; status finds its ports there) is untouched
    const mainDir = path.dirname(clusterEnv().kubeconfig);
    const main = await run(process.execPath, [tool, 'status'], {
      env: { DEV_SESSIONS_CLUSTER_DIR: mainDir },
    });
    expect(main.code).toBe(0);
  });
});
