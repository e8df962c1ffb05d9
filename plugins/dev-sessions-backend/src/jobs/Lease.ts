import { LoggerService } from '@backstage/backend-plugin-api';
import { Job, JobStore } from '../database/JobStore';

/**
 * Keeps a job's lease while this replica works on it: renews it every third of the lease time.
 * When a renewal finds the lease taken, or renewals keep failing until the lease would have
 * expired, `signal` aborts — the runner stops its Helm run, because another replica may now
 * claim the job and must never run Helm on the same release at the same time.
 */
export class Lease {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly watchdog: NodeJS.Timeout;
  /** When the last renewal that succeeded was sent (the lease runs from then). */
  private renewedAt = Date.now();
  private renewing = false;

  constructor(
    private readonly job: Job,
    private readonly jobs: JobStore,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly logger: LoggerService,
  ) {
    this.timer = setInterval(() => void this.renew(), leaseMs / 3);
    // independent of how long a renewal takes: a hanging database must not keep Helm running
    // past the lease
    this.watchdog = setInterval(() => {
      if (Date.now() - this.renewedAt > this.leaseMs * 0.8)
        this.lost('it could not be renewed in time');
    }, leaseMs / 20);
    this.timer.unref?.();
    this.watchdog.unref?.();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private async renew() {
    if (this.controller.signal.aborted || this.renewing) return;
    this.renewing = true;
    const sentAt = Date.now();
    try {
      if (
        await this.jobs.heartbeat(
          this.job.projectUuid,
          this.owner,
          this.leaseMs,
        )
      ) {
        this.renewedAt = sentAt;
        return;
      }
      this.lost('another replica holds it now');
    } catch (e) {
      // keep trying until the watchdog gives up
      this.logger.warn(
        `Could not renew the lease of the ${this.job.kind} job of project ${
          this.job.projectUuid
        }: ${(e as Error).message}`,
      );
    } finally {
      this.renewing = false;
    }
  }

  private lost(why: string) {
    if (this.controller.signal.aborted) return;
    this.logger.warn(
      `Lost the lease of the ${this.job.kind} job of project ${this.job.projectUuid} (${why}); stopping its Helm run`,
    );
    this.controller.abort();
    this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.watchdog);
  }
}
