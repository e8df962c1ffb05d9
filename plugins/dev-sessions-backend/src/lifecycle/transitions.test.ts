import {
  DEV_SESSION_STATES,
  DevSessionState,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BUSY_STATES,
  canTransition,
  INITIAL_STATE,
  TRANSITIONS,
  TransitionName,
} from './transitions';

const names = Object.keys(TRANSITIONS) as TransitionName[];

describe('lifecycle transitions', () => {
  it('uses only the known states', () => {
    for (const name of names) {
      const { from, to } = TRANSITIONS[name];
      expect(DEV_SESSION_STATES).toContain(to);
      expect(from.length).toBeGreaterThan(0);
      for (const f of from) expect(DEV_SESSION_STATES).toContain(f);
      expect(from).not.toContain(to);
    }
    expect(DEV_SESSION_STATES).toContain(INITIAL_STATE);
  });

  it('reaches every state from the initial one', () => {
    const reached = new Set<DevSessionState>([INITIAL_STATE]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const name of names) {
        const { from, to } = TRANSITIONS[name];
        if (from.some(f => reached.has(f)) && !reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...DEV_SESSION_STATES].sort());
  });

  it('enters deleting only through deleteRequested, and nothing leaves it (the row is removed)', () => {
    const into = names.filter(n => TRANSITIONS[n].to === 'deleting');
    expect(into).toEqual(['deleteRequested']);
    for (const name of names)
      expect(TRANSITIONS[name].from as readonly string[]).not.toContain(
        'deleting',
      );
    // every other state may be deleted
    expect([...TRANSITIONS.deleteRequested.from].sort()).toEqual(
      DEV_SESSION_STATES.filter(s => s !== 'deleting').sort(),
    );
  });

  it('has the documented table', () => {
    // the rows of the table in the doc comment of TRANSITIONS: | `name` | from, … | to | by |
    const source = fs.readFileSync(
      path.join(__dirname, 'transitions.ts'),
      'utf8',
    );
    const rows = [
      ...source.matchAll(/^ \* \| `(\w+)` +\|([^|]+)\|([^|]+)\|/gm),
    ];
    expect(rows).toHaveLength(Object.keys(TRANSITIONS).length);
    expect(TRANSITIONS).toEqual(
      Object.fromEntries(
        rows.map(([, name, from, to]) => [
          name,
          { from: from.split(',').map(s => s.trim()), to: to.trim() },
        ]),
      ),
    );
    expect(INITIAL_STATE).toBe('provisioning');
    expect([...BUSY_STATES].sort()).toEqual([
      'deleting',
      'provisioning',
      'starting',
      'stopping',
    ]);
  });

  it('canTransition answers from the table for every transition and state', () => {
    for (const name of names) {
      for (const state of DEV_SESSION_STATES) {
        expect([name, state, canTransition(name, state)]).toEqual([
          name,
          state,
          (TRANSITIONS[name].from as readonly string[]).includes(state),
        ]);
      }
    }
    expect(canTransition('retry', 'failed')).toBe(true);
    expect(canTransition('retry', 'ready')).toBe(false);
    expect(canTransition('deleteRequested', 'deleting')).toBe(false);
    expect(canTransition('releaseLost', 'provisioning')).toBe(false);
    expect(canTransition('releaseLost', 'stopped')).toBe(true);
    expect(canTransition('releaseLost', 'stopping')).toBe(false);
    expect(canTransition('provisioned', 'provisioning')).toBe(true);
  });
});
