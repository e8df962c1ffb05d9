import { ValuePath } from './valuePaths';

/** A dotted value path of the allowlist: keys, or `*` for exactly one key. */
const DOTTED_PATH = /^([A-Za-z0-9_-]+|\*)(\.([A-Za-z0-9_-]+|\*))*$/;

/** Whether a configured allowlist entry is a dotted value path such as `containers.*.env`. */
export function isDottedPath(p: string): boolean {
  return DOTTED_PATH.test(p);
}

/** The value paths users may set (`devSessions.values.userSettable`), matched against paths. */
export class PathAllowlist {
  private readonly patterns: string[][];

  constructor(paths: string[]) {
    this.patterns = paths.map(p => p.split('.'));
  }

  /** `exact`: the path is an allowed one; otherwise: an allowed path lies below it. */
  matches(path: ValuePath, exact: boolean): boolean {
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
}
