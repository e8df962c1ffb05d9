import { Config } from '@backstage/config';
import * as k8s from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A RoleBinding the backend creates in every session namespace right after creating it, so that
 * its own identity (a ServiceAccount with only cluster-level rights, see deploy/kubernetes) gets
 * what Helm needs inside that one namespace (devSessions.cluster.sessionRoleBinding).
 */
export interface SessionRoleBinding {
  /** Name of the RoleBinding. Default: dev-sessions-backend. */
  name: string;
  /** The ClusterRole bound in the namespace. Default: dev-sessions-session. */
  clusterRole: string;
  /** Who gets it: the backend's own identity. */
  subject: {
    kind: 'ServiceAccount' | 'User' | 'Group';
    name: string;
    namespace?: string;
  };
}

/** The Kubernetes cluster sessions run on, and how it was found. */
export interface ClusterTarget {
  name: string;
  source: string;
  kc: k8s.KubeConfig;
  /** A kubeconfig file for helm (the configured file, or a private temporary copy). */
  kubeconfigPath: () => string;
  /** The kubeconfig context helm must use (devSessions.cluster.context); absent: the file's. */
  context?: string;
  /** Bind this role in every session namespace; absent: bind nothing (an admin kubeconfig). */
  sessionRoleBinding?: SessionRoleBinding;
}

/** Reads devSessions.cluster.sessionRoleBinding. */
export function readSessionRoleBinding(
  own: Config | undefined,
): SessionRoleBinding | undefined {
  const c = own?.getOptionalConfig('sessionRoleBinding');
  if (!c) return undefined;
  const kind = c.getOptionalString('subject.kind') ?? 'ServiceAccount';
  if (kind !== 'ServiceAccount' && kind !== 'User' && kind !== 'Group') {
    throw new Error(
      `devSessions.cluster.sessionRoleBinding.subject.kind must be ServiceAccount, User or Group, not "${kind}"`,
    );
  }
  const namespace = c.getOptionalString('subject.namespace');
  if (kind === 'ServiceAccount' && !namespace) {
    throw new Error(
      'devSessions.cluster.sessionRoleBinding.subject.namespace is required for a ServiceAccount',
    );
  }
  return {
    name: c.getOptionalString('name') ?? 'dev-sessions-backend',
    clusterRole: c.getOptionalString('clusterRole') ?? 'dev-sessions-session',
    subject: {
      kind,
      name: c.getString('subject.name'),
      namespace: kind === 'ServiceAccount' ? namespace : undefined,
    },
  };
}

/**
 * A kubeconfig file for helm written once, on first use, into a private temporary directory
 * (the file 0600): returns the function that gives its path.
 */
function privateKubeconfig(content: () => string): () => string {
  let file: string | undefined;
  return () => {
    if (!file) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-sessions-kube-'));
      file = path.join(dir, 'kubeconfig');
      fs.writeFileSync(file, content(), { mode: 0o600 });
    }
    return file;
  };
}

function fromFile(
  file: string,
  source: string,
  context?: string,
): ClusterTarget {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  if (context) kc.setCurrentContext(context);
  const name = kc.getCurrentCluster()?.name ?? kc.getCurrentContext();
  return { name, source, kc, kubeconfigPath: () => file, context };
}

/** Where Kubernetes mounts a pod's ServiceAccount token and the cluster's CA. */
export const SERVICE_ACCOUNT_DIR =
  '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The cluster the backend runs in, as its pod's ServiceAccount (the deploy chart's way), when
 * it runs in a pod with a token mounted. Helm gets a kubeconfig that reads the same token file
 * and CA (so it follows token rotation); the client uses Kubernetes' in-cluster config.
 */
export function inClusterTarget(
  env: NodeJS.ProcessEnv = process.env,
  saDir = SERVICE_ACCOUNT_DIR,
): ClusterTarget | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const token = path.join(saDir, 'token');
  if (!host || !port || !fs.existsSync(token)) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'in-cluster', server, caFile: path.join(saDir, 'ca.crt') },
    ],
    users: [{ name: 'service-account', token: fs.readFileSync(token, 'utf8') }],
    contexts: [
      { name: 'in-cluster', cluster: 'in-cluster', user: 'service-account' },
    ],
    currentContext: 'in-cluster',
  });
  if (saDir === SERVICE_ACCOUNT_DIR) kc.loadFromCluster(); // the client re-reads rotated tokens
  return {
    name: 'in-cluster',
    source: "the pod's ServiceAccount",
    kc,
    kubeconfigPath: privateKubeconfig(() =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'in-cluster',
            cluster: {
              server,
              'certificate-authority': path.join(saDir, 'ca.crt'),
            },
          },
        ],
        users: [{ name: 'service-account', user: { tokenFile: token } }],
        contexts: [
          {
            name: 'in-cluster',
            context: { cluster: 'in-cluster', user: 'service-account' },
          },
        ],
        'current-context': 'in-cluster',
      }),
    ),
  };
}

/**
 * Resolves the cluster: devSessions.cluster.kubeconfig, then a `config` cluster of
 * kubernetes.clusterLocatorMethods (the Kubernetes plugin's shape), then the KUBECONFIG
 * environment variable (its first file), then the pod's own ServiceAccount when the backend
 * runs in Kubernetes. Undefined when none is configured.
 */
export function resolveCluster(config: Config): ClusterTarget | undefined {
  const own = config.getOptionalConfig('devSessions.cluster');
  const sessionRoleBinding = readSessionRoleBinding(own);
  const target = resolveTarget(config, own);
  return target && { ...target, sessionRoleBinding };
}

function resolveTarget(
  config: Config,
  own: Config | undefined,
): ClusterTarget | undefined {
  const file = own?.getOptionalString('kubeconfig');
  if (file)
    return fromFile(
      file,
      'devSessions.cluster.kubeconfig',
      own?.getOptionalString('context'),
    );

  const wanted = own?.getOptionalString('name');
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  for (const m of methods) {
    if (m.getString('type') !== 'config') continue;
    for (const c of m.getOptionalConfigArray('clusters') ?? []) {
      const name = c.getString('name');
      if (wanted && name !== wanted) continue;
      const authProvider =
        c.getOptionalString('authProvider') ?? 'serviceAccount';
      if (authProvider !== 'serviceAccount') {
        throw new Error(
          `devSessions: cluster "${name}" uses authProvider "${authProvider}"; only serviceAccount is supported`,
        );
      }
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [
          {
            name,
            server: c.getString('url'),
            caData: c.getOptionalString('caData'),
            skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
          },
        ],
        users: [
          {
            name: 'dev-sessions',
            token: c.getOptionalString('serviceAccountToken'),
          },
        ],
        contexts: [{ name, cluster: name, user: 'dev-sessions' }],
        currentContext: name,
      });
      return {
        name,
        source: 'kubernetes.clusterLocatorMethods',
        kc,
        kubeconfigPath: privateKubeconfig(() => kc.exportConfig()),
      };
    }
  }
  if (wanted)
    throw new Error(
      `devSessions.cluster.name "${wanted}" is not a config cluster in kubernetes.clusterLocatorMethods`,
    );

  if (
    process.env.KUBECONFIG &&
    fs.existsSync(process.env.KUBECONFIG.split(path.delimiter)[0])
  ) {
    return fromFile(
      process.env.KUBECONFIG.split(path.delimiter)[0],
      'KUBECONFIG',
    );
  }
  return inClusterTarget();
}
