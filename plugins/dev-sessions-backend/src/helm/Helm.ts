import execa from 'execa';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the chart comes from. */
export type ChartSource =
  | { kind: 'path'; path: string }
  | { kind: 'ref'; ref: string; repository?: string; version?: string };

/** An error from a helm run, carrying helm's own message. */
export class HelmError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'HelmError';
  }
}

/** A release of a chart with values, as `helm upgrade --install` and `helm template` take it. */
export interface ReleaseSpec {
  release: string;
  namespace: string;
  chart: ChartSource;
  values: object;
}

export interface HelmOptions {
  binary: string;
  /** kubeconfig file helm talks to the cluster with. */
  kubeconfigPath: () => string;
  /** Context of that file to use (HELM_KUBECONTEXT); absent: the file's current context. */
  kubeContext?: () => string | undefined;
}

/**
 * Runs the real helm binary. Arguments are always an array (never a shell string) and values
 * always go through a temporary file (`-f`), never `--set`, so no user string is interpreted.
 */
export class Helm {
  constructor(private readonly opts: HelmOptions) {}

  private async run(args: string[], timeoutMs: number, signal?: AbortSignal) {
    const child = execa(this.opts.binary, args, {
      env: {
        KUBECONFIG: this.opts.kubeconfigPath(),
        HELM_NO_PLUGINS: '1',
        ...(this.opts.kubeContext?.()
          ? { HELM_KUBECONTEXT: this.opts.kubeContext() }
          : {}),
      },
      extendEnv: true,
      timeout: timeoutMs,
      reject: false,
    });
    // a job that lost its lease stops its Helm run, so that the replica that claims the job next
    // never runs Helm on the release at the same time
    const abort = () => child.kill('SIGTERM', { forceKillAfterTimeout: 5000 });
    signal?.addEventListener('abort', abort, { once: true });
    const r = await child.finally(() =>
      signal?.removeEventListener('abort', abort),
    );
    if (r.failed || r.exitCode !== 0) {
      const stderr = (r.stderr || r.stdout || '').trim();
      let reason = `exited with ${r.exitCode}`;
      if (r.timedOut) reason = `timed out after ${timeoutMs / 1000}s`;
      else if (signal?.aborted) reason = 'was stopped: the job lost its lease';
      throw new HelmError(
        `helm ${args[0]} ${reason}: ${stderr || r.command}`,
        stderr,
        r.exitCode ?? -1,
      );
    }
    return r.stdout;
  }

  private withValuesFile<T>(
    values: object,
    fn: (file: string) => Promise<T>,
  ): Promise<T> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-session-values-'));
    const file = path.join(dir, 'values.json');
    fs.writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
    return fn(file).finally(() =>
      fs.rmSync(dir, { recursive: true, force: true }),
    );
  }

  private chartArgs(chart: ChartSource): string[] {
    if (chart.kind === 'path') return [chart.path];
    const args = [chart.ref];
    if (chart.repository) args.push('--repo', chart.repository);
    if (chart.version) args.push('--version', chart.version);
    return args;
  }

  /** The release, its chart, namespace and values file, as `upgrade --install` and `template` take them. */
  private releaseArgs(o: ReleaseSpec, valuesFile: string): string[] {
    return [
      o.release,
      ...this.chartArgs(o.chart),
      '--namespace',
      o.namespace,
      '-f',
      valuesFile,
    ];
  }

  /** `helm <sub> <release> --wait` within timeoutSeconds (given 30 s more to exit). */
  private runWaiting(
    sub: 'rollback' | 'uninstall',
    release: string,
    namespace: string,
    timeoutSeconds: number,
    signal: AbortSignal | undefined,
    extra: string[] = [],
  ) {
    return this.run(
      [
        sub,
        release,
        '--namespace',
        namespace,
        '--wait',
        '--timeout',
        `${timeoutSeconds}s`,
        ...extra,
      ],
      (timeoutSeconds + 30) * 1000,
      signal,
    );
  }

  /**
   * `helm upgrade --install --atomic --wait`: on failure Helm rolls back (or uninstalls). With
   * `wait: false`, a plain `helm upgrade --install` that returns once the objects are applied
   * (the caller waits for them itself).
   */
  async upgradeInstall(
    o: ReleaseSpec & {
      timeoutSeconds: number;
      signal?: AbortSignal;
      wait?: boolean;
    },
  ): Promise<void> {
    await this.withValuesFile(o.values, file =>
      this.run(
        [
          'upgrade',
          '--install',
          ...this.releaseArgs(o, file),
          ...(o.wait === false ? [] : ['--atomic', '--wait']),
          '--timeout',
          `${o.timeoutSeconds}s`,
          '--history-max',
          '5',
        ],
        (o.timeoutSeconds + 60) * 1000,
        o.signal,
      ),
    );
  }

  /** `helm rollback` to the previous revision, waiting for it (what --atomic does on failure). */
  async rollback(
    release: string,
    namespace: string,
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.runWaiting(
      'rollback',
      release,
      namespace,
      timeoutSeconds,
      signal,
      ['--history-max', '5'],
    );
  }

  /**
   * `helm pull --untar` of a chart reference into a new temporary directory; returns the chart's
   * directory. The backend installs exactly what it pulled (and checked) once.
   */
  async pull(chart: ChartSource & { kind: 'ref' }): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-session-chart-'));
    await this.run(
      ['pull', ...this.chartArgs(chart), '--untar', '--untardir', dir],
      120_000,
    );
    const [name] = fs.readdirSync(dir);
    if (!name)
      throw new Error(`helm pull ${chart.ref} left no chart in ${dir}`);
    return path.join(dir, name);
  }

  /** `helm template`: what would be created, without a cluster change. */
  async template(o: ReleaseSpec): Promise<string> {
    return this.withValuesFile(o.values, file =>
      this.run(['template', ...this.releaseArgs(o, file)], 60_000),
    );
  }

  /** Release status, or undefined when there is no such release. */
  async status(
    release: string,
    namespace: string,
  ): Promise<{ status: string; revision: number } | undefined> {
    try {
      const out = await this.run(
        ['status', release, '--namespace', namespace, '-o', 'json'],
        30_000,
      );
      const j = JSON.parse(out);
      return { status: j.info?.status, revision: j.version };
    } catch (e) {
      if (e instanceof HelmError && /not found/i.test(e.stderr))
        return undefined;
      throw e;
    }
  }

  /**
   * Makes a release stuck in `pending-install`, `pending-upgrade` or `pending-rollback` (a Helm
   * process that died mid-operation) workable again: a first install is uninstalled, an upgrade
   * or rollback is rolled back to the previous revision. Returns what was done, or undefined
   * when the release was not stuck. Call it only while no other Helm runs on the release.
   */
  async recoverPending(
    release: string,
    namespace: string,
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const s = await this.status(release, namespace);
    if (!s?.status?.startsWith('pending-')) return undefined;
    if (s.status === 'pending-install' || s.revision <= 1) {
      await this.uninstall(release, namespace, timeoutSeconds, signal);
      return `uninstalled release ${release} that was stuck in ${s.status}`;
    }
    await this.rollback(release, namespace, timeoutSeconds, signal);
    return `rolled back release ${release} that was stuck in ${s.status}`;
  }

  /** `helm uninstall --wait`; succeeds when the release is already gone. */
  async uninstall(
    release: string,
    namespace: string,
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await this.runWaiting(
        'uninstall',
        release,
        namespace,
        timeoutSeconds,
        signal,
      );
    } catch (e) {
      if (e instanceof HelmError && /not found/i.test(e.stderr)) return;
      throw e;
    }
  }
}
