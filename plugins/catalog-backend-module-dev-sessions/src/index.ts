/**
 * The dev-sessions backend module for the catalog plugin: one Resource entity per dev-session
 * project.
 *
 * @packageDocumentation
 */
export { catalogModuleDevSessions as default } from './module';
export {
  DevSessionEntityProvider,
  sessionToEntity,
} from './DevSessionEntityProvider';
export type { DevSessionSource } from './DevSessionEntityProvider';
