import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { DevSessionsClient } from '@internal/backstage-plugin-dev-sessions-common';
import { actionDeps } from './actions/client';
import { createDevSessionCreateAction } from './actions/create';
import { createDevSessionDeleteAction } from './actions/delete';

/**
 * Scaffolder module with the `dev-session:create` and `dev-session:delete` actions. They call
 * the dev-sessions backend's REST API on behalf of the user running the task.
 *
 * @public
 */
export const scaffolderModuleDevSessions = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'dev-sessions',
  register({ registerInit }) {
    registerInit({
      deps: {
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        scaffolderActions: scaffolderActionsExtensionPoint,
      },
      async init({ auth, discovery, scaffolderActions }) {
        const deps = actionDeps(auth, new DevSessionsClient({ discovery }));
        scaffolderActions.addActions(
          createDevSessionCreateAction(deps),
          createDevSessionDeleteAction(deps),
        );
      },
    });
  },
});
