/**
 * Types, annotation names and permissions shared by the dev-sessions plugins.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './annotations';
export * from './permissions';
export * from './client';
export * from './entity';

import * as common from './common';

/** Everything this package exports, as one object (the package's default export). @public */
export default common;
