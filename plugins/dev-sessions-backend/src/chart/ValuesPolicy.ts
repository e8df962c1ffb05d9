import { Config } from '@backstage/config';
import { checkCaps, DEFAULT_CAPS, SessionCaps } from './caps';
import { isDottedPath, PathAllowlist } from './pathAllowlist';
import { isQuantity } from './quantity';
import { checkContent, checkedEntries, checkSettable } from './userValueRules';
import { fail, firstLeaf, isObject, Values, ValuePath } from './valuePaths';

export { DEFAULT_CAPS } from './caps';
export { imageRegistry } from './userValueRules';
export { valuePath } from './valuePaths';

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
  'containers.*.image.digest',
  'containers.*.resources.requests.cpu',
  'containers.*.resources.requests.memory',
  'containers.*.resources.limits.cpu',
  'containers.*.resources.limits.memory',
];

/** Registries user-set images may come from (the chart's default images are on Docker Hub). */
export const DEFAULT_IMAGE_REGISTRIES = ['docker.io'];

/**
 * The platform's rules for chart values (`devSessions.values`): an allowlist of the value paths
 * users may set, the image registries they may use, and caps per session. Checked before Helm
 * runs; every refusal is an InputError (400) naming the value path and the rule.
 */
export class ValuesPolicy {
  private readonly allowlist: PathAllowlist;

  constructor(
    readonly userSettable: string[] = DEFAULT_USER_SETTABLE,
    readonly imageRegistries: string[] = DEFAULT_IMAGE_REGISTRIES,
    readonly caps: SessionCaps = DEFAULT_CAPS,
    /** Values merged over everything else: the user cannot change them. */
    readonly enforced: Values = {},
  ) {
    this.allowlist = new PathAllowlist(userSettable);
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
      if (!isDottedPath(p)) {
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

  /** Checks the values a user sent; throws an InputError naming the first offending path. */
  checkUserValues(values: Values): void {
    this.walk(values, []);
  }

  private walk(v: unknown, path: ValuePath): void {
    if (path.length && this.allowlist.matches(path, true)) {
      checkContent(v, path);
      checkSettable(v, path, this.imageRegistries);
      return;
    }
    if (
      isObject(v) &&
      (path.length === 0 || this.allowlist.matches(path, false))
    ) {
      for (const [k, child] of checkedEntries(v, path))
        this.walk(child, [...path, k]);
      return;
    }
    fail(
      firstLeaf(v, path),
      `is set by the platform; users may set only ${this.userSettable.join(
        ', ',
      )} (devSessions.values.userSettable)`,
    );
  }

  /**
   * Checks the effective values (chart defaults < platform defaults < user < enforced) against
   * the caps (see caps.ts); `userValues` only decides which path an error names.
   */
  checkCaps(effective: Values, userValues: Values): void {
    checkCaps(this.caps, effective, userValues);
  }
}
