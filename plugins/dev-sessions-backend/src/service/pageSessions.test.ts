/*
 * Paging under a conditional read decision, on the real databases: the policy's IS_OWNER
 * conditions run as SQL, other conditions are applied in memory before paging, and both give
 * the same pages and counts.
 */
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { PermissionsService } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { devSessionReadPermission } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { SessionStore } from '../database/SessionStore';
import {
  newSession,
  recordedEvents,
  sessionStoreOn,
} from '../__testUtils__/sessions';
import { devSessionPolicyDecision } from '../policyDecision';
import { createDevSessionAuthorizer } from '../router/authorize';
import { pageSessions } from './pageSessions';
import { SessionAccess, SessionListQuery } from './types';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const JANE = 'user:default/jane';
const TEAM = 'group:default/team';
const BOB = 'user:default/bob';
const nth = (n: number) =>
  `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

/** Permissions that answer every conditional query with one decision. */
const deciding = (decision: PolicyDecision): PermissionsService => ({
  authorize: async () => {
    throw new Error('the list asks for conditional decisions only');
  },
  authorizeConditional: async queries => queries.map(() => decision),
});

/** Jane's conditional decision from the shipped policy: IS_OWNER with Jane and her team. */
const janesDecision = devSessionPolicyDecision(
  { permission: devSessionReadPermission },
  {
    credentials: mockCredentials.user(JANE),
    info: { userEntityRef: JANE, ownershipEntityRefs: [JANE, TEAM] },
  },
)!;

/** 30 sessions a minute apart (project 29 newest): Jane, the team and Bob in turn. */
async function seeded(id: Parameters<typeof databases.init>[0]) {
  const store = await sessionStoreOn(await databases.init(id));
  for (let n = 0; n < 30; n++) {
    await store.insertIfAbsent(
      newSession(nth(n), {
        projectId: `p${n}`,
        owner: [JANE, TEAM, BOB][n % 3],
      }),
      undefined,
      new Date(Date.UTC(2026, 10, 1, 10, n)).toISOString(),
    );
  }
  return store;
}

async function page(
  store: SessionStore,
  access: SessionAccess,
  query: Partial<SessionListQuery> = {},
) {
  const { events } = recordedEvents('test', () => undefined);
  const result = await pageSessions(store, s => events.toPublic(s), {
    query: { offset: 0, limit: 25, ...query },
    access,
  });
  return {
    uuids: result.items.map(s => s.projectUuid),
    totalCount: result.totalCount,
  };
}

describe.each(databases.eachSupportedId())(
  'paging under a conditional decision on %p',
  databaseId => {
    /** Jane's and the team's sessions, newest first: projects 28, 27, 25, 24, … 1, 0. */
    const visible = Array.from({ length: 30 }, (_, i) => 29 - i)
      .filter(n => n % 3 !== 2)
      .map(nth);

    it("runs the policy's IS_OWNER conditions in the query: pages and counts only what the caller may see", async () => {
      const store = await seeded(databaseId);
      const access = await createDevSessionAuthorizer(
        deciding(janesDecision),
      ).access(mockCredentials.user(JANE), devSessionReadPermission);
      expect(janesDecision.result).toBe(AuthorizeResult.CONDITIONAL);
      expect(access).toEqual({
        type: 'criteria',
        criteria: { owners: expect.arrayContaining([JANE, TEAM]) },
      });
      expect(await page(store, access, { offset: 0, limit: 8 })).toEqual({
        uuids: visible.slice(0, 8),
        totalCount: 20,
      });
      expect(await page(store, access, { offset: 16, limit: 8 })).toEqual({
        uuids: visible.slice(16),
        totalCount: 20,
      });
      // the page's own filters narrow it further, and the count follows
      expect(
        await page(store, access, { owner: TEAM, offset: 2, limit: 3 }),
      ).toEqual({
        uuids: [22, 19, 16].map(nth),
        totalCount: 10,
      });
      // Bob's own filter finds nothing Jane may see
      expect(await page(store, access, { owner: BOB })).toEqual({
        uuids: [],
        totalCount: 0,
      });
    });

    it('applies conditions it cannot query in memory, then pages: the same pages and counts', async () => {
      const store = await seeded(databaseId);
      const foreign: PolicyDecision = {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'somewhere-else',
        resourceType: 'dev-session',
        conditions: {
          anyOf: [
            {
              rule: 'IS_OWNER',
              resourceType: 'dev-session',
              params: { claims: [TEAM] },
            },
            {
              rule: 'IS_OWNER',
              resourceType: 'dev-session',
              params: { claims: ['user:jane'] },
            },
          ],
        },
      };
      const access = await createDevSessionAuthorizer(deciding(foreign)).access(
        mockCredentials.user(JANE),
        devSessionReadPermission,
      );
      expect(access.type).toBe('predicate');
      for (const [offset, limit] of [
        [0, 8],
        [8, 8],
        [16, 8],
        [19, 500],
        [40, 5],
      ]) {
        expect(await page(store, access, { offset, limit })).toEqual({
          uuids: visible.slice(offset, offset + limit),
          totalCount: 20,
        });
      }
      expect(
        await page(store, access, { search: 'P1', offset: 1, limit: 3 }),
      ).toEqual({
        // p19, p18, p16, p15, p13, p12, p10, p1 are Jane's or the team's
        uuids: [18, 16, 15].map(nth),
        totalCount: 8,
      });
    });

    it('pages everything on ALLOW, and refuses on DENY', async () => {
      const store = await seeded(databaseId);
      const access = await createDevSessionAuthorizer(
        deciding({ result: AuthorizeResult.ALLOW }),
      ).access(mockCredentials.service(), devSessionReadPermission);
      expect(access).toEqual({ type: 'all' });
      expect(await page(store, access, { offset: 27 })).toEqual({
        uuids: [2, 1, 0].map(nth),
        totalCount: 30,
      });
      await expect(
        createDevSessionAuthorizer(
          deciding({ result: AuthorizeResult.DENY }),
        ).access(mockCredentials.user(JANE), devSessionReadPermission),
      ).rejects.toThrow('Not allowed: dev-session.read');
    });
  },
);
