import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';

/**
 * Scaffolder module with the `dev-session:create` and `dev-session:delete` actions.
 *
 * @public
 */
export const scaffolderModuleDevSessions = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'dev-sessions',
  register({ registerInit }) {
    registerInit({
      deps: {
        logger: coreServices.logger,
        scaffolderActions: scaffolderActionsExtensionPoint,
      },
      async init({ logger }) {
        logger.info('dev-sessions scaffolder module started');
      },
    });
  },
});
