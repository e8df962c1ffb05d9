import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { DefaultDevSessionsService } from './DefaultDevSessionsService';
import { DevSessionsService } from './DevSessionsService';

/**
 * The dev-sessions service. Its default factory calls the dev-sessions backend's REST API on
 * behalf of the credentials of each call (discovery and auth of the plugin that uses it), so a
 * backend needs no registration to use it; a test or an adopter may replace the factory.
 *
 * @public
 */
export const devSessionsServiceRef = createServiceRef<DevSessionsService>({
  id: 'dev-sessions.service',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        auth: coreServices.auth,
        discovery: coreServices.discovery,
      },
      factory: ({ auth, discovery }) =>
        new DefaultDevSessionsService({ auth, discovery }),
    }),
});
