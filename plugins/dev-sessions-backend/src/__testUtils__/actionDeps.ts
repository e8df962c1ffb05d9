import { mockServices } from '@backstage/backend-test-utils';
import { DefaultDevSessionsService } from '@dev-sessions/backstage-plugin-dev-sessions-node';

/**
 * What the dev-session scaffolder actions need to reach the test backend listening on `port`:
 * the sessions service as the scaffolder gets it (REST, with a token on behalf of the task's
 * user), polling fast.
 */
export function actionDeps(port: number) {
  return {
    sessions: new DefaultDevSessionsService({
      auth: mockServices.auth({ pluginId: 'scaffolder' }),
      discovery: {
        getBaseUrl: async () => `http://127.0.0.1:${port}/api/dev-sessions`,
      },
    }),
    pollIntervalMs: 250,
  };
}
