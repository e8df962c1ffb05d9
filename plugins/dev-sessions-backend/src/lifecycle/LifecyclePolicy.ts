import { DevSessionState } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { LifecycleSettings } from '../config/settings';
import type { StoredSession } from '../database/SessionStore';

/** States a session can expire in: not while Helm work is pending for it. */
export const EXPIRABLE_STATES: readonly DevSessionState[] = [
  'ready',
  'stopped',
  'failed',
];

/**
 * How finely uses are recorded: at most one write per session this often (30 s, or a tenth of
 * `idleStopAfter` when that is shorter, so a session in use is never taken for idle).
 */
export function activityResolutionMs(settings: LifecycleSettings): number {
  return Math.min(30_000, (settings.idleStopAfterMs ?? Infinity) / 10);
}

const time = (iso: string | undefined) =>
  iso ? new Date(iso).getTime() : undefined;

/**
 * When the platform stops or deletes an unused session (devSessions.lifecycle), counted from
 * its last use:
 *
 * - a `ready` session is stopped `idleStopAfter` after its last use (when configured);
 * - any session is deleted `expireAfter` after its last use (365 days by default), a `stopped`
 *   one after `deleteStoppedAfter` when that is shorter;
 * - the owner is told `notifyBefore` ahead, and the deletion waits until that much time has
 *   passed since the notice, so nobody loses a workspace without warning.
 */
export class LifecyclePolicy {
  constructor(readonly settings: LifecycleSettings) {}

  /** When the session will be stopped for being idle, if it will. */
  idleStopAt(s: StoredSession): Date | undefined {
    const last = time(s.lastActivityAt);
    const idle = this.settings.idleStopAfterMs;
    if (s.state !== 'ready' || idle === undefined || last === undefined)
      return undefined;
    return new Date(last + idle);
  }

  /** How long after its last use a session in this state is deleted. */
  retentionMs(state: DevSessionState): number {
    const { expireAfterMs, deleteStoppedAfterMs } = this.settings;
    return state === 'stopped' && deleteStoppedAfterMs !== undefined
      ? Math.min(expireAfterMs, deleteStoppedAfterMs)
      : expireAfterMs;
  }

  /** The shortest retention of any state (what a sweep's query starts from). */
  get shortestRetentionMs(): number {
    return Math.min(...EXPIRABLE_STATES.map(s => this.retentionMs(s)));
  }

  /** When the session will be deleted for being unused (not before `notifyBefore` after the notice). */
  expiresAt(s: StoredSession): Date | undefined {
    const last = time(s.lastActivityAt);
    if (!EXPIRABLE_STATES.includes(s.state) || last === undefined)
      return undefined;
    const due = last + this.retentionMs(s.state);
    const notified = time(s.expiryNotifiedAt);
    return new Date(
      notified === undefined
        ? due
        : Math.max(due, notified + this.settings.notifyBeforeMs),
    );
  }

  /** Whether the owner should be told now of the coming deletion (once per idle period). */
  shouldNotify(s: StoredSession, now: Date): boolean {
    const at = this.expiresAt(s);
    return (
      at !== undefined &&
      s.expiryNotifiedAt === undefined &&
      now.getTime() >= at.getTime() - this.settings.notifyBeforeMs
    );
  }

  /** Whether the session is due for deletion (only after its owner was told). */
  shouldDelete(s: StoredSession, now: Date): boolean {
    const at = this.expiresAt(s);
    return (
      at !== undefined &&
      s.expiryNotifiedAt !== undefined &&
      now.getTime() >= at.getTime()
    );
  }

  /** Whether a running session is due to be stopped for being idle. */
  shouldStop(s: StoredSession, now: Date): boolean {
    const at = this.idleStopAt(s);
    return at !== undefined && now.getTime() >= at.getTime();
  }
}
