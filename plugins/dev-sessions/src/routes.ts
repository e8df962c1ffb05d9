import { createRouteRef } from '@backstage/frontend-plugin-api';
import { createRouteRef as createLegacyRouteRef } from '@backstage/core-plugin-api';

/** The dev sessions page (new frontend system). @public */
export const devSessionsRootRouteRef = createRouteRef();

/** The dev sessions page in legacy apps (`DevSessionsPage`). @public */
export const devSessionsLegacyRootRouteRef = createLegacyRouteRef({
  id: 'dev-sessions',
});
