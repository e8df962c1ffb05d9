import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createRouter } from './router';

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
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
      },
      async init({ httpAuth, httpRouter }) {
        httpRouter.use(await createRouter({ httpAuth }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
