import { InputError } from '@backstage/errors';
import { DEV_SESSION_ROLES } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { isQuantity, parseQuantity } from './quantity';
import { fail, Values, ValuePath, valuePath } from './valuePaths';

/** Caps per session as Kubernetes quantities (`devSessions.values.caps`); unset: no cap. */
export interface SessionCaps {
  cpu?: string;
  memory?: string;
  storage?: string;
}

/** Caps per session: the sum of the three containers' limits, and all volumes together. */
export const DEFAULT_CAPS = { cpu: '12', memory: '24Gi', storage: '24Gi' };

function format(kind: 'cpu' | 'memory' | 'storage', n: number): string {
  if (kind === 'cpu') return `${Math.round(n * 1000) / 1000} cores`;
  return `${Math.round((n / 1024 ** 3) * 100) / 100}Gi`;
}

/** The resources and storage of the session's size (`presets.<size>`). */
function sizePreset(effective: Values): Record<string, any> {
  const presets = (effective.presets ?? {}) as Record<string, any>;
  return presets[String(effective.size)] ?? {};
}

function above(total: number, cap: string): boolean {
  return total > parseQuantity(cap) * (1 + 1e-9);
}

/** The three containers' cpu or memory limits added up must stay within the cap. */
function checkLimits(
  kind: 'cpu' | 'memory',
  cap: string,
  effective: Values,
  userValues: Values,
): void {
  const preset = sizePreset(effective);
  const containers = (effective.containers ?? {}) as Record<string, any>;
  const userContainers = (userValues.containers ?? {}) as Record<string, any>;
  // the user's own limit when there is one, else the size they chose
  const role = DEV_SESSION_ROLES.find(
    r => userContainers[r]?.resources?.limits?.[kind] !== undefined,
  );
  const blame: ValuePath = role
    ? ['containers', role, 'resources', 'limits', kind]
    : ['size'];
  let total = 0;
  for (const r of DEV_SESSION_ROLES) {
    // the container's own limit, else its share of the size's pod budget (charts before 0.4
    // had one global `resources` and per-container presets)
    const limit =
      containers[r]?.resources?.limits?.[kind] ??
      preset.resources?.[r]?.limits?.[kind] ??
      (effective.resources as any)?.limits?.[kind] ??
      preset.resources?.limits?.[kind];
    if (limit === undefined) {
      fail(
        ['containers', r, 'resources', 'limits', kind],
        `is required: every container needs a ${kind} limit`,
      );
    }
    if (!isQuantity(limit))
      fail(blame, `"${limit}" is not a Kubernetes quantity`);
    total += parseQuantity(limit);
  }
  if (above(total, cap)) {
    throw new InputError(
      `Invalid ${
        blame[0] === 'size' ? 'size' : valuePath(blame)
      }: the session's ${kind} limits add up to ${format(
        kind,
        total,
      )}, above the platform's cap of ${cap} (devSessions.values.caps.${kind})`,
    );
  }
}

/** Every volume's size added up must stay within the cap. */
function checkStorage(cap: string, effective: Values): void {
  const preset = sizePreset(effective);
  const storage = (effective.storage ?? {}) as Record<string, any>;
  let total = 0;
  if (storage.enabled !== false && !storage.existingClaim)
    total += parseQuantity(storage.size || preset.storage || 0);
  if (storage.history?.enabled)
    total += parseQuantity(storage.history.size ?? 0);
  if (storage.agentConfig?.enabled)
    total += parseQuantity(storage.agentConfig.size ?? 0);
  if (above(total, cap)) {
    throw new InputError(
      `Invalid size: the session's volumes add up to ${format(
        'storage',
        total,
      )}, above the platform's cap of ${cap} (devSessions.values.caps.storage)`,
    );
  }
}

/**
 * Checks the effective values (chart defaults < platform defaults < user < enforced) against
 * the caps: the three containers' limits added up, and every volume's size added up.
 * `userValues` only decides which path an error names.
 */
export function checkCaps(
  caps: SessionCaps,
  effective: Values,
  userValues: Values,
): void {
  for (const kind of ['cpu', 'memory'] as const) {
    const cap = caps[kind];
    if (cap) checkLimits(kind, cap, effective, userValues);
  }
  if (caps.storage) checkStorage(caps.storage, effective);
}
