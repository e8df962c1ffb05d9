/**
 * Dev sessions frontend plugin: the dev session entity card, the "Dev sessions" page and the
 * home page widget (new frontend system as the default export; `EntityDevSessionCard`,
 * `DevSessionsPage` and `HomePageDevSessionsCard` for legacy apps).
 *
 * @packageDocumentation
 */
export {
  devSessionsPlugin as default,
  devSessionEntityCard,
  devSessionsApi,
  devSessionsHomeWidget,
  devSessionsPage,
  isDevSessionAvailable,
} from './plugin';
export {
  devSessionsLegacyRootRouteRef,
  devSessionsRootRouteRef,
} from './routes';
export { devSessionsApiRef, type DevSessionsApi } from './api';
export {
  devSessionsLegacyPlugin,
  DevSessionsPage,
  EntityDevSessionCard,
  HomePageDevSessionsCard,
} from './legacy';
export { DevSessionCard } from './components/DevSessionCard';
export { DevSessionsTable } from './components/DevSessionsPage';
export { DevSessionsHomeWidget } from './components/DevSessionsHomeWidget';
