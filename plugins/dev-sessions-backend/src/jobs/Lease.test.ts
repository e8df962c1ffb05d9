import { mockServices } from '@backstage/backend-test-utils';
import { Job } from '../database/JobStore';
import { sleep } from '../__testUtils__/wait';
import { Lease } from './Lease';

const LEASE_MS = 300; // renewed every 100 ms

const job: Job = {
  projectUuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
  kind: 'provision',
  generation: 1,
  owner: 'r1',
  leaseExpiresAt: 0,
  attempts: 0,
  timeoutSeconds: 60,
};

function lease(heartbeat: jest.Mock) {
  const logger = mockServices.logger.mock();
  const l = new Lease(job, { heartbeat } as any, 'r1', LEASE_MS, logger);
  return { lease: l, logger };
}

/**
 * Holds a lease for three lease times; its first renewal succeeds, the later ones do what
 * `renewal` does. Returns whether and when its signal aborted, and when the lease in the database
 * ends (leaseMs after the last renewal that reached it).
 */
async function afterOneRenewal(renewal: () => Promise<boolean>) {
  let leaseEnds = Date.now() + LEASE_MS; // as JobStore.request/claim set it
  const heartbeat = jest
    .fn()
    .mockImplementationOnce(async () => {
      leaseEnds = Date.now() + LEASE_MS;
      return true;
    })
    .mockImplementation(renewal);
  const { lease: l } = lease(heartbeat);
  let abortedAt: number | undefined;
  l.signal.addEventListener('abort', () => {
    abortedAt = Date.now();
  });
  await sleep(LEASE_MS * 3);
  l.stop();
  return { heartbeat, aborted: l.signal.aborted, abortedAt, leaseEnds };
}

describe('Lease', () => {
  it('renews every third of the lease while it holds it, until stopped', async () => {
    const heartbeat = jest.fn(async () => true);
    const { lease: l } = lease(heartbeat);
    await sleep(LEASE_MS * 2 + 50);
    expect(l.signal.aborted).toBe(false);
    expect(heartbeat.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(heartbeat).toHaveBeenCalledWith(job.projectUuid, 'r1', LEASE_MS);
    l.stop();
    const calls = heartbeat.mock.calls.length;
    await sleep(LEASE_MS);
    expect(heartbeat).toHaveBeenCalledTimes(calls);
    expect(l.signal.aborted).toBe(false);
  });

  it('aborts at once when the lease is taken, and stops renewing', async () => {
    const heartbeat = jest.fn(async () => false);
    const { lease: l, logger } = lease(heartbeat);
    await sleep(LEASE_MS / 3 + 60);
    expect(l.signal.aborted).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(
      `Lost the lease of the provision job of project ${job.projectUuid} (another replica holds it now); stopping its Helm run`,
    );
    await sleep(LEASE_MS);
    expect(heartbeat).toHaveBeenCalledTimes(1);
  });

  it('keeps trying when renewals fail, and gives up before the lease can expire', async () => {
    const heartbeat = jest.fn(async () => {
      throw new Error('database is down');
    });
    const { lease: l, logger } = lease(heartbeat);
    await sleep(LEASE_MS / 3 + 60);
    expect(heartbeat).toHaveBeenCalled();
    expect(l.signal.aborted).toBe(false);
    await sleep(LEASE_MS);
    expect(l.signal.aborted).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('(it could not be renewed in time)'),
    );
    l.stop();
  });

  it('goes on holding the lease after a failed renewal that is followed by a good one', async () => {
    const heartbeat = jest
      .fn()
      .mockRejectedValueOnce(new Error('blip'))
      .mockResolvedValue(true);
    const { lease: l } = lease(heartbeat);
    await sleep(LEASE_MS * 2);
    expect(l.signal.aborted).toBe(false);
    l.stop();
  });

  // The lease in the database ends leaseMs after the last renewal that reached it; the signal
  // must abort before then, because another replica may claim the job from that moment.
  it('aborts before the lease expires when a renewal hangs', async () => {
    // the database stopped answering
    const run = await afterOneRenewal(() => new Promise(() => {}));
    expect(run.heartbeat.mock.calls.length).toBeGreaterThan(1);
    expect({
      aborted: run.aborted,
      beforeExpiry: (run.abortedAt ?? Infinity) < run.leaseEnds,
    }).toEqual({
      aborted: true,
      beforeExpiry: true,
    });
  });

  it('aborts before the lease expires when renewals fail slowly', async () => {
    // each failed renewal takes a lease's time to fail: with the default 30 s lease, a 30 s
    // connection timeout (knex waits up to 60 s for a pooled connection)
    const run = await afterOneRenewal(async () => {
      await sleep(LEASE_MS);
      throw new Error('connection timeout');
    });
    expect(run.aborted).toBe(true);
    expect(run.abortedAt!).toBeLessThan(run.leaseEnds);
  });
});
