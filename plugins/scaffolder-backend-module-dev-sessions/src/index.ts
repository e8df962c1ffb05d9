/**
 * The dev-sessions module for the scaffolder backend (`@backstage/plugin-scaffolder-backend`): `dev-session:create`,
 * `dev-session:delete`, `dev-session:stop` and `dev-session:start`.
 *
 * @packageDocumentation
 */
export { scaffolderModuleDevSessions as default } from './module';
export { createDevSessionCreateAction } from './actions/create';
export { createDevSessionDeleteAction } from './actions/delete';
export { createDevSessionStartAction } from './actions/start';
export { createDevSessionStopAction } from './actions/stop';
export type { DevSessionActionOptions } from './actions/shared';
