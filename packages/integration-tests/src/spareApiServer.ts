/*
 * A second kube-apiserver of the local cluster: the same etcd, certificates and flags as the one
 * `./dev cluster up` started, on a port of its own. A test may stop and start it (a real API
 * server restart for its clients) without disturbing the tests that use the main one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterEnv, run } from './index';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The running kube-apiserver's binary and flags, from the local cluster's pids.json. */
function mainApiServer(kubeconfig: string): string[] {
  const pidsFile = path.join(path.dirname(kubeconfig), 'pids.json');
  if (!fs.existsSync(pidsFile))
    throw new Error(
      `${pidsFile} not found: a spare API server needs the local cluster (./dev cluster up)`,
    );
  const pid = JSON.parse(fs.readFileSync(pidsFile, 'utf8'))['kube-apiserver'];
  const argv = fs
    .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter(Boolean);
  if (!argv.some(a => a.startsWith('--secure-port=')))
    throw new Error(`process ${pid} is not the local cluster's kube-apiserver`);
  return argv;
}

/** @public */
export class SpareApiServer {
  private child: ChildProcess | undefined;

  private constructor(
    private readonly argv: string[],
    readonly port: number,
    /** A kubeconfig like the tests' one, pointing at this API server. */
    readonly kubeconfig: string,
    private readonly logFile: string,
  ) {}

  /** Starts one and waits until it is ready. */
  static async start(): Promise<SpareApiServer> {
    const env = clusterEnv();
    const port = await freePort();
    const argv = mainApiServer(env.kubeconfig).map(a =>
      a.startsWith('--secure-port=') ? `--secure-port=${port}` : a,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spare-apiserver-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      kubeconfig,
      fs
        .readFileSync(env.kubeconfig, 'utf8')
        .replace(
          /server: https:\/\/127\.0\.0\.1:\d+/g,
          `server: https://127.0.0.1:${port}`,
        ),
      { mode: 0o600 },
    );
    const spare = new SpareApiServer(
      argv,
      port,
      kubeconfig,
      path.join(dir, 'kube-apiserver.log'),
    );
    await spare.startAgain();
    return spare;
  }

  /** Starts the process again (after stop) and waits for /readyz. */
  async startAgain(timeoutMs = 90_000): Promise<void> {
    if (this.child) throw new Error('the spare API server is running');
    const out = fs.openSync(this.logFile, 'a');
    this.child = spawn(this.argv[0], this.argv.slice(1), {
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null)
        throw new Error(
          `the spare API server exited (${this.child.exitCode}); see ${this.logFile}`,
        );
      const r = await run(
        clusterEnv().kubectl,
        ['--request-timeout=2s', 'get', '--raw', '/readyz'],
        { env: { KUBECONFIG: this.kubeconfig } },
      );
      if (r.code === 0 && r.stdout.trim() === 'ok') return;
      if (Date.now() > deadline)
        throw new Error(
          `the spare API server was not ready in ${timeoutMs} ms; see ${this.logFile}`,
        );
      await new Promise(res => setTimeout(res, 250));
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and waits until it exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise(res => child.once('exit', res));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
