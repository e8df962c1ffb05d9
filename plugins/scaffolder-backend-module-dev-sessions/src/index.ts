/**
 * The dev-sessions module for @backstage/plugin-scaffolder-backend: `dev-session:create` and
 * `dev-session:delete`.
 *
 * @packageDocumentation
 */
export { scaffolderModuleDevSessions as default } from './module';
export { createDevSessionCreateAction } from './actions/create';
export { createDevSessionDeleteAction } from './actions/delete';
export type { DevSessionActionOptions } from './actions/shared';
