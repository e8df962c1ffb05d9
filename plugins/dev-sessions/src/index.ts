/**
 * Dev sessions frontend plugin: the dev session entity card (new frontend system as the default
 * export; `EntityDevSessionCard` for legacy apps).
 *
 * @packageDocumentation
 */
export {
  devSessionsPlugin as default,
  devSessionEntityCard,
  devSessionsApi,
  isDevSessionAvailable,
} from './plugin';
export { devSessionsApiRef, type DevSessionsApi } from './api';
export { devSessionsLegacyPlugin, EntityDevSessionCard } from './legacy';
export { DevSessionCard } from './components/DevSessionCard';
