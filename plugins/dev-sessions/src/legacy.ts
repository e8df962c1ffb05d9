import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { DevSessionsClient } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef } from './api';

/** The dev-sessions plugin for legacy (pre new frontend system) apps. @public */
export const devSessionsLegacyPlugin = createPlugin({
  id: 'dev-sessions',
  apis: [
    createApiFactory({
      api: devSessionsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DevSessionsClient({ discovery: discoveryApi, fetchApi }),
    }),
  ],
});

/**
 * The dev session card for legacy apps: add `<EntityDevSessionCard />` to an entity page, for
 * example inside `<EntitySwitch.Case if={isDevSessionAvailable}>`.
 * @public
 */
export const EntityDevSessionCard = devSessionsLegacyPlugin.provide(
  createComponentExtension({
    name: 'EntityDevSessionCard',
    component: {
      lazy: () =>
        import('./components/DevSessionCard').then(m => m.DevSessionCard),
    },
  }),
);
