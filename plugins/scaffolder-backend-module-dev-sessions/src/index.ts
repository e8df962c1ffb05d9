/***/
/**
 * The dev-sessions module for @backstage/plugin-scaffolder-backend.
 *
 * @packageDocumentation
 */

export { scaffolderModuleDevSessions as default } from './module';
