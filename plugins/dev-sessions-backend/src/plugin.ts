import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { devSessionsServiceRef } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import {
  DEV_SESSIONS_EVENT_TOPIC,
  devSessionPermissions,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { registerDevSessionActions } from './actions';
import { bundledChart } from './chart/bundledChart';
import { SessionChart } from './chart/SessionChart';
import { Cluster } from './cluster/Cluster';
import { ContainerLogs } from './cluster/ContainerLogs';
import { resolveCluster } from './cluster/ClusterTarget';
import { readSettings } from './config/settings';
import { JobStore } from './database/JobStore';
import { openDatabase, SessionStore } from './database/SessionStore';
import { Helm } from './helm/Helm';
import { JobRunner } from './jobs/JobRunner';
import { devSessionResourceRef, devSessionRules } from './permissions';
import { Reconciler } from './reconcile/Reconciler';
import { GatewayTokenStore } from './database/GatewayTokenStore';
import { GatewayServer } from './gateway/GatewayServer';
import { SessionLinks } from './gateway/SessionLinks';
import { Upstreams } from './gateway/Upstreams';
import { createOpenRouter, OPEN_ROUTE_PREFIX } from './router/openRoute';
import { ACTIVITY_ROUTE, createRouter } from './router/createRouter';
import { OrphanStore } from './database/OrphanStore';
import { ActivityTokens } from './lifecycle/ActivityTokens';
import { LifecycleNotifier } from './lifecycle/LifecycleNotifier';
import {
  activityResolutionMs,
  LifecyclePolicy,
} from './lifecycle/LifecyclePolicy';
import { LifecycleSweeper } from './lifecycle/LifecycleSweeper';
import { DevSessionsService } from './service/DevSessionsService';
import { SessionEvents } from './service/SessionEvents';
import { StatusCache } from './status/StatusCache';

/**
 * The dev-sessions backend plugin: owns dev sessions (store, Helm, Kubernetes status, REST API).
 * Chart, helm and cluster come from `devSessions` configuration only.
 *
 * @public
 */
export const devSessionsPlugin = createBackendPlugin({
  pluginId: 'dev-sessions',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
        discovery: coreServices.discovery,
        lifecycle: coreServices.lifecycle,
        events: eventsServiceRef,
        notifications: notificationService,
        actionsRegistry: actionsRegistryServiceRef,
        sessionsApi: devSessionsServiceRef,
      },
      async init(deps) {
        const { config, logger, scheduler, events } = deps;
        const settings = readSettings(config, { bundledChart: bundledChart() });
        const target = resolveCluster(config);
        const cluster =
          target && new Cluster(target, logger, settings.instance);
        if (target)
          logger.info(
            `Dev sessions run on cluster "${target.name}" (${target.source})`,
          );
        else
          logger.warn(
            'No Kubernetes cluster configured for dev sessions; creating sessions will answer 503',
          );
        const helm = new Helm({
          binary: settings.helmBinary,
          kubeconfigPath: () => target!.kubeconfigPath(),
          kubeContext: () => target?.context,
        });
        const db = await openDatabase(deps.database);
        const store = new SessionStore(db);
        const jobs = new JobStore(db);
        const gatewayTokens = new GatewayTokenStore(db);
        const links = new SessionLinks(
          await deps.discovery.getExternalBaseUrl('dev-sessions'),
        );
        const lifecyclePolicy = new LifecyclePolicy(settings.lifecycle);
        const sessionEvents = new SessionEvents(
          logger,
          cluster?.name ?? 'none',
          links,
          lifecyclePolicy,
        );
        // each session's heartbeat token, in a Secret of its namespace
        const activity =
          cluster &&
          new ActivityTokens({
            store,
            cluster,
            secretName: `${settings.releaseName}-activity`,
            baseUrl: async () =>
              settings.lifecycle.activityBaseUrl ??
              (await deps.discovery.getExternalBaseUrl('dev-sessions')),
          });
        // every change goes out as an event, so the catalog module can update the entity at once
        sessionEvents.onChange(change => {
          events
            .publish({ topic: DEV_SESSIONS_EVENT_TOPIC, eventPayload: change })
            .catch(e =>
              logger.warn(`Could not publish dev-session change: ${e}`),
            );
        });
        // pods and events of every session from cluster-wide watches: status reads memory
        const statusCache =
          target && settings.statusCache.enabled
            ? new StatusCache({
                kc: target.kc,
                logger,
                instance: settings.instance,
                resyncMs: settings.statusCache.resyncSeconds * 1000,
              })
            : undefined;
        if (statusCache) {
          statusCache.start();
          deps.lifecycle.addShutdownHook(() => statusCache.stop());
        }
        const chart = new SessionChart(settings, helm);
        const runner = new JobRunner({
          statusCache,
          store,
          jobs,
          chart,
          helm,
          cluster,
          settings: { ...settings.jobs, releaseName: settings.releaseName },
          logger,
          events: sessionEvents,
          activity,
        });
        const service = new DevSessionsService({
          statusCache,
          store,
          jobs,
          runner,
          chart,
          cluster,
          events: sessionEvents,
          logger,
          settings,
          gatewayTokens,
          activity,
        });
        const sweeper = new LifecycleSweeper({
          store,
          orphans: new OrphanStore(db),
          service,
          policy: lifecyclePolicy,
          notifier: new LifecycleNotifier({
            logger,
            notifications: deps.notifications,
          }),
          cluster,
          logger,
        });

        // the signed-in way into sessions: the open route checks Backstage sign-in and read
        // permission, the gateway (a listener of its own) serves each role on its own origin
        const gateway = new GatewayServer({
          settings: settings.gateway,
          tokens: gatewayTokens,
          upstreams: new Upstreams({ store, cluster }),
          links,
          logger,
          onActivity: uuid => service.recordActivity(uuid),
          activityEveryMs: activityResolutionMs(settings.lifecycle),
        });
        await gateway.start();
        deps.lifecycle.addShutdownHook(() => gateway.stop());

        deps.permissionsRegistry.addResourceType({
          resourceRef: devSessionResourceRef,
          permissions: devSessionPermissions,
          rules: Object.values(devSessionRules),
          getResources: refs => Promise.all(refs.map(r => service.find(r))),
        });

        // the same operations as tools for AI agents (MCP, through the actions registry); they
        // call the REST API on behalf of the caller, as the scaffolder actions do
        registerDevSessionActions({
          actionsRegistry: deps.actionsRegistry,
          sessions: deps.sessionsApi,
        });
        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            userInfo: deps.userInfo,
            auditor: deps.auditor,
            service,
            orphans: cluster && (() => sweeper.findOrphans()),
            logs: cluster && new ContainerLogs(cluster),
          }),
        );
        deps.httpRouter.use(
          createOpenRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            auditor: deps.auditor,
            service,
            tokens: gatewayTokens,
            signinUrl: (...a) => gateway.signinUrl(...a),
          }),
        );
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
        // the workspace's heartbeat authenticates with its session's own token
        deps.httpRouter.addAuthPolicy({
          path: ACTIVITY_ROUTE,
          allow: 'unauthenticated',
        });
        // links are opened in a new tab: Backstage's user cookie signs them in
        deps.httpRouter.addAuthPolicy({
          path: OPEN_ROUTE_PREFIX,
          allow: 'user-cookie',
        });

        // every replica takes jobs nobody holds: new ones queued, or a dead replica's
        await scheduler.scheduleTask({
          id: `dev-sessions-jobs`,
          scope: 'local',
          frequency: { milliseconds: settings.jobs.pollIntervalMs },
          timeout: { seconds: 60 },
          initialDelay: { milliseconds: settings.jobs.pollIntervalMs },
          fn: async () => {
            const started = await runner.poll();
            if (started) logger.info(`dev-sessions: claimed ${started} job(s)`);
          },
        });

        const reconciler = new Reconciler({
          store,
          jobs,
          cluster,
          logger,
          events: sessionEvents,
          timeoutSeconds: settings.timeoutSeconds,
        });
        const interval = settings.reconcileIntervalSeconds;
        await scheduler.scheduleTask({
          id: 'dev-sessions-reconcile',
          frequency: { seconds: interval },
          timeout: { seconds: Math.max(interval, 300) },
          initialDelay: { seconds: 10 },
          fn: async () => {
            await gatewayTokens.purgeExpired();
            const t0 = performance.now();
            const r = await reconciler.reconcile();
            // one line per pass: what it checked, how long it took (the scale benchmark reads it)
            logger.info(
              `dev-sessions reconcile: ${
                r.checked
              } sessions checked in ${Math.round(performance.now() - t0)} ms, ${
                r.changed
              } corrected`,
            );
          },
        });

        // idle stop, expiry and orphans: one replica at a time (a global task); every change is
        // a guarded state transition, so even overlapping sweeps act once
        const sweepMs = settings.lifecycle.sweepIntervalMs;
        await scheduler.scheduleTask({
          id: 'dev-sessions-lifecycle',
          frequency: { milliseconds: sweepMs },
          timeout: { milliseconds: Math.max(sweepMs * 5, 300_000) },
          initialDelay: { milliseconds: Math.min(sweepMs, 30_000) },
          fn: async () => {
            const r = await sweeper.sweep();
            const did = [
              r.stopped.length && `stopped ${r.stopped.length} idle`,
              r.notified.length && `warned ${r.notified.length} owners`,
              r.deleted.length && `deleted ${r.deleted.length} expired`,
              r.orphansDeleted.length &&
                `deleted ${r.orphansDeleted.length} orphan namespaces`,
            ].filter(Boolean);
            if (did.length)
              logger.info(`dev-sessions lifecycle: ${did.join(', ')}`);
          },
        });
      },
    });
  },
});
