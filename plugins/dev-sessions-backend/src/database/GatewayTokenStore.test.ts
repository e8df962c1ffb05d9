/*
 * The gateway's tickets and sign-ins on the real databases: SQLite and PostgreSQL (./dev test
 * starts a private PostgreSQL 15 and sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING).
 * A fake clock expires tokens without sleeping.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import { sessionStoreOn } from '../__testUtils__/sessions';
import { GatewayTokenStore, TICKET_TTL_MS } from './GatewayTokenStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const TABLE = 'dev_session_gateway_tokens';
const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const ALICE = 'user:default/alice';
const HOUR = 3_600_000;

const grant = (
  projectUuid = A,
  role: 'preview' | 'chat' | 'vscode' = 'vscode',
  userRef = ALICE,
) => ({ projectUuid, role, userRef });

describe.each(databases.eachSupportedId())(
  'GatewayTokenStore on %p',
  databaseId => {
    let db: Knex;
    let now: number;
    let tokens: GatewayTokenStore;

    const rowCount = async () =>
      Number((await db(TABLE).count({ n: '*' }))[0].n);

    beforeEach(async () => {
      const knex = await databases.init(databaseId);
      // runs the migrations, as the plugin does
      db = (await sessionStoreOn(knex)).db;
      now = 1_800_000_000_000;
      tokens = new GatewayTokenStore(db, () => now);
    });

    it('redeems a ticket once, with its grant', async () => {
      const ticket = await tokens.issueTicket(grant(A, 'chat'));
      expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await tokens.redeemTicket(ticket)).toEqual({
        projectUuid: A,
        role: 'chat',
        userRef: ALICE,
        expiresAt: now + TICKET_TTL_MS,
      });
      expect(await tokens.redeemTicket(ticket)).toBeUndefined();
      expect(await rowCount()).toBe(0);
    });

    it('issues a different ticket every time', async () => {
      const t1 = await tokens.issueTicket(grant());
      const t2 = await tokens.issueTicket(grant());
      expect(t1).not.toBe(t2);
      expect((await tokens.redeemTicket(t2))?.projectUuid).toBe(A);
      expect((await tokens.redeemTicket(t1))?.projectUuid).toBe(A);
    });

    it('refuses an unknown ticket', async () => {
      await tokens.issueTicket(grant());
      expect(await tokens.redeemTicket('not-a-ticket')).toBeUndefined();
      expect(await tokens.redeemTicket('')).toBeUndefined();
    });

    it('refuses a ticket after its minute, and it is gone then', async () => {
      const late = await tokens.issueTicket(grant());
      const justInTime = await tokens.issueTicket(grant());
      now += TICKET_TTL_MS - 1;
      expect(await tokens.redeemTicket(justInTime)).toMatchObject({
        projectUuid: A,
      });
      now += 1;
      expect(await tokens.redeemTicket(late)).toBeUndefined();
      // refused, and used up: turning the clock back does not bring it back
      now -= TICKET_TTL_MS;
      expect(await tokens.redeemTicket(late)).toBeUndefined();
    });

    it('does not take a ticket for a sign-in, nor a sign-in for a ticket', async () => {
      const ticket = await tokens.issueTicket(grant());
      const { token: signin } = await tokens.issueSignin(grant(), HOUR);
      expect(await tokens.findSignin(ticket)).toBeUndefined();
      expect(await tokens.redeemTicket(signin)).toBeUndefined();
      // neither was used up by the wrong kind of look-up
      expect(await tokens.findSignin(signin)).toMatchObject({ projectUuid: A });
      expect(await tokens.redeemTicket(ticket)).toMatchObject({
        projectUuid: A,
      });
    });

    it('finds a sign-in, any number of times, until it expires', async () => {
      const { token, expiresAt } = await tokens.issueSignin(
        grant(B, 'preview', 'user:default/bob'),
        HOUR,
      );
      expect(expiresAt).toBe(now + HOUR);
      const want = {
        projectUuid: B,
        role: 'preview',
        userRef: 'user:default/bob',
        expiresAt: now + HOUR,
      };
      expect(await tokens.findSignin(token)).toEqual(want);
      now += HOUR - 1;
      expect(await tokens.findSignin(token)).toEqual(want);
      now += 1;
      expect(await tokens.findSignin(token)).toBeUndefined();
      expect(await tokens.findSignin('unknown')).toBeUndefined();
    });

    it('forgets every token of a project, and only of that project', async () => {
      const ticketA = await tokens.issueTicket(grant(A));
      const signinA = (await tokens.issueSignin(grant(A, 'preview'), HOUR))
        .token;
      const ticketB = await tokens.issueTicket(grant(B));
      const signinB = (await tokens.issueSignin(grant(B), HOUR)).token;
      await tokens.removeProject(A);
      expect(await tokens.findSignin(signinA)).toBeUndefined();
      expect(await tokens.redeemTicket(ticketA)).toBeUndefined();
      expect(await tokens.findSignin(signinB)).toMatchObject({
        projectUuid: B,
      });
      expect(await tokens.redeemTicket(ticketB)).toMatchObject({
        projectUuid: B,
      });
    });

    it('purges the expired tokens and counts them', async () => {
      await tokens.issueTicket(grant(A)); // expires at +1 min
      await tokens.issueSignin(grant(A), 30_000); // +30 s
      const { token: long } = await tokens.issueSignin(grant(B), HOUR);
      const ticketLater = await tokens.issueTicket(grant(B));
      expect(await tokens.purgeExpired()).toBe(0);
      now += 30_000;
      expect(await tokens.purgeExpired()).toBe(1);
      now += TICKET_TTL_MS - 30_000;
      expect(await tokens.purgeExpired()).toBe(2);
      expect(await tokens.purgeExpired()).toBe(0);
      expect(await tokens.findSignin(long)).toMatchObject({ projectUuid: B });
      expect(await tokens.redeemTicket(ticketLater)).toBeUndefined();
      expect(await rowCount()).toBe(1);
    });

    it('stores only the hashes of the tokens', async () => {
      const ticket = await tokens.issueTicket(grant());
      const { token } = await tokens.issueSignin(grant(), HOUR);
      const rows = await db(TABLE).select();
      expect(rows).toHaveLength(2);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(ticket);
      expect(dump).not.toContain(token);
      const sha = (t: string) => createHash('sha256').update(t).digest('hex');
      expect(rows.map(r => r.token_hash).sort()).toEqual(
        [sha(ticket), sha(token)].sort(),
      );
      // the hash itself lets no one in
      expect(await tokens.findSignin(sha(token))).toBeUndefined();
      expect(await tokens.redeemTicket(sha(ticket))).toBeUndefined();
    });

    it('lets exactly one of 10 concurrent redemptions of a ticket win', async () => {
      const ticket = await tokens.issueTicket(grant());
      // another replica on the same database redeems too
      const other = new GatewayTokenStore(db, () => now);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : tokens).redeemTicket(ticket),
        ),
      );
      const winners = results.filter(g => g !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ projectUuid: A, userRef: ALICE });
    });
  },
);
