import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  DEV_SESSIONS_EVENT_TOPIC,
  devSessionPermissions,
} from '@internal/backstage-plugin-dev-sessions-common';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { SessionChart } from './chart/SessionChart';
import { Cluster } from './cluster/Cluster';
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
import { createRouter } from './router/createRouter';
import { DevSessionsService } from './service/DevSessionsService';
import { SessionEvents } from './service/SessionEvents';

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
      },
      async init(deps) {
        const { config, logger, scheduler, events } = deps;
        const settings = readSettings(config);
        const target = resolveCluster(config);
        const cluster = target && new Cluster(target, logger);
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
        });
        const db = await openDatabase(deps.database);
        const store = new SessionStore(db);
        const jobs = new JobStore(db);
        const gatewayTokens = new GatewayTokenStore(db);
        const links = new SessionLinks(
          await deps.discovery.getExternalBaseUrl('dev-sessions'),
        );
        const sessionEvents = new SessionEvents(
          logger,
          cluster?.name ?? 'none',
          links,
        );
        // every change goes out as an event, so the catalog module can update the entity at once
        sessionEvents.onChange(change => {
          events
            .publish({ topic: DEV_SESSIONS_EVENT_TOPIC, eventPayload: change })
            .catch(e =>
              logger.warn(`Could not publish dev-session change: ${e}`),
            );
        });
        const chart = new SessionChart(settings, helm);
        const runner = new JobRunner({
          store,
          jobs,
          chart,
          helm,
          cluster,
          settings: { ...settings.jobs, releaseName: settings.releaseName },
          logger,
          events: sessionEvents,
        });
        const service = new DevSessionsService({
          store,
          jobs,
          runner,
          chart,
          cluster,
          events: sessionEvents,
          logger,
          settings,
          gatewayTokens,
        });

        // the signed-in way into sessions: the open route checks Backstage sign-in and read
        // permission, the gateway (a listener of its own) serves each role on its own origin
        const gateway = new GatewayServer({
          settings: settings.gateway,
          tokens: gatewayTokens,
          upstreams: new Upstreams({ store, cluster }),
          links,
          logger,
        });
        await gateway.start();
        deps.lifecycle.addShutdownHook(() => gateway.stop());

        deps.permissionsRegistry.addResourceType({
          resourceRef: devSessionResourceRef,
          permissions: devSessionPermissions,
          rules: Object.values(devSessionRules),
          getResources: refs => Promise.all(refs.map(r => service.find(r))),
        });

        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            userInfo: deps.userInfo,
            auditor: deps.auditor,
            service,
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
          helm,
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
            const r = await reconciler.reconcile();
            if (r.changed)
              logger.info(
                `dev-sessions reconcile: ${r.changed} of ${r.checked} sessions corrected`,
              );
          },
        });
      },
    });
  },
});
