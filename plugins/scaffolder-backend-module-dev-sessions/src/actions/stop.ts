import { createSetRunningAction } from './setRunning';
import { examples } from './stop.examples';
import { DevSessionActionOptions } from './shared';

/**
 * `dev-session:stop`: stops a project's dev session (no pod; the workspace and everything else stay) and waits until it is stopped. Idempotent.
 * @public
 */
export function createDevSessionStopAction(options: DevSessionActionOptions) {
  return createSetRunningAction(options, false, examples);
}
