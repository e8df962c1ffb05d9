import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createCardExtension } from '@backstage/plugin-home-react';
import { DevSessionsClient } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef } from './api';
import { devSessionsLegacyRootRouteRef } from './routes';

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
  routes: { root: devSessionsLegacyRootRouteRef },
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

/**
 * The dev sessions page for legacy apps:
 * `<Route path="/dev-sessions" element={<DevSessionsPage />} />` in the app's routes.
 * @public
 */
export const DevSessionsPage: () => JSX.Element =
  devSessionsLegacyPlugin.provide(
    createRoutableExtension({
      name: 'DevSessionsPage',
      mountPoint: devSessionsLegacyRootRouteRef,
      component: () =>
        import('./components/DevSessionsPage').then(m => m.DevSessionsPage),
    }),
  );

/**
 * The "My dev sessions" card for a legacy app's home page (`@backstage/plugin-home`):
 * the newest five with their state, and "View all" to `/dev-sessions`.
 * @public
 */
export const HomePageDevSessionsCard = devSessionsLegacyPlugin.provide(
  createCardExtension<{ viewAllPath?: string }>({
    name: 'HomePageDevSessionsCard',
    title: 'My dev sessions',
    description: 'Your newest dev sessions, their state and links',
    components: () =>
      import('./components/DevSessionsHomeWidget').then(m => ({
        Content: m.DevSessionsHomeWidget,
      })),
  }),
);
