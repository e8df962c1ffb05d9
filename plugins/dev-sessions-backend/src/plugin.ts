import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  DEV_SESSIONS_EVENT_TOPIC,
  devSessionPermissions,
} from '@internal/backstage-plugin-dev-sessions-common';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { devSessionResourceRef, devSessionRules } from './permissions';
import { createRouter } from './router';
import { Cluster, resolveCluster } from './service/cluster';
import { DevSessionsService, readSettings } from './service/DevSessionsService';
import { findHelm, Helm } from './service/helm';
import { SessionStore } from './service/store';

/** The repository root (where charts/ lives): nearest ancestor of cwd with charts/dev-session. */
function findRepoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    if (fs.existsSync(path.join(dir, 'charts', 'dev-session', 'Chart.yaml')))
      return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/**
 * The dev-sessions backend plugin: owns dev sessions (store, Helm, Kubernetes status, REST API).
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
        events: eventsServiceRef,
      },
      async init({
        config,
        logger,
        database,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        scheduler,
        userInfo,
        auditor,
        events,
      }) {
        const settings = readSettings(config, findRepoRoot());
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
          binary: findHelm(config.getOptionalString('devSessions.helm.binary')),
          kubeconfigPath: () => target!.kubeconfigPath(),
        });
        const store = await SessionStore.create(database);
        const service = new DevSessionsService({
          store,
          helm,
          cluster,
          logger,
          settings,
        });

        // every change goes out as an event, so the catalog module can update the entity at once
        service.onChange(change => {
          events
            .publish({ topic: DEV_SESSIONS_EVENT_TOPIC, eventPayload: change })
            .catch(e =>
              logger.warn(`Could not publish dev-session change: ${e}`),
            );
        });

        permissionsRegistry.addResourceType({
          resourceRef: devSessionResourceRef,
          permissions: devSessionPermissions,
          rules: Object.values(devSessionRules),
          getResources: refs => Promise.all(refs.map(r => service.find(r))),
        });

        httpRouter.use(
          await createRouter({
            httpAuth,
            permissions,
            userInfo,
            auditor,
            service,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        const interval =
          config.getOptionalNumber('devSessions.reconcile.intervalSeconds') ??
          60;
        await scheduler.scheduleTask({
          id: 'dev-sessions-reconcile',
          frequency: { seconds: interval },
          timeout: {
            seconds: Math.max(interval, settings.timeoutSeconds + 120),
          },
          initialDelay: { seconds: 10 },
          fn: async () => {
            const r = await service.reconcile();
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
