import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';

/**
 * Catalog module that keeps one catalog entity per dev-session project.
 *
 * @public
 */
export const catalogModuleDevSessions = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'dev-sessions',
  register(reg) {
    reg.registerInit({
      deps: {
        logger: coreServices.logger,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ logger }) {
        logger.info('dev-sessions catalog module started');
      },
    });
  },
});
