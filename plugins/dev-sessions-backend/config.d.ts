import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the dev-sessions plugins. */
  devSessions?: {
    /**
     * The Helm chart installed for each project: `path` or `ref` is required. Links (service
     * names, ports, paths) are read from what the chart renders: each Service annotated
     * `dev-sessions.io/role` is one role.
     */
    chart?: {
      /**
       * Local chart directory (charts/dev-session of this project, or your copy). A relative
       * path resolves against the backend's working directory.
       */
      path?: string;
      /**
       * Chart reference instead of a path: `oci://registry/charts/dev-session` or a chart name
       * in `repository`. Pulled once when first needed; that copy is checked and installed.
       */
      ref?: string;
      /** Chart repository URL used with `ref` (helm `--repo`). */
      repository?: string;
      /** Chart version used with `ref` (helm `--version`). Pin it: the rendered manifest is checked before it is installed. */
      version?: string;
      /**
       * Kinds (`apiVersion/Kind`) a session's rendered manifest may contain; anything else,
       * anything cluster-scoped and anything outside the session's namespace refuses the
       * install. Default: the kinds of charts/dev-session (v1 ServiceAccount, Service,
       * PersistentVolumeClaim, ResourceQuota, LimitRange, Pod; apps/v1 Deployment;
       * networking.k8s.io/v1 NetworkPolicy, Ingress).
       */
      allowedKinds?: string[];
    };
    /** How Helm is run. */
    helm?: {
      /** Path of the helm binary (Helm 3). Default: `helm` on PATH. */
      binary?: string;
      /** Timeout of one `helm upgrade --install --wait`, in seconds. Default 300. */
      timeoutSeconds?: number;
    };
    /** Helm release name inside each project namespace. Default: dev-session. */
    releaseName?: string;
    /**
     * Platform values merged under every session's values (for example images, NetworkPolicy
     * egress rules or size presets). Users cannot change paths outside `values.userSettable`.
     */
    defaultValues?: { [key: string]: unknown };
    /** What users may set in chart values (REST API, scaffolder actions, templates). */
    values?: {
      /**
       * Value paths users may set, dotted, `*` standing for one key. Everything else is the
       * platform's and a request setting it gets a 400 naming the path. Default:
       * containers.*.command, containers.*.args, containers.*.env (plain name/value only),
       * containers.*.image.repository, containers.*.image.tag, containers.*.image.digest and
       * containers.*.resources.{requests,limits}.{cpu,memory}.
       */
      userSettable?: string[];
      /** Registries user-set images may come from. Default: [docker.io]. */
      allowedImageRegistries?: string[];
      /** Values merged over everything users send: they cannot be changed by a request. */
      enforced?: { [key: string]: unknown };
      /** Caps per session, checked on the effective values before Helm runs. */
      caps?: {
        /** Sum of the three containers' CPU limits. Default: 12. */
        cpu?: string;
        /** Sum of the three containers' memory limits. Default: 24Gi. */
        memory?: string;
        /** Sum of the session's volumes (workspace, history, agent config). Default: 24Gi (large: 20Gi + 1Gi + 1Gi). */
        storage?: string;
      };
    };
    /** Permissions of the app's policy (devSessionPolicyDecision). */
    permissions?: {
      /** Users or groups that may read, retry and delete every session, e.g. group:default/platform-team. */
      admins?: string[];
    };
    /** Size preset used when a request names none: small, medium or large. Default: medium. */
    defaultSize?: 'small' | 'medium' | 'large';
    /**
     * The signed-in way into sessions. Links point at the plugin's open route
     * (`<backend>/api/dev-sessions/projects/:projectUuid/open/:role/`), which checks the
     * Backstage sign-in and read permission, then sends the browser to the role's own origin on
     * the gateway: a listener of this plugin that forwards to the role's ready endpoints.
     */
    gateway?: {
      /**
       * The origin of each role of each session: `{role}` and `{projectUuid}` in the host, once
       * each, e.g. `https://{role}--{projectUuid}.sessions.example.com` (a wildcard DNS name and
       * certificate for `*.sessions.example.com` pointing at the gateway's port). Every role of
       * every session is its own origin, so a preview cannot script VS Code. Default:
       * `http://{role}--{projectUuid}.localhost:<listen.port>` (browsers resolve `*.localhost`
       * to this machine).
       */
      origin?: string;
      listen?: {
        /** Port of the gateway's listener. Default 7008; 0 picks a free one (tests). */
        port?: number;
        /** Interface to listen on. Default: all. */
        host?: string;
      };
      /**
       * How long a sign-in on a session's origin lasts before the browser goes through
       * Backstage again (where the permission is checked anew). Default 480 (8 hours).
       */
      cookieTtlMinutes?: number;
    };
    /**
     * Per-owner limits (the owner entity ref of the session: a user or a group). Past them,
     * creating (or starting) answers 409 naming the limit and the current count, and nothing
     * is created. Unset: no limit.
     */
    limits?: {
      /** Sessions one owner may have, in any state. */
      maxSessionsPerOwner?: number;
      /** Sessions one owner may have running (provisioning, starting or ready). */
      maxRunningPerOwner?: number;
    };
    /**
     * When the platform stops and deletes unused sessions, and what happens to namespaces left
     * behind. A session's last use is: its links opened (and every request through the
     * gateway), the API asked for it (create, start, `POST …/session/activity`), or the
     * heartbeat its workspace sends with the session's own token. Durations are Backstage
     * durations: `{ minutes: 30 }` or ISO 8601 such as `PT30M`. One replica sweeps at a time.
     */
    lifecycle?: {
      /**
       * Stop a running session (0 replicas, the workspace stays) this long after its last use.
       * Default: never (sessions are always-on). Example: `{ minutes: 30 }`.
       */
      idleStopAfter?: HumanDuration | string;
      /** Delete a session this long after its last use. Default: `{ days: 365 }`. */
      expireAfter?: HumanDuration | string;
      /** Delete a stopped session this long after its last use, when shorter than `expireAfter`. Default: unset. */
      deleteStoppedAfter?: HumanDuration | string;
      /**
       * Tell the owner this long before a deletion (Backstage notifications, when the
       * notifications plugin is installed). A deletion always waits this long after the notice.
       * Default: `{ days: 7 }`.
       */
      notifyBefore?: HumanDuration | string;
      /**
       * Delete namespaces of this installation (label `dev-sessions.io/instance`) that have no
       * session once `orphanGracePeriod` has passed since they were first seen. Default: false
       * (orphans are only reported, `GET /api/dev-sessions/orphans`).
       */
      deleteOrphans?: boolean;
      /** How long an orphan namespace is left alone after it was first seen. Default: `{ hours: 1 }`. */
      orphanGracePeriod?: HumanDuration | string;
      /** How often the sweep runs. Default: `{ minutes: 1 }`. */
      sweepInterval?: HumanDuration | string;
      /**
       * The plugin's base URL as session pods reach it (their heartbeat goes to
       * `<activityBaseUrl>/projects/:projectUuid/session/activity`). Default: the backend's
       * external base URL of the plugin, e.g. `https://backstage.example.com/api/dev-sessions`.
       */
      activityBaseUrl?: string;
    };
    /**
     * This installation's name, a label (`dev-sessions.io/instance`) of every namespace it
     * creates. Give each Backstage installation that shares a cluster its own, so none takes
     * another's namespaces for orphans. Default: `default`.
     */
    instance?: string;
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
        frequency:
          | { cron: string }
          | { minutes?: number; hours?: number; seconds?: number }
          | string;
        timeout: { minutes?: number; seconds?: number } | string;
        initialDelay?: { minutes?: number; seconds?: number } | string;
      };
    };
    /**
     * Live status (pods, containers, events) from three cluster-wide watches kept in memory by
     * every replica: this installation's namespaces (by label), the session pods (by label) and
     * the events of those namespaces. A status request then reads memory instead of calling the
     * API server twice; while the watches are not synced (starting, or reconnecting after the
     * API server went away) requests read the cluster directly. Needs list and watch on pods and
     * events cluster-wide (deploy/kubernetes/rbac.yaml grants them); without them the backend
     * logs a warning and reads per request.
     */
    statusCache?: {
      /** Default true. */
      enabled?: boolean;
      /** A full list again every so often, in seconds. Default 600. */
      resyncSeconds?: number;
    };
    /** Periodic reconciliation of stored state with the cluster (one replica at a time). */
    reconcile?: {
      /** Interval in seconds. Default 60. */
      intervalSeconds?: number;
    };
    /**
     * Durable jobs: provisioning, retry and deletion are rows in the database, leased by the
     * replica that runs them. A replica renews its leases every third of `leaseSeconds`; when
     * it dies, any other replica claims the job after the lease expires and finishes or fails
     * it.
     */
    jobs?: {
      /** This replica's name in leases. Default: hostname, process id and a random suffix. */
      replicaId?: string;
      /** Lease time in seconds. Default 30. */
      leaseSeconds?: number;
      /** How often each replica looks for jobs nobody holds, in seconds. Default 5. */
      pollIntervalSeconds?: number;
      /** Jobs (Helm runs) one replica runs at once. Default 16. */
      concurrency?: number;
    };
  };
}
