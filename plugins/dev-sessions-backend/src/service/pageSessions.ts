import { DevSession } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { SessionStore, StoredSession } from '../database/SessionStore';
import { SessionAccess, SessionListQuery } from './types';

/**
 * One page of the session list under the caller's read access. ALLOW and IS_OWNER conditions
 * run in the database (filters, order, paging and the count); any other conditions are applied
 * in memory to every session that matches the filters, and that list is paged, so the count
 * and the pages stay right either way.
 */
export async function pageSessions(
  store: SessionStore,
  toPublic: (s: StoredSession) => DevSession,
  request: { query: SessionListQuery; access: SessionAccess },
): Promise<{ items: DevSession[]; totalCount: number }> {
  const { query, access } = request;
  const { offset, limit, ...filter } = query;
  if (access.type === 'predicate') {
    const visible = (await store.listMatching(filter))
      .map(toPublic)
      .filter(access.matches);
    return {
      items: visible.slice(offset, offset + limit),
      totalCount: visible.length,
    };
  }
  const page = await store.page(
    access.type === 'criteria'
      ? { ...filter, criteria: access.criteria }
      : filter,
    { offset, limit },
  );
  return { items: page.items.map(toPublic), totalCount: page.totalCount };
}
