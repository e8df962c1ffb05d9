import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { devSessionsServiceRef } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import { createDevSessionCreateAction } from './actions/create';
import { createDevSessionDeleteAction } from './actions/delete';
import { createDevSessionStartAction } from './actions/start';
import { createDevSessionStopAction } from './actions/stop';

/**
 * Scaffolder module with the `dev-session:create`, `dev-session:delete`, `dev-session:stop` and `dev-session:start` actions. They use
 * the dev-sessions service on behalf of the user running the task.
 *
 * @public
 */
export const scaffolderModuleDevSessions = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'dev-sessions',
  register({ registerInit }) {
    registerInit({
      deps: {
        sessions: devSessionsServiceRef,
        scaffolderActions: scaffolderActionsExtensionPoint,
      },
      async init({ sessions, scaffolderActions }) {
        scaffolderActions.addActions(
          createDevSessionCreateAction({ sessions }),
          createDevSessionDeleteAction({ sessions }),
          createDevSessionStopAction({ sessions }),
          createDevSessionStartAction({ sessions }),
        );
      },
    });
  },
});
