import {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { DevSessionsClient } from '@internal/backstage-plugin-dev-sessions-common';

/** What the actions need from the outside: the REST client and a token for the initiator. */
export interface ActionDeps {
  client: Pick<DevSessionsClient, 'getOrCreate' | 'dryRun' | 'get' | 'delete'> &
    Partial<Pick<DevSessionsClient, 'status'>>;
  token(credentials: BackstageCredentials): Promise<string>;
}

export function actionDeps(
  auth: AuthService,
  client: DevSessionsClient,
): ActionDeps {
  return {
    client,
    token: async credentials =>
      (
        await auth.getPluginRequestToken({
          onBehalfOf: credentials,
          targetPluginId: 'dev-sessions',
        })
      ).token,
  };
}
