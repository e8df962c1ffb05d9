import { createSetRunningAction } from './setRunning';
import { examples } from './start.examples';
import { DevSessionActionOptions } from './shared';

/**
 * `dev-session:start`: starts a project's stopped dev session (on the workspace it kept) and waits until it is ready. Idempotent.
 * @public
 */
export function createDevSessionStartAction(options: DevSessionActionOptions) {
  return createSetRunningAction(options, true, examples);
}
