import { createFrontendPlugin } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { ANNOTATION_DEV_SESSION_PROJECT_UUID } from '@internal/backstage-plugin-dev-sessions-common';
import type { Entity } from '@backstage/catalog-model';

/** True for entities that carry the dev-session project-UUID annotation. */
export const isDevSessionAvailable = (entity: Entity) =>
  Boolean(entity.metadata.annotations?.[ANNOTATION_DEV_SESSION_PROJECT_UUID]);

/** The dev session card on entity pages (new frontend system). */
export const devSessionEntityCard = EntityCardBlueprint.make({
  name: 'dev-session',
  params: {
    filter: isDevSessionAvailable,
    loader: () =>
      import('./components/DevSessionCard').then(m => <m.DevSessionCard />),
  },
});

/** The dev-sessions frontend plugin. */
export const devSessionsPlugin = createFrontendPlugin({
  pluginId: 'dev-sessions',
  extensions: [devSessionEntityCard],
});
