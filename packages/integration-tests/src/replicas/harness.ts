/*
 * Harness of the replicas test: a PostgreSQL both replicas share, the recording helm wrapper,
 * replicas of the real dev-sessions backend as separate process groups, and a REST client
 * that calls them as a service (a static external-access token).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chartDir, ClusterEnv, repoRoot } from '../index';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** This folder (the helpers run from source, never from a build). */
const here = path.join(
  repoRoot,
  'packages',
  'integration-tests',
  'src',
  'replicas',
);

/** A PostgreSQL server for the replicas. */
export interface SharedPostgres {
  connectionString: string;
  /** true when this harness started it (and stops it) */
  own: boolean;
  stop(): Promise<void>;
}

/**
 * The PostgreSQL of `./dev test` (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING) when
 * set; otherwise a private one from scripts/postgres.ts on `port`, run by a small Node child
 * that stops it when told to or when the test process goes away (its stdin closes).
 */
export async function sharedPostgres(port = 55442): Promise<SharedPostgres> {
  const given =
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
  if (given)
    return { connectionString: given, own: false, stop: async () => {} };
  const script = [
    `const { startPostgres } = await import(${JSON.stringify(
      pathToFileURL(path.join(repoRoot, 'scripts', 'postgres.ts')).href,
    )});`,
    `const pg = startPostgres(${port});`,
    `process.stdout.write(JSON.stringify({ connectionString: pg.connectionString }) + '\\n');`,
    `let done = false;`,
    `const stop = () => { if (done) return; done = true; try { pg.stop(); } finally { process.exit(0); } };`,
    `process.stdin.on('end', stop); process.stdin.on('close', stop); process.stdin.resume();`,
    `process.on('SIGTERM', stop); process.on('SIGINT', stop);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', d => (err += d));
  const connectionString = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', d => {
      out += d;
      const line = out.split('\n').find(l => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).connectionString);
    });
    child.on('exit', code =>
      reject(new Error(`PostgreSQL did not start (${code}): ${err}`)),
    );
  });
  return {
    connectionString,
    own: true,
    stop: () =>
      new Promise<void>(resolve => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Files of one test run: the wrapper, its log and control file, configs, replica logs. */
export interface RunDir {
  dir: string;
  helmWrapper: string;
  helmLog: string;
  helmControl: string;
  /** sets what the wrapper does before spawning helm (see helm-wrapper.cjs) */
  control(c: { sleepMs?: Record<string, number>; namespaces?: string[] }): void;
}

/** Makes the run directory and an executable copy of the wrapper run by this Node. */
export function prepareRunDir(dir: string): RunDir {
  fs.mkdirSync(dir, { recursive: true });
  const helmWrapper = path.join(dir, 'helm');
  const source = fs
    .readFileSync(path.join(here, 'helm-wrapper.cjs'), 'utf8')
    .replace(/^#!.*\n/, '');
  fs.writeFileSync(helmWrapper, `#!${process.execPath}\n${source}`, {
    mode: 0o755,
  });
  const helmControl = path.join(dir, 'helm-control.json');
  fs.writeFileSync(helmControl, '{}');
  return {
    dir,
    helmWrapper,
    helmLog: path.join(dir, 'helm.jsonl'),
    helmControl,
    control: c => fs.writeFileSync(helmControl, JSON.stringify(c)),
  };
}

export interface ReplicaOptions {
  id: string;
  run: RunDir;
  cluster: ClusterEnv;
  postgres: string;
  /** backend.database.prefix shared by the replicas: the plugin's database is `${prefix}dev-sessions` */
  databasePrefix: string;
  token: string;
  leaseSeconds: number;
  pollIntervalSeconds: number;
  helmTimeoutSeconds?: number;
}

/** A running replica: one backend process group. */
export class Replica {
  killedAt?: number;
  private exited: Promise<void>;

  private constructor(
    readonly id: string,
    readonly baseUrl: string,
    readonly proc: ChildProcess,
    readonly logFile: string,
    readonly token: string,
  ) {
    this.exited = new Promise(r => {
      if (proc.exitCode !== null || proc.signalCode !== null) r();
      else proc.once('exit', () => r());
    });
  }

