/*
 * The dev-session chart on the test cluster, installed with helm the way the backend installs it.
 */
import {
  chartDir,
  clusterEnv,
  helm,
  kubectl,
  kubectlJson,
  run,
  RunResult,
} from '../index';
import { withValuesFile } from './render';

/** The labels of a session's namespace: the restricted Pod Security Standard, the project. */
export function sessionNamespaceLabels(uuid: string): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'dev-sessions.io/project-uuid': uuid,
  };
}

export interface InstallOptions {
  /** `--atomic`, as the backend runs it: a failed install is uninstalled, an upgrade rolled back. */
  atomic?: boolean;
  timeoutSeconds?: number;
}

function upgradeArgs(
  release: string,
  namespace: string,
  file: string,
  opts: InstallOptions,
) {
  return [
    'upgrade',
    '--install',
    release,
    chartDir,
    '-n',
    namespace,
    '-f',
    file,
    ...(opts.atomic ? ['--atomic'] : []),
    '--wait',
    '--timeout',
    `${opts.timeoutSeconds ?? 120}s`,
  ];
}

/** `helm upgrade --install --wait` of the chart as `release` in a namespace, with the values. */
export function installChart(
  release: string,
  namespace: string,
  values: object,
  opts: InstallOptions = {},
) {
  return withValuesFile(values, file =>
    helm(
      upgradeArgs(release, namespace, file, opts),
      ((opts.timeoutSeconds ?? 120) + 30) * 1000,
    ),
  );
}

/** The same, resolving with helm's exit code and output instead of throwing. */
export function tryInstallChart(
  release: string,
  namespace: string,
  values: object,
  opts: InstallOptions = {},
): Promise<RunResult> {
  const env = clusterEnv();
  return withValuesFile(values, file =>
    run(env.helm, upgradeArgs(release, namespace, file, opts), {
      env: { KUBECONFIG: env.kubeconfig },
      timeoutMs: ((opts.timeoutSeconds ?? 120) + 30) * 1000,
    }),
  );
}

/** `kubectl get <args> -o json` in a namespace. */
export const getIn =
  (namespace: string) =>
  (...args: string[]) =>
    kubectlJson(['-n', namespace, 'get', ...args]);

/** The annotation the tests put on a claim as its data marker (Helm never sets or removes it). */
export const MARKER = 'test.dev-sessions.io/marker';

/** The session's claims by name: uid, requested size, the test's marker annotation. */
export async function claimsIn(namespace: string) {
  const list = await kubectlJson(['-n', namespace, 'get', 'pvc']);
  return Object.fromEntries(
    list.items.map((c: any) => [
      c.metadata.name,
      {
        uid: c.metadata.uid as string,
        size: c.spec.resources.requests.storage as string,
        marker: c.metadata.annotations?.[MARKER] as string | undefined,
        keep: c.metadata.annotations?.['helm.sh/resource-policy'],
        phase: c.status?.phase as string,
      },
    ]),
  );
}

/** Marks every claim of the namespace with `value`. */
export async function markClaims(namespace: string, value: string) {
  const r = await kubectl([
    '-n',
    namespace,
    'annotate',
    'pvc',
    '--all',
    '--overwrite',
    `${MARKER}=${value}`,
  ]);
  if (r.code !== 0) throw new Error(`kubectl annotate failed: ${r.stderr}`);
}

/** The release's history, oldest first. */
export async function releaseHistory(release: string, namespace: string) {
  return JSON.parse(
    await helm(['history', release, '-n', namespace, '-o', 'json']),
  ) as Array<{ revision: number; status: string }>;
}

/** The one session pod (selected by the project label), its phase and container readiness. */
export async function sessionPod(namespace: string, uuid: string) {
  const pods = await kubectlJson([
    '-n',
    namespace,
    'get',
    'pods',
    '-l',
    `dev-sessions.io/project-uuid=${uuid},app.kubernetes.io/component=session`,
  ]);
  const live = pods.items.filter((p: any) => !p.metadata.deletionTimestamp);
  if (live.length !== 1)
    throw new Error(`expected one session pod, found ${live.length}`);
  return live[0];
}
