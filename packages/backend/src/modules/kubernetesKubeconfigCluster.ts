import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthenticationStrategy,
  KubernetesCredential,
  kubernetesAuthStrategyExtensionPoint,
  kubernetesClusterSupplierExtensionPoint,
} from '@backstage/plugin-kubernetes-node';
import { KubeConfig } from '@kubernetes/client-node';

// a name the Kubernetes frontend knows as server-side (it sends no user credentials for it); the
// strategies added here replace the plugin's defaults, and this module only runs without clusters
const AUTH_PROVIDER = 'serviceAccount';

/** The credential of the kubeconfig's current user: a token, or a client certificate. */
function credentialOf(kc: KubeConfig): KubernetesCredential {
  const user = kc.getCurrentUser();
  const read = (data?: string, file?: string) =>
    data
      ? Buffer.from(data, 'base64').toString('utf8')
      : file && fs.readFileSync(file, 'utf8');
  if (user?.token) return { type: 'bearer token', token: user.token };
  const cert = read(user?.certData, user?.certFile);
  const key = read(user?.keyData, user?.keyFile);
  if (cert && key) return { type: 'x509 client certificate', cert, key };
  return { type: 'anonymous' };
}

/**
 * This app's Kubernetes tab on the cluster of KUBECONFIG (under `./dev start`, the local
 * cluster), with the kubeconfig's own credentials, when `app.kubernetesTabFromKubeconfig` is
 * true (the local setup's app-config.yaml; app-config.production.yaml turns it off) and
 * `kubernetes.clusterLocatorMethods` sets no cluster: the same cluster the dev-sessions backend
 * uses by default, named as it names it, so a session entity's `backstage.io/kubernetes-cluster`
 * annotation finds it. The Kubernetes proxy, which would use these credentials for any request,
 * is for admins only (permissionPolicy.ts).
 */
export const kubernetesKubeconfigClusterModule = createBackendModule({
  pluginId: 'kubernetes',
  moduleId: 'kubeconfig-cluster',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        clusters: kubernetesClusterSupplierExtensionPoint,
        auth: kubernetesAuthStrategyExtensionPoint,
      },
      async init({ config, logger, clusters, auth }) {
        // opt-in (app-config.yaml of the local setup): these are the kubeconfig's credentials
        if (!config.getOptionalBoolean('app.kubernetesTabFromKubeconfig'))
          return;
        const configured =
          config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ??
          [];
        const file = process.env.KUBECONFIG?.split(path.delimiter)[0];
        if (configured.length > 0 || !file || !fs.existsSync(file)) return;
        const kc = new KubeConfig();
        kc.loadFromFile(file);
        const cluster = kc.getCurrentCluster();
        if (!cluster) return;
        const strategy: AuthenticationStrategy = {
          getCredential: async () => credentialOf(kc),
          validateCluster: () => [],
          presentAuthMetadata: () => ({}),
        };
        auth.addAuthStrategy(AUTH_PROVIDER, strategy);
        clusters.addClusterSupplier({
          getClusters: async () => [
            {
              name: cluster.name,
              url: cluster.server,
              authMetadata: { 'kubernetes.io/auth-provider': AUTH_PROVIDER },
              // base64, as in a kubeconfig (the plugin decodes it)
              caData: cluster.caData,
              caFile: cluster.caData ? undefined : cluster.caFile,
              skipTLSVerify: cluster.skipTLSVerify,
              // a local cluster has no metrics-server; say nothing rather than an error
              skipMetricsLookup: true,
            },
          ],
        });
        logger.info(
          `Kubernetes tab: cluster ${cluster.name} (${cluster.server}) from KUBECONFIG`,
        );
      },
    });
  },
});
