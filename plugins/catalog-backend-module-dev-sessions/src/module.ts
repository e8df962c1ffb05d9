import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  DEV_SESSIONS_EVENT_TOPIC,
  DevSessionChange,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsServiceRef } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import { DevSessionEntityProvider } from './DevSessionEntityProvider';

/**
 * Catalog module that keeps one Resource entity (type dev-session) per dev-session project.
 * Schedule: `devSessions.catalog.schedule` (default every 10 minutes); changes arrive at once
 * through the events service.
 *
 * @public
 */
export const catalogModuleDevSessions = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'dev-sessions',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        sessions: devSessionsServiceRef,
        scheduler: coreServices.scheduler,
        events: eventsServiceRef,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({
        config,
        logger,
        auth,
        sessions,
        scheduler,
        events,
        catalog,
      }) {
        const scheduleConfig = config.getOptionalConfig(
          'devSessions.catalog.schedule',
        );
        const schedule = scheduler.createScheduledTaskRunner(
          scheduleConfig
            ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
                scheduleConfig,
              )
            : {
                frequency: { minutes: 10 },
                timeout: { minutes: 2 },
                initialDelay: { seconds: 5 },
              },
        );
        const provider = new DevSessionEntityProvider({
          logger,
          schedule,
          source: {
            list: async () =>
              sessions.list(undefined, {
                credentials: await auth.getOwnServiceCredentials(),
              }),
          },
        });
        catalog.addEntityProvider(provider);
        await events.subscribe({
          id: 'catalog-dev-sessions',
          topics: [DEV_SESSIONS_EVENT_TOPIC],
          onEvent: async ({ eventPayload }) => {
            await provider.onChange(eventPayload as DevSessionChange);
          },
        });
      },
    });
  },
});
