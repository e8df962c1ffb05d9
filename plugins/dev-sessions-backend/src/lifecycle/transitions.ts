import { DevSessionState } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import type { JobKind } from '../database/JobStore';

/**
 * Every state change of a session, by name. A session is created in `provisioning` (with a
 * provision job) and removed from `deleting` (when its delete job has finished); in between it
 * changes state only through one of these, and only from the listed states, so two replicas
 * racing for the same change cannot both win it.
 *
 * | transition        | from                          | to           | by                           |
 * | ----------------- | ----------------------------- | ------------ | ---------------------------- |
 * | `provisioned`     | provisioning                  | ready        | provision job, Helm deployed |
 * | `provisionFailed` | provisioning                  | failed       | provision job, Helm failed   |
 * | `retry`           | failed                        | provisioning | get-or-create of a failed one|
 * | `deleteRequested` | provisioning, ready, failed, stopping, stopped, starting | deleting | delete (REST, action) |
 * | `releaseLost`     | ready, stopped                | failed       | reconcile: release gone/failed |
 * | `stopRequested`   | ready                         | stopping     | stop (REST)                  |
 * | `stopped`         | stopping                      | stopped      | stop job, scaled to 0        |
 * | `startRequested`  | stopped                       | starting     | start, get-or-create (REST)  |
 * | `started`         | starting                      | ready        | start job, Helm deployed     |
 * | `stopFailed`      | stopping, starting            | failed       | stop/start job, Helm failed  |
 */
export const TRANSITIONS = {
  provisioned: { from: ['provisioning'], to: 'ready' },
  provisionFailed: { from: ['provisioning'], to: 'failed' },
  retry: { from: ['failed'], to: 'provisioning' },
  deleteRequested: {
    from: [
      'provisioning',
      'ready',
      'failed',
      'stopping',
      'stopped',
      'starting',
    ],
    to: 'deleting',
  },
  releaseLost: { from: ['ready', 'stopped'], to: 'failed' },
  stopRequested: { from: ['ready'], to: 'stopping' },
  stopped: { from: ['stopping'], to: 'stopped' },
  startRequested: { from: ['stopped'], to: 'starting' },
  started: { from: ['starting'], to: 'ready' },
  stopFailed: { from: ['stopping', 'starting'], to: 'failed' },
} as const satisfies Record<
  string,
  { from: readonly DevSessionState[]; to: DevSessionState }
>;

/** The name of a transition in {@link TRANSITIONS}. */
export type TransitionName = keyof typeof TRANSITIONS;

/** The state a session is created in. */
export const INITIAL_STATE: DevSessionState = 'provisioning';

/** The job a session in a busy state waits for: Helm work is pending or running for it. */
export const JOB_OF_STATE: Partial<Record<DevSessionState, JobKind>> = {
  provisioning: 'provision',
  deleting: 'delete',
  stopping: 'stop',
  starting: 'start',
};

/** States in which Helm work is pending or running for the session (a job exists). */
export const BUSY_STATES = Object.keys(JOB_OF_STATE) as DevSessionState[];

/** Whether `name` may be applied to a session in state `from`. */
export function canTransition(
  name: TransitionName,
  from: DevSessionState,
): boolean {
  return (TRANSITIONS[name].from as readonly DevSessionState[]).includes(from);
}
