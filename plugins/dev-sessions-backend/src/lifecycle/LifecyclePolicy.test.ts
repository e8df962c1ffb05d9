import { newSession } from '../__testUtils__/sessions';
import { StoredSession } from '../database/SessionStore';
import { LifecyclePolicy } from './LifecyclePolicy';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const t0 = Date.parse('2026-11-01T10:00:00.000Z');

function stored(
  state: StoredSession['state'],
  extra: Partial<StoredSession> = {},
): StoredSession {
  return {
    ...newSession('2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10'),
    state,
    createdAt: new Date(t0).toISOString(),
    updatedAt: new Date(t0).toISOString(),
    lastActivityAt: new Date(t0).toISOString(),
    ...extra,
  };
}

const policy = (over: Partial<LifecyclePolicy['settings']> = {}) =>
  new LifecyclePolicy({
    expireAfterMs: 365 * DAY,
    notifyBeforeMs: 7 * DAY,
    deleteOrphans: false,
    orphanGracePeriodMs: 60 * MIN,
    sweepIntervalMs: MIN,
    ...over,
  });

describe('LifecyclePolicy', () => {
  it('never stops an idle session unless idleStopAfter is set (always-on by default)', () => {
    const s = stored('ready');
    expect(policy().idleStopAt(s)).toBeUndefined();
    expect(policy().shouldStop(s, new Date(t0 + 400 * DAY))).toBe(false);
  });

  it('stops a ready session idleStopAfter after its last use, not before, and only when ready', () => {
    const p = policy({ idleStopAfterMs: 30 * MIN });
    const s = stored('ready');
    expect(p.idleStopAt(s)!.getTime()).toBe(t0 + 30 * MIN);
    expect(p.shouldStop(s, new Date(t0 + 30 * MIN - 1))).toBe(false);
    expect(p.shouldStop(s, new Date(t0 + 30 * MIN))).toBe(true);
    expect(p.shouldStop(stored('stopped'), new Date(t0 + DAY))).toBe(false);
    expect(p.shouldStop(stored('provisioning'), new Date(t0 + DAY))).toBe(
      false,
    );
  });

  it('expires a year after the last use, a stopped one earlier with deleteStoppedAfter', () => {
    expect(policy().expiresAt(stored('ready'))!.getTime()).toBe(t0 + 365 * DAY);
    const p = policy({ deleteStoppedAfterMs: 30 * DAY });
    expect(p.expiresAt(stored('stopped'))!.getTime()).toBe(t0 + 30 * DAY);
    expect(p.expiresAt(stored('ready'))!.getTime()).toBe(t0 + 365 * DAY);
    expect(p.shortestRetentionMs).toBe(30 * DAY);
    // not while Helm work is pending
    expect(p.expiresAt(stored('deleting'))).toBeUndefined();
    expect(p.expiresAt(stored('starting'))).toBeUndefined();
  });

  it('tells the owner notifyBefore ahead, and deletes only after the notice had that long', () => {
    const p = policy();
    const s = stored('stopped');
    const due = t0 + 365 * DAY;
    expect(p.shouldNotify(s, new Date(due - 7 * DAY - 1))).toBe(false);
    expect(p.shouldNotify(s, new Date(due - 7 * DAY))).toBe(true);
    // never deleted without a notice, however late
    expect(p.shouldDelete(s, new Date(due + 100 * DAY))).toBe(false);

    // noticed late (the sweep was off): the deletion moves to 7 days after the notice
    const late = due + 3 * DAY;
    const noticed = { ...s, expiryNotifiedAt: new Date(late).toISOString() };
    expect(p.shouldNotify(noticed, new Date(late))).toBe(false);
    expect(p.expiresAt(noticed)!.getTime()).toBe(late + 7 * DAY);
    expect(p.shouldDelete(noticed, new Date(late + 7 * DAY - 1))).toBe(false);
    expect(p.shouldDelete(noticed, new Date(late + 7 * DAY))).toBe(true);

    // noticed on time: deleted at the due date
    const onTime = {
      ...s,
      expiryNotifiedAt: new Date(due - 7 * DAY).toISOString(),
    };
    expect(p.shouldDelete(onTime, new Date(due))).toBe(true);
  });

  it('with notifyBefore 0, notices and deletes at the due time', () => {
    const p = policy({ notifyBeforeMs: 0, expireAfterMs: 10 * MIN });
    const s = stored('ready');
    const due = new Date(t0 + 10 * MIN);
    expect(p.shouldNotify(s, due)).toBe(true);
    const noticed = { ...s, expiryNotifiedAt: due.toISOString() };
    expect(p.shouldDelete(noticed, due)).toBe(true);
  });
});
