/**
 * Catalog `metadata.name` of a project's dev-session entity: a readable slug of the project id
 * (accents stripped, lower case, runs of other characters turned into "-", at most 26
 * characters) followed by the project UUID, so it is unique, stable and valid (at most 63
 * characters of [a-z0-9-]). When the slug is empty or the id is the UUID itself:
 * `dev-session-<uuid>`.
 * @public
 */
export function devSessionEntityName(
  projectId: string,
  projectUuid: string,
): string {
  const uuid = projectUuid.toLowerCase();
  const slug = projectId
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 26)
    .replace(/-+$/, '');
  if (!slug || slug === uuid || uuid.startsWith(slug))
    return `dev-session-${uuid}`;
  return `${slug}-${uuid}`;
}

/** Entity ref of a project's dev-session entity. @public */
export function devSessionEntityRef(
  projectId: string,
  projectUuid: string,
): string {
  return `resource:default/${devSessionEntityName(projectId, projectUuid)}`;
}

/**
 * The canonical form of an owner entity ref, for storing and comparing: `kind:namespace/name`,
 * lower case (entity refs are case-insensitive), with `default` as the namespace when none is
 * given and `defaultKind` when no kind is given. `user:jane` and `User:default/Jane` both become
 * `user:default/jane`.
 * @public
 */
export function normalizeEntityRef(ref: string, defaultKind = 'user'): string {
  const m = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(ref.trim());
  if (!m) return ref.trim().toLowerCase();
  const [, kind = defaultKind, namespace = 'default', name] = m;
  return `${kind}:${namespace}/${name}`.toLowerCase();
}
