/***/
/**
 * The dev-sessions backend module for the catalog plugin.
 *
 * @packageDocumentation
 */

export { catalogModuleDevSessions as default } from './module';
