/**
 * Dev sessions frontend plugin: the dev session entity card.
 *
 * @packageDocumentation
 */
export {
  devSessionsPlugin as default,
  devSessionEntityCard,
  isDevSessionAvailable,
} from './plugin';
