import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  ANNOTATION_DEV_SESSION_PROJECT_UUID,
  DevSessionsClient,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import type { Entity } from '@backstage/catalog-model';
import { devSessionsApiRef } from './api';

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

/** The dev-sessions frontend plugin. @public */
export const devSessionsPlugin = createFrontendPlugin({
  pluginId: 'dev-sessions',
  extensions: [devSessionsApi, devSessionEntityCard],
});
