import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { isQuantity, parseQuantity } from './quantity';

/**
 * What users may set in a session's chart values. Everything not listed is the platform's: it
 * comes from the chart, `devSessions.defaultValues` or `devSessions.values.enforced`.
 * `*` stands for exactly one key.
 */
export const DEFAULT_USER_SETTABLE = [
  'containers.*.command',
  'containers.*.args',
  'containers.*.env',
  'containers.*.image.repository',
  'containers.*.image.tag',
  'containers.*.resources.requests.cpu',
  'containers.*.resources.requests.memory',
  'containers.*.resources.limits.cpu',
  'containers.*.resources.limits.memory',
];

/** Registries user-set images may come from (the chart's default images are on Docker Hub). */
export const DEFAULT_IMAGE_REGISTRIES = ['docker.io'];

/** Caps per session: the sum of the three containers' limits, and all volumes together. */
export const DEFAULT_CAPS = { cpu: '12', memory: '24Gi', storage: '20Gi' };

// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ROLES = ['preview', 'chat', 'vscode'];
const MAX_ARGS = 100;
const MAX_STRING = 16 * 1024;

type Values = Record<string, unknown>;
type Path = Array<string | number>;

function isObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `values.containers.preview.env[0].valueFrom`, with odd keys as `["sim.dev-sessions.io/fail"]`. */
export function valuePath(path: Path): string {
  let out = 'values';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** The path of the first scalar under v, so that an error names `networkPolicy.enabled`. */
function firstLeaf(v: unknown, path: Path): Path {
  if (Array.isArray(v) && v.length) return firstLeaf(v[0], [...path, 0]);
  if (isObject(v)) {
    const [k] = Object.keys(v);
    if (k !== undefined) return firstLeaf(v[k], [...path, k]);
  }
  return path;
}

function fail(path: Path, rule: string): never {
  throw new InputError(`Invalid ${valuePath(path)}: ${rule}`);
}

/** The registry host of an image repository (`node` and `codercom/code-server` are docker.io). */
export function imageRegistry(repository: string): string {
  const first = repository.split('/')[0];
  if (
    repository.includes('/') &&
    (first.includes('.') || first.includes(':') || first === 'localhost')
  ) {
    return first === 'index.docker.io' || first === 'registry-1.docker.io'
      ? 'docker.io'
      : first;
  }
  return 'docker.io';
}

/**
 * The platform's rules for chart values (`devSessions.values`): an allowlist of the value paths
 * users may set, the image registries they may use, and caps per session. Checked before Helm
 * runs; every refusal is an InputError (400) naming the value path and the rule.
 */
export class ValuesPolicy {
  private readonly patterns: string[][];

  constructor(
    readonly userSettable: string[] = DEFAULT_USER_SETTABLE,
    readonly imageRegistries: string[] = DEFAULT_IMAGE_REGISTRIES,
    readonly caps: {
      cpu?: string;
      memory?: string;
      storage?: string;
    } = DEFAULT_CAPS,
    /** Values merged over everything else: the user cannot change them. */
    readonly enforced: Values = {},
  ) {
    this.patterns = userSettable.map(p => p.split('.'));
  }

  static fromConfig(config: Config | undefined): ValuesPolicy {
    const c = config?.getOptionalConfig('values');
    const caps = c?.getOptionalConfig('caps');
    const quantity = (key: string, fallback: string) => {
      const v = caps?.getOptionalString(key) ?? fallback;
      if (!isQuantity(v))
        throw new Error(
          `devSessions.values.caps.${key} must be a Kubernetes quantity, not "${v}"`,
        );
      return v;
    };
    const userSettable =
      c?.getOptionalStringArray('userSettable') ?? DEFAULT_USER_SETTABLE;
    for (const p of userSettable) {
      if (!/^([A-Za-z0-9_-]+|\*)(\.([A-Za-z0-9_-]+|\*))*$/.test(p)) {
        throw new Error(
          `devSessions.values.userSettable: "${p}" is not a dotted value path (use * for one key)`,
        );
      }
    }
    return new ValuesPolicy(
      userSettable,
      c?.getOptionalStringArray('allowedImageRegistries') ??
        DEFAULT_IMAGE_REGISTRIES,
      {
        cpu: quantity('cpu', DEFAULT_CAPS.cpu),
        memory: quantity('memory', DEFAULT_CAPS.memory),
        storage: quantity('storage', DEFAULT_CAPS.storage),
      },
      (c?.getOptional('enforced') as Values | undefined) ?? {},
    );
  }

  private matches(path: Path, exact: boolean): boolean {
    return this.patterns.some(pattern => {
      if (
        exact ? pattern.length !== path.length : pattern.length <= path.length
      )
        return false;
      return path.every(
        (seg, i) =>
          typeof seg === 'string' && (pattern[i] === '*' || pattern[i] === seg),
      );
    });
  }

  /** Checks the values a user sent; throws an InputError naming the first offending path. */
  checkUserValues(values: Values): void {
    this.walk(values, []);
  }

  private walk(v: unknown, path: Path): void {
    if (path.length && this.matches(path, true)) {
      this.checkContent(v, path);
      this.checkSettable(v, path);
      return;
    }
    if (isObject(v) && (path.length === 0 || this.matches(path, false))) {
      for (const [k, child] of Object.entries(v)) {
        if (CONTROL_CHARS.test(k))
          fail([...path, k], 'control characters are not allowed in keys');
        this.walk(child, [...path, k]);
      }
      return;
    }
    fail(
      firstLeaf(v, path),
      `is set by the platform; users may set only ${this.userSettable.join(
        ', ',
      )} (devSessions.values.userSettable)`,
    );
  }

  /** No control characters (newlines included) and no huge strings anywhere in a user value. */
  private checkContent(v: unknown, path: Path): void {
    if (typeof v === 'string') {
      if (CONTROL_CHARS.test(v))
        fail(
          path,
          'control characters (such as newlines or tabs) are not allowed',
        );
      if (v.length > MAX_STRING)
        fail(path, `must be at most ${MAX_STRING} characters`);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => this.checkContent(item, [...path, i]));
    } else if (isObject(v)) {
      for (const [k, child] of Object.entries(v)) {
        if (CONTROL_CHARS.test(k))
          fail([...path, k], 'control characters are not allowed in keys');
        this.checkContent(child, [...path, k]);
      }
    } else if (v !== null && !['number', 'boolean'].includes(typeof v)) {
      fail(path, 'must be JSON data');
    }
  }

  /** Rules of the well-known settable paths (whatever the allowlist says, these stay safe). */
  private checkSettable(v: unknown, path: Path): void {
    const [top, role, field, sub, leaf] = path;
    if (top !== 'containers') return;
    if (!ROLES.includes(String(role)))
      fail(
        path.slice(0, 2),
        `must be one of the containers ${ROLES.join(', ')}`,
      );
    if (field === 'command' || field === 'args') {
      if (!Array.isArray(v) || v.some(a => typeof a !== 'string'))
        fail(path, 'must be a list of strings');
      if (v.length > MAX_ARGS)
        fail(path, `must have at most ${MAX_ARGS} items`);
    } else if (field === 'env') {
      if (!Array.isArray(v)) fail(path, 'must be a list of {name, value}');
      v.forEach((e, i) => {
        if (!isObject(e)) fail([...path, i], 'must be an object {name, value}');
        for (const k of Object.keys(e)) {
          if (k !== 'name' && k !== 'value') {
            fail(
              [...path, i, k],
              'is set by the platform; an environment variable has only name and a plain string value',
            );
          }
        }
        if (
          typeof e.name !== 'string' ||
          !ENV_NAME.test(e.name) ||
          e.name.length > 128
        ) {
          fail(
            [...path, i, 'name'],
            'must be an environment variable name (letters, digits, "_", "-", ".")',
          );
        }
        if (e.value !== undefined && typeof e.value !== 'string')
          fail([...path, i, 'value'], 'must be a string');
      });
    } else if (field === 'image' && sub === 'repository') {
      if (typeof v !== 'string') fail(path, 'must be a string');
      const registry = imageRegistry(v);
      if (!this.imageRegistries.includes(registry)) {
        fail(
          path,
          `registry ${registry} is not allowed (allowed: ${this.imageRegistries.join(
            ', ',
          )}; devSessions.values.allowedImageRegistries)`,
        );
      }
    } else if (field === 'resources' && leaf !== undefined) {
      if (!isQuantity(v))
        fail(
          path,
          'must be a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi',
        );
    }
  }

  /**
   * Checks the effective values (chart defaults < platform defaults < user < enforced) against
   * the caps: the three containers' limits added up, and every volume's size added up.
   * `userValues` only decides which path an error names.
   */
  checkCaps(effective: Values, userValues: Values): void {
    const presets = (effective.presets ?? {}) as Record<string, any>;
    const preset = presets[String(effective.size)] ?? {};
    const containers = (effective.containers ?? {}) as Record<string, any>;
    const userContainers = (userValues.containers ?? {}) as Record<string, any>;
    const blame = (kind: 'cpu' | 'memory'): Path => {
      const role = ROLES.find(
        r => userContainers[r]?.resources?.limits?.[kind] !== undefined,
      );
      return role
        ? ['containers', role, 'resources', 'limits', kind]
        : ['size'];
    };
    for (const kind of ['cpu', 'memory'] as const) {
      const cap = this.caps[kind];
      if (!cap) continue;
      let total = 0;
      for (const role of ROLES) {
        const limit =
          containers[role]?.resources?.limits?.[kind] ??
          (effective.resources as any)?.limits?.[kind] ??
          preset.resources?.limits?.[kind];
        if (limit === undefined) {
          fail(
            ['containers', role, 'resources', 'limits', kind],
            `is required: every container needs a ${kind} limit`,
          );
        }
        if (!isQuantity(limit))
          fail(blame(kind), `"${limit}" is not a Kubernetes quantity`);
        total += parseQuantity(limit);
      }
      if (total > parseQuantity(cap) * (1 + 1e-9)) {
        const path = blame(kind);
        throw new InputError(
          `Invalid ${
            path[0] === 'size' ? 'size' : valuePath(path)
          }: the session's ${kind} limits add up to ${format(
            kind,
            total,
          )}, above the platform's cap of ${cap} (devSessions.values.caps.${kind})`,
        );
      }
    }
    const cap = this.caps.storage;
    if (!cap) return;
    const storage = (effective.storage ?? {}) as Record<string, any>;
    let total = 0;
    if (storage.enabled !== false && !storage.existingClaim)
      total += parseQuantity(storage.size || preset.storage || 0);
    if (storage.history?.enabled)
      total += parseQuantity(storage.history.size ?? 0);
    if (storage.agentConfig?.enabled)
      total += parseQuantity(storage.agentConfig.size ?? 0);
    if (total > parseQuantity(cap) * (1 + 1e-9)) {
      throw new InputError(
        `Invalid size: the session's volumes add up to ${format(
          'storage',
          total,
        )}, above the platform's cap of ${cap} (devSessions.values.caps.storage)`,
      );
    }
  }
}

function format(kind: 'cpu' | 'memory' | 'storage', n: number): string {
  if (kind === 'cpu') return `${Math.round(n * 1000) / 1000} cores`;
  return `${Math.round((n / 1024 ** 3) * 100) / 100}Gi`;
}
