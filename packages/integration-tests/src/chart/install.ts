/*
 * The dev-session chart on the test cluster, installed with helm the way the backend installs it.
 */
import { chartDir, helm, kubectlJson } from '../index';
import { withValuesFile } from './render';

/** The labels of a session's namespace: the restricted Pod Security Standard, the project. */
export function sessionNamespaceLabels(uuid: string): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'dev-sessions.io/project-uuid': uuid,
  };
}

/** `helm upgrade --install --wait` of the chart as `release` in a namespace, with the values. */
export function installChart(
  release: string,
  namespace: string,
  values: object,
) {
  return withValuesFile(values, file =>
    helm(
      [
        'upgrade',
        '--install',
        release,
        chartDir,
        '-n',
        namespace,
        '-f',
        file,
        '--wait',
        '--timeout',
        '120s',
      ],
      150_000,
    ),
  );
}

/** `kubectl get <args> -o json` in a namespace. */
export const getIn =
  (namespace: string) =>
  (...args: string[]) =>
    kubectlJson(['-n', namespace, 'get', ...args]);
