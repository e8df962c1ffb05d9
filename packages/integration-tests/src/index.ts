/**
 * Helpers for tests that run against a real cluster with the real helm and kubectl binaries.
 * `./dev test` brings up the local cluster and sets KUBECONFIG, DEV_SESSIONS_HELM and
 * DEV_SESSIONS_KUBECTL. Without them, these helpers throw: cluster tests fail, never skip.
 * startDevSessionsTestBackend starts the dev-sessions backend with this repository's chart and
 * that helm, as configuration (the plugin looks for nothing on the machine).
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { testHelmBinary } from './paths';

export { chartDir, repoRoot, testHelmBinary } from './paths';
export {
  devSessionsTestConfig,
  startDevSessionsTestBackend,
  type DevSessionsTestBackendOptions,
  type TestBackendFeature,
  type TestConfigData,
} from './backend';
export { SpareApiServer } from './spareApiServer';
export {
  externalIPv4,
  pointServiceAt,
  readClientFrame,
  startStandIn,
  type StandIn,
  type StandInRequest,
} from './standIn';

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
    helm: testHelmBinary(),
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
        let code = 0;
        if (err) code = typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) {
      child.stdin?.end(opts.input);
    }
  });
}

/** Runs helm against the test cluster; rejects with helm's stderr on failure. @public */
export async function helm(
  args: string[],
  timeoutMs?: number,
): Promise<string> {
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
export async function kubectl(
  args: string[],
  input?: string,
): Promise<RunResult> {
  const env = clusterEnv();
  return run(env.kubectl, args, { env: { KUBECONFIG: env.kubeconfig }, input });
}

/** `kubectl apply` of a manifest (YAML or JSON) on the test cluster; rejects with kubectl's stderr. @public */
export async function kubectlApply(manifest: string): Promise<void> {
  const r = await kubectl(['apply', '-f', '-'], manifest);
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

/**
 * A namespace of the test cluster for the tests of one file: created with these labels before
 * they run, deleted after them without waiting for it to finalize. Call it at the top level of
 * the test file. @public
 */
export function testNamespace(
  name: string,
  labels: Record<string, string> = {},
): void {
  beforeAll(() =>
    kubectlApply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels },
      }),
    ),
  );
  afterAll(async () => {
    await kubectl(['delete', 'namespace', name, '--wait=false']);
  });
}

/** The Helm releases in a namespace of the test cluster, pending and failed ones too. @public */
export async function helmReleases(
  namespace: string,
): Promise<Array<{ name: string; status: string; revision: string }>> {
  return JSON.parse(await helm(['list', '-a', '-n', namespace, '-o', 'json']));
}

/**
 * Whether a namespace exists on the test cluster (one being deleted still does); throws when
 * kubectl fails for another reason than NotFound. @public
 */
export async function namespaceExists(name: string): Promise<boolean> {
  const r = await kubectl(['get', 'namespace', name, '-o', 'name']);
  if (r.code === 0) return true;
  if (r.stderr.includes('NotFound')) return false;
  throw new Error(`kubectl get namespace ${name} failed: ${r.stderr}`);
}

/** An error that stops {@link waitFor} at once instead of being retried. @public */
export class StopWaiting extends Error {}

/**
 * Polls until check returns a truthy value; rejects with the last error after timeoutMs, or at
 * once with a {@link StopWaiting} that check threw. @public
 */
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
      if (e instanceof StopWaiting) throw e;
      last = e;
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${
      last ? `: ${last}` : ''
    }`,
  );
}

/** A random namespace-safe suffix. @public */
export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
