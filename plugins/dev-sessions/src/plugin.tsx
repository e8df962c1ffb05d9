import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { HomePageWidgetBlueprint } from '@backstage/plugin-home-react/alpha';
import DevicesIcon from '@material-ui/icons/Devices';
import {
  ANNOTATION_DEV_SESSION_PROJECT_UUID,
  DevSessionsClient,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import type { Entity } from '@backstage/catalog-model';
import { devSessionsApiRef } from './api';
import { devSessionsRootRouteRef } from './routes';

/** True for entities that carry the dev-session project-UUID annotation. @public */
export const isDevSessionAvailable = (entity: Entity) =>
  Boolean(entity.metadata.annotations?.[ANNOTATION_DEV_SESSION_PROJECT_UUID]);

/** The dev-sessions client (DevSessionsClient over discoveryApi and fetchApi). @public */
export const devSessionsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: devSessionsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new DevSessionsClient({ discovery: discoveryApi, fetchApi }),
    }),
});

/** The dev session card on entity pages (new frontend system). @public */
export const devSessionEntityCard = EntityCardBlueprint.make({
  name: 'dev-session',
  params: {
    filter: isDevSessionAvailable,
    loader: () =>
      import('./components/DevSessionCard').then(m => <m.DevSessionCard />),
  },
});

/**
 * The "Dev sessions" page at `/dev-sessions`: the caller's sessions (or all they may read),
 * filtered, searched and paged on the backend. Its title and icon put it in the sidebar.
 * @public
 */
export const devSessionsPage = PageBlueprint.make({
  params: {
    path: '/dev-sessions',
    title: 'Dev sessions',
    icon: <DevicesIcon fontSize="inherit" />,
    routeRef: devSessionsRootRouteRef,
    loader: () =>
      import('./components/DevSessionsPage').then(m => (
        <m.DevSessionsPageContent />
      )),
  },
});

/**
 * The "My dev sessions" home page widget (`DevSessionsHomeWidget` in the home page's
 * `defaultConfig`): the newest five, with state and link, and "View all".
 * @public
 */
export const devSessionsHomeWidget = HomePageWidgetBlueprint.make({
  name: 'dev-sessions',
  params: {
    name: 'DevSessionsHomeWidget',
    title: 'My dev sessions',
    description: 'Your newest dev sessions, their state and links',
    components: () =>
      import('./components/DevSessionsHomeWidget').then(m => ({
        Content: m.RoutedDevSessionsHomeWidget,
      })),
    layout: {
      height: { minRows: 3 },
      width: { minColumns: 3 },
    },
  },
});

/** The dev-sessions frontend plugin. @public */
export const devSessionsPlugin = createFrontendPlugin({
  pluginId: 'dev-sessions',
  title: 'Dev sessions',
  icon: <DevicesIcon fontSize="inherit" />,
  routes: { root: devSessionsRootRouteRef },
  extensions: [
    devSessionsApi,
    devSessionEntityCard,
    devSessionsPage,
    devSessionsHomeWidget,
  ],
});
