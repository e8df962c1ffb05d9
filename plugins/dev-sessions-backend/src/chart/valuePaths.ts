import { InputError } from '@backstage/errors';

/** Chart values, as sent by users or merged from the chart and config. */
export type Values = Record<string, unknown>;
/** Where a value sits: keys and list indexes from the top of the values. */
export type ValuePath = Array<string | number>;

export function isObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `values.containers.preview.env[0].valueFrom`, with odd keys as `["sim.dev-sessions.io/fail"]`. */
export function valuePath(path: ValuePath): string {
  let out = 'values';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** The path of the first scalar under v, so that an error names `networkPolicy.enabled`. */
export function firstLeaf(v: unknown, path: ValuePath): ValuePath {
  if (Array.isArray(v) && v.length) return firstLeaf(v[0], [...path, 0]);
  if (isObject(v)) {
    const [k] = Object.keys(v);
    if (k !== undefined) return firstLeaf(v[k], [...path, k]);
  }
  return path;
}

/** Refuses a value with an InputError (400) naming its path and the rule. */
export function fail(path: ValuePath, rule: string): never {
  throw new InputError(`Invalid ${valuePath(path)}: ${rule}`);
}
