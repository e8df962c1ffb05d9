/*
 * The durable jobs on the real databases: SQLite and PostgreSQL (./dev test starts a private
 * PostgreSQL 15 and sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING). A fake clock
 * expires leases without sleeping.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { sessionStoreOn } from '../__testUtils__/sessions';
import { JobStore } from './JobStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const C = '0b7e1f2a-3c4d-4e5f-8a9b-1c2d3e4f5a6b';
const LEASE = 30_000;

describe.each(databases.eachSupportedId())('JobStore on %p', databaseId => {
  let db: Knex;
  let now: number;
  let jobs: JobStore;
  const request = (
    uuid: string,
    kind: 'provision' | 'delete',
    lease?: { owner: string; leaseMs: number },
    timeoutSeconds = 60,
  ) =>
    db.transaction(trx => jobs.request(trx, uuid, kind, timeoutSeconds, lease));

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    // runs the migrations, as the plugin does
    db = (await sessionStoreOn(knex)).db;
    now = 1_800_000_000_000;
    jobs = new JobStore(db, () => now);
  });

  it('creates a job, leased when asked, at generation 1', async () => {
    const leased = await request(A, 'provision', {
      owner: 'r1',
      leaseMs: LEASE,
    });
    expect(leased).toEqual({
      projectUuid: A,
      kind: 'provision',
      generation: 1,
      owner: 'r1',
      leaseExpiresAt: now + LEASE,
      attempts: 0,
      timeoutSeconds: 60,
    });
    const free = await request(B, 'delete', undefined, 90);
    expect(free).toMatchObject({
      projectUuid: B,
      kind: 'delete',
      generation: 1,
      owner: undefined,
      leaseExpiresAt: 0,
      timeoutSeconds: 90,
    });
    expect(await jobs.get(A)).toEqual(leased);
    expect(await jobs.projects()).toEqual(new Set([A, B]));
    expect((await jobs.claimable(10)).map(j => j.projectUuid)).toEqual([B]);
  });

  it('turns an existing job into a newer generation of the new kind, keeping its lease', async () => {
    await request(A, 'provision', { owner: 'r1', leaseMs: LEASE });
    now += 1000;
    const claimedBefore = await db('dev_session_jobs')
      .where({ project_uuid: A })
      .update({ attempts: 2 });
    expect(claimedBefore).toBe(1);
    const next = await request(
      A,
      'delete',
      { owner: 'r2', leaseMs: 99_999 },
      120,
    );
    expect(next).toEqual({
      projectUuid: A,
      kind: 'delete',
      generation: 2,
      // still r1's: it finishes its run first, the delete starts after it
      owner: 'r1',
      leaseExpiresAt: now - 1000 + LEASE,
      attempts: 0,
      timeoutSeconds: 120,
    });
    expect((await request(A, 'provision')).generation).toBe(3);
    expect(await jobs.projects()).toEqual(new Set([A]));
  });

  it('rolls a request back with the transaction that asked for it', async () => {
    await expect(
      db.transaction(async trx => {
        await jobs.request(trx, A, 'provision', 60);
        throw new Error('the session change failed');
      }),
    ).rejects.toThrow('the session change failed');
    expect(await jobs.get(A)).toBeUndefined();
  });

  it('lets exactly one of 10 concurrent claims of an expired job win', async () => {
    await request(A, 'provision', { owner: 'dead', leaseMs: LEASE });
    expect(await jobs.claim(A, 'r0', LEASE)).toBeUndefined(); // lease still running
    now += LEASE + 1;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => jobs.claim(A, `r${i}`, LEASE)),
    );
    const winners = results.filter(j => j !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({
      projectUuid: A,
      leaseExpiresAt: now + LEASE,
      attempts: 1,
      generation: 1,
    });
    expect((await jobs.get(A))!.owner).toBe(winners[0]!.owner);
    expect(await jobs.claimable(10)).toEqual([]);
  });

  it('counts every claim in attempts', async () => {
    await request(A, 'provision');
    for (let i = 1; i <= 3; i++) {
      now += 1;
      expect((await jobs.claim(A, `r${i}`, 10))!.attempts).toBe(i);
      now += 11;
    }
  });

  it('extends the lease only for its owner, and only while it holds it', async () => {
    await request(A, 'provision', { owner: 'r1', leaseMs: LEASE });
    now += 10_000;
    expect(await jobs.heartbeat(A, 'r2', LEASE)).toBe(false);
    expect((await jobs.get(A))!.leaseExpiresAt).toBe(now - 10_000 + LEASE);
    expect(await jobs.heartbeat(A, 'r1', LEASE)).toBe(true);
    expect(await jobs.get(A)).toMatchObject({
      owner: 'r1',
      leaseExpiresAt: now + LEASE,
    });
    // a lease that expired may already be someone else's: no renewal after it
    now += LEASE + 1;
    expect(await jobs.heartbeat(A, 'r1', LEASE)).toBe(false);
    expect(await jobs.claim(A, 'r2', LEASE)).toMatchObject({ owner: 'r2' });
    expect(await jobs.heartbeat(A, 'r1', LEASE)).toBe(false);
    expect((await jobs.get(A))!.owner).toBe('r2');
  });

  it('completes only with the same owner and the same generation', async () => {
    const job = await request(A, 'provision', { owner: 'r1', leaseMs: LEASE });
    const complete = (j: typeof job, owner: string) =>
      db.transaction(trx => jobs.complete(trx, j, owner));
    expect(await complete(job, 'r2')).toBe(false);
    expect(await complete({ ...job, generation: 2 }, 'r1')).toBe(false);
    expect(await jobs.get(A)).toBeDefined();
    // a newer request meanwhile: the run of generation 1 must not remove it
    const newer = await request(A, 'delete');
    expect(await complete(job, 'r1')).toBe(false);
    expect((await jobs.get(A))!.kind).toBe('delete');
    expect(await complete(newer, 'r1')).toBe(true);
    expect(await jobs.get(A)).toBeUndefined();
    expect(await complete(newer, 'r1')).toBe(false);
  });

  it('releases the lease (own jobs only), claimable again after the delay', async () => {
    await request(A, 'delete', { owner: 'r1', leaseMs: LEASE });
    await jobs.release(A, 'r2', 0);
    expect((await jobs.get(A))!.owner).toBe('r1');
    expect(await jobs.claimable(10)).toEqual([]);

    await jobs.release(A, 'r1', 10_000);
    expect(await jobs.get(A)).toMatchObject({
      owner: undefined,
      generation: 1,
    });
    expect(await jobs.claimable(10)).toEqual([]);
    expect(await jobs.claim(A, 'r2', LEASE)).toBeUndefined();
    now += 9_998;
    expect(await jobs.claimable(10)).toEqual([]);
    now += 2;
    expect((await jobs.claimable(10)).map(j => j.projectUuid)).toEqual([A]);
    expect(await jobs.claim(A, 'r2', LEASE)).toMatchObject({ owner: 'r2' });

    // without a delay it is claimable at once
    await jobs.release(A, 'r2');
    expect((await jobs.claimable(10)).map(j => j.projectUuid)).toEqual([A]);
  });

  it('lists claimable jobs least recently touched first, up to the limit, without the held ones', async () => {
    for (const uuid of [A, B, C])
      await request(uuid, 'provision', { owner: 'r1', leaseMs: LEASE });
    await request('d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a', 'provision', {
      owner: 'r1',
      leaseMs: LEASE,
    });
    expect(await jobs.claimable(10)).toEqual([]);
    for (const uuid of [C, A, B]) {
      now += 1000;
      await jobs.release(uuid, 'r1');
    }
    now += 1;
    expect((await jobs.claimable(10)).map(j => j.projectUuid)).toEqual([
      C,
      A,
      B,
    ]);
    expect((await jobs.claimable(2)).map(j => j.projectUuid)).toEqual([C, A]);
  });

  it('removes a job whatever its owner', async () => {
    await request(A, 'delete', { owner: 'r1', leaseMs: LEASE });
    await jobs.remove(A);
    expect(await jobs.get(A)).toBeUndefined();
    expect(await jobs.projects()).toEqual(new Set());
  });
});
