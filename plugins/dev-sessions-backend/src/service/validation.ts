import { InputError } from '@backstage/errors';
import {
  DEV_SESSION_SIZES,
  DevSessionSize,
  DevSessionSpec,
  isProjectUuid,
  normalizeEntityRef,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';

const PROJECT_ID_MAX = 100;
/** Letters (any script), digits, space, dot, underscore, hyphen. */
const PROJECT_ID_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;
const ENTITY_REF_PATTERN =
  /^(user|group):(?:[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const VALUES_MAX_BYTES = 64 * 1024;
const RESERVED_VALUE_KEYS = ['project', 'user'];

function fail(field: string, rule: string): never {
  throw new InputError(`Invalid ${field}: ${rule}`);
}

/** Project UUID from a path or input; 400 naming the field when it is not a UUID. */
export function validateProjectUuid(
  value: unknown,
  field = 'projectUuid',
): string {
  if (!isProjectUuid(value)) {
    fail(field, 'must be a UUID such as 2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10');
  }
  return value.toLowerCase();
}

export function validateProjectId(value: unknown): string {
  if (typeof value !== 'string') fail('projectId', 'must be a string');
  if (value.length < 1 || value.length > PROJECT_ID_MAX) {
    fail('projectId', `must be 1 to ${PROJECT_ID_MAX} characters long`);
  }
  if (!PROJECT_ID_PATTERN.test(value) || value !== value.trim()) {
    fail(
      'projectId',
      'may contain only letters, digits, spaces, ".", "_" and "-", and must start with a letter or digit',
    );
  }
  return value;
}

/** An owner entity ref (`user:…` or `group:…`), normalised to `kind:namespace/name` in lower case. */
export function validateOwner(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length > 255 ||
    !ENTITY_REF_PATTERN.test(value)
  ) {
    fail(
      'owner',
      'must be a user or group entity ref such as user:default/jane',
    );
  }
  return normalizeEntityRef(value);
}

const COMPONENT_REF_PATTERN =
  /^component:(?:[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export function validateComponent(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !COMPONENT_REF_PATTERN.test(value)) {
    fail(
      'component',
      'must be a component entity ref such as component:default/checkout',
    );
  }
  return value;
}

export function validateSize(value: unknown): DevSessionSize {
  if (
    typeof value !== 'string' ||
    !(DEV_SESSION_SIZES as readonly string[]).includes(value)
  ) {
    fail('size', `must be one of ${DEV_SESSION_SIZES.join(', ')}`);
  }
  return value as DevSessionSize;
}

export function validateValues(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('values', 'must be an object of chart values');
  }
  for (const key of RESERVED_VALUE_KEYS) {
    if (key in value)
      fail(`values.${key}`, 'is set by dev-sessions and cannot be given');
  }
  if (Buffer.byteLength(JSON.stringify(value)) > VALUES_MAX_BYTES) {
    fail('values', `must be at most ${VALUES_MAX_BYTES / 1024} kB as JSON`);
  }
  return value as Record<string, unknown>;
}

export function validateTimeoutSeconds(
  value: unknown,
  min = 30,
): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    value > 3600
  ) {
    fail('timeoutSeconds', `must be an integer from ${min} to 3600`);
  }
  return value;
}

/** Validates a PUT body or action input; defaults come from the caller. */
export function validateCreateRequest(
  projectUuid: unknown,
  body: unknown,
  defaults: { owner?: string; size: DevSessionSize },
): DevSessionSpec {
  const uuid = validateProjectUuid(projectUuid);
  if (
    body !== undefined &&
    (typeof body !== 'object' || body === null || Array.isArray(body))
  ) {
    fail('body', 'must be a JSON object');
  }
  const b = (body ?? {}) as Record<string, unknown>;
  const allowed = ['projectId', 'owner', 'component', 'size', 'values'];
  for (const key of Object.keys(b)) {
    if (!allowed.includes(key))
      fail(key, `is not a known field (known: ${allowed.join(', ')})`);
  }
  const owner = b.owner ?? defaults.owner;
  if (owner === undefined) {
    fail(
      'owner',
      'is required when the caller is not a user (give a user or group entity ref)',
    );
  }
  return {
    projectUuid: uuid,
    projectId: validateProjectId(b.projectId ?? uuid),
    owner: validateOwner(owner),
    component: validateComponent(b.component),
    size: validateSize(b.size ?? defaults.size),
    values: validateValues(b.values),
  };
}
