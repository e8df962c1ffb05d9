/**
 * Node.js library of the dev-sessions plugin: {@link devSessionsServiceRef}, the sessions
 * service that backend plugins and modules (the scaffolder actions, the catalog entity
 * provider) use to reach the dev-sessions backend. The request, session, status and change
 * types live in `@dev-sessions/backstage-plugin-dev-sessions-common`.
 *
 * @packageDocumentation
 */
export { devSessionsServiceRef } from './devSessionsServiceRef';
export { DefaultDevSessionsService } from './DefaultDevSessionsService';
export type {
  DevSessionsService,
  DevSessionsServiceRequestOptions,
} from './DevSessionsService';
