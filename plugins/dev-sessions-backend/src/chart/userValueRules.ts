import { DEV_SESSION_ROLES } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { isQuantity } from './quantity';
import { fail, isObject, Values, ValuePath } from './valuePaths';

// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ROLES: readonly string[] = DEV_SESSION_ROLES;
const MAX_ARGS = 100;
const MAX_STRING = 16 * 1024;

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

/** The entries of an object in a user value, refusing each key with control characters. */
export function* checkedEntries(
  v: Values,
  path: ValuePath,
): Generator<[string, unknown]> {
  for (const [k, child] of Object.entries(v)) {
    if (CONTROL_CHARS.test(k))
      fail([...path, k], 'control characters are not allowed in keys');
    yield [k, child];
  }
}

/** No control characters (newlines included) and no huge strings anywhere in a user value. */
export function checkContent(v: unknown, path: ValuePath): void {
  if (typeof v === 'string') {
    if (CONTROL_CHARS.test(v))
      fail(
        path,
        'control characters (such as newlines or tabs) are not allowed',
      );
    if (v.length > MAX_STRING)
      fail(path, `must be at most ${MAX_STRING} characters`);
  } else if (Array.isArray(v)) {
    v.forEach((item, i) => checkContent(item, [...path, i]));
  } else if (isObject(v)) {
    for (const [k, child] of checkedEntries(v, path))
      checkContent(child, [...path, k]);
  } else if (v !== null && !['number', 'boolean'].includes(typeof v)) {
    fail(path, 'must be JSON data');
  }
}

function checkEnv(v: unknown, path: ValuePath): void {
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
}

/**
 * Rules of the well-known settable paths (whatever the allowlist says, these stay safe); user-set
 * images must come from one of `imageRegistries`.
 */
export function checkSettable(
  v: unknown,
  path: ValuePath,
  imageRegistries: string[],
): void {
  const [top, role, field, sub, leaf] = path;
  if (top !== 'containers') return;
  if (!ROLES.includes(String(role)))
    fail(path.slice(0, 2), `must be one of the containers ${ROLES.join(', ')}`);
  if (field === 'command' || field === 'args') {
    if (!Array.isArray(v) || v.some(a => typeof a !== 'string'))
      fail(path, 'must be a list of strings');
    if (v.length > MAX_ARGS) fail(path, `must have at most ${MAX_ARGS} items`);
  } else if (field === 'env') {
    checkEnv(v, path);
  } else if (field === 'image' && sub === 'repository') {
    if (typeof v !== 'string') fail(path, 'must be a string');
    const registry = imageRegistry(v);
    if (!imageRegistries.includes(registry)) {
      fail(
        path,
        `registry ${registry} is not allowed (allowed: ${imageRegistries.join(
          ', ',
        )}; devSessions.values.allowedImageRegistries)`,
      );
    }
  } else if (field === 'resources' && leaf !== undefined) {
    if (!isQuantity(v))
      fail(path, 'must be a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi');
  }
}