  static async start(o: ReplicaOptions): Promise<Replica> {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const config = {
      app: { baseUrl },
      backend: {
        baseUrl,
        listen: { port, host: '127.0.0.1' },
        database: {
          client: 'pg',
          connection: o.postgres,
          prefix: o.databasePrefix,
        },
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: o.token, subject: 'replicas-test' },
            },
          ],
        },
      },
      permission: { enabled: false },
      devSessions: {
        chart: { path: chartDir },
        helm: {
          binary: o.run.helmWrapper,
          timeoutSeconds: o.helmTimeoutSeconds ?? 120,
        },
        cluster: { kubeconfig: o.cluster.kubeconfig },
        gateway: { listen: { port: 0 } },
        jobs: {
          replicaId: o.id,
          leaseSeconds: o.leaseSeconds,
          pollIntervalSeconds: o.pollIntervalSeconds,
        },
        reconcile: { intervalSeconds: 3600 },
      },
    };
    // JSON is YAML: the config loader reads it as a config file
    const configFile = path.join(o.run.dir, `replica-${o.id}.config.yaml`);
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const logFile = path.join(o.run.dir, `replica-${o.id}.log`);
    const log = fs.openSync(logFile, 'a');

    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      // not a Jest worker: the replica is a plain backend process
      if (!k.startsWith('JEST_')) env[k] = v;
    }
    Object.assign(env, {
      NODE_ENV: 'development',
      KUBECONFIG: o.cluster.kubeconfig,
      HELM_WRAPPER_REAL: o.cluster.helm,
      HELM_WRAPPER_LOG: o.run.helmLog,
      HELM_WRAPPER_CONTROL: o.run.helmControl,
      HELM_WRAPPER_REPLICA: o.id,
    });
    const proc = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        path.join(
          repoRoot,
          'plugins',
          'dev-sessions-backend',
          'dev',
          'replica.ts',
        ),
        '--config',
        configFile,
      ],
      {
        cwd: repoRoot,
        env,
        // its own process group: killing -pid takes the backend and its helm children down
        detached: true,
        stdio: ['ignore', log, log],
      },
    );
    fs.closeSync(log);
    const replica = new Replica(o.id, baseUrl, proc, logFile, o.token);
    try {
      await replica.waitHealthy(180_000);
    } catch (e) {
      await replica.stop(0); // never leave a half-started replica behind
      throw e;
    }
    return replica;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last lines of the replica's log, for failure messages. */
  logTail(lines = 40): string {
    try {
      return fs
        .readFileSync(this.logFile, 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '';
    }
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive)
        throw new Error(
          `replica ${this.id} exited (${
            this.proc.exitCode ?? this.proc.signalCode
          }):\n${this.logTail()}`,
        );
      try {
        const r = await fetch(`${this.baseUrl}/api/dev-sessions/health`);
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(500);
    }
    throw new Error(
      `replica ${
        this.id
      } not healthy after ${timeoutMs} ms:\n${this.logTail()}`,
    );
  }

  /** Kills the whole process group at once, as when a pod dies; resolves when it is gone. */
  async kill(): Promise<number> {
    process.kill(-this.pid, 'SIGKILL');
    this.killedAt = Date.now();
    await this.exited;
    return this.killedAt;
  }

  /** SIGTERM to the group, SIGKILL after graceMs. */
  async stop(graceMs = 15_000): Promise<void> {
    const killGroup = () => {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    if (this.alive) {
      try {
        process.kill(-this.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const timer = new Promise<'timeout'>(r =>
        setTimeout(() => r('timeout'), graceMs).unref(),
      );
      if ((await Promise.race([this.exited, timer])) === 'timeout') killGroup();
      await this.exited;
    }
    // helm children the backend left behind in its group
    killGroup();
  }

  /** A REST call to /api/dev-sessions as the test's service identity. */
  async api(
    method: string,
    p: string,
    body?: object,
  ): Promise<{ status: number; body: any }> {
    const r = await fetch(`${this.baseUrl}/api/dev-sessions${p}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        'content-type': 'application/json',
      },
      body: body && JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed };
  }
}

/** A random token for backend.auth.externalAccess (static). */
export function randomToken(): string {
  return `replicas-${randomBytes(24).toString('hex')}`;
}

/** A random database prefix, so runs on a shared PostgreSQL never meet. */
export function randomDatabasePrefix(): string {
  return `replicas_${randomBytes(4).toString('hex')}_`;
}
