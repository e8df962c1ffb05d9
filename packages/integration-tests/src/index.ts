/**
 * Helpers for tests that run against a real cluster with the real helm and kubectl binaries.
 * `./dev test` brings up the local cluster and sets KUBECONFIG, DEV_SESSIONS_HELM and
 * DEV_SESSIONS_KUBECTL. Without them, these helpers throw: cluster tests fail, never skip.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** @public */
export interface ClusterEnv {
  kubeconfig: string;
  helm: string;
  kubectl: string;
}

/** The cluster the tests run against; throws a clear error when there is none. @public */
export function clusterEnv(): ClusterEnv {
  const kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig || !fs.existsSync(kubeconfig)) {
    throw new Error(
      'These tests need a Kubernetes cluster. Run them with `./dev test` (which starts the local ' +
        'cluster), or set KUBECONFIG, DEV_SESSIONS_HELM and DEV_SESSIONS_KUBECTL yourself.',
    );
  }
  return {
    kubeconfig,
    helm: process.env.DEV_SESSIONS_HELM ?? 'helm',
    kubectl: process.env.DEV_SESSIONS_KUBECTL ?? 'kubectl',
  };
}

/** Result of running a binary. @public */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary with an argument array (never a shell). @public */
export function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise(resolve => {
    const child = execFile(
      file,
      args,
      {
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) {
      child.stdin?.end(opts.input);
    }
  });
}

/** Runs helm against the test cluster; rejects with helm's stderr on failure. @public */
export async function helm(args: string[], timeoutMs?: number): Promise<string> {
  const env = clusterEnv();
  const r = await run(env.helm, args, {
    env: { KUBECONFIG: env.kubeconfig },
    timeoutMs,
  });
  if (r.code !== 0) {
    throw new Error(`helm ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  }
  return r.stdout;
}

/** Runs kubectl against the test cluster and parses its JSON output. @public */
export async function kubectlJson<T = any>(args: string[]): Promise<T> {
  const env = clusterEnv();
  const r = await run(env.kubectl, [...args, '-o', 'json'], {
    env: { KUBECONFIG: env.kubeconfig },
  });
  if (r.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

/** Runs kubectl; resolves with the raw result (no throw). @public */
export async function kubectl(args: string[], input?: string): Promise<RunResult> {
  const env = clusterEnv();
  return run(env.kubectl, args, { env: { KUBECONFIG: env.kubeconfig }, input });
}

/** Polls until check returns a truthy value; rejects with the last error after timeoutMs. @public */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`,
  );
}

/** Absolute path of the repository root. @public */
export const repoRoot = path.resolve(__dirname, '../../..');

/** Absolute path of the dev-session chart. @public */
export const chartDir = path.join(repoRoot, 'charts', 'dev-session');

/** A random namespace-safe suffix. @public */
export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
