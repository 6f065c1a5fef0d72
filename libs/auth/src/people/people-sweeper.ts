import { Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '@heddle/common';
import { InvitesRepository } from './invites.repository';
import { SessionsRepository } from './sessions.repository';

const DAY_MS = 24 * 3600_000;
/** An ended login session is kept this long (to show why a cookie stopped working), then deleted. */
export const SESSION_RETENTION_MS = 7 * DAY_MS;
/** A claimed or expired invite is kept this long (the join itself stays in the audit log as `member.join`). */
export const INVITE_RETENTION_MS = 30 * DAY_MS;
const SWEEP_EVERY_MS = 3600_000;
const BATCH = 1000;

/**
 * Deletes what login leaves behind: ended sessions and settled invites, past their retention, in
 * bounded batches, hourly and once at start. Runs in `maintenance` workers; several at once only
 * delete the same rows.
 */
@Injectable()
export class PeopleSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PeopleSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly invites: InvitesRepository,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.running = this.sweep().catch((err: unknown) =>
        this.logger.warn(`sweep of sessions and invites failed; retried in an hour: ${String(err)}`),
      );
    };
    run();
    this.timer = setInterval(run, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; answers how many rows went. */
  async sweep(): Promise<{ sessions: number; invites: number }> {
    const now = this.clock.now().getTime();
    const sessions = await this.drain((n) => this.sessions.deleteEndedBefore(new Date(now - SESSION_RETENTION_MS), n));
    const invites = await this.drain((n) => this.invites.deleteSettledBefore(new Date(now - INVITE_RETENTION_MS), n));
    if (sessions + invites > 0)
      this.logger.log(`deleted ${sessions} ended session(s) and ${invites} settled invite(s)`);
    return { sessions, invites };
  }

  private async drain(batch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (let deleted = BATCH; deleted === BATCH; total += deleted) deleted = await batch(BATCH);
    return total;
  }
}

/** Part of the `maintenance` consumer. */
@Module({ providers: [SessionsRepository, InvitesRepository, PeopleSweeper] })
export class PeopleSweepModule {}
