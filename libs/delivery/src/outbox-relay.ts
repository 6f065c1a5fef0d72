import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock, UNRELAYED_EVENT_TYPES } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { Event, Prisma } from '@heddle/db';
import { EventNotifications } from '@heddle/events';
import { WorkScope } from '@heddle/queue';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryRunner } from './delivery-runner';
import { wantsEvent } from './event-payload';
import { RelayRepository, RelayTarget } from './relay.repository';

const TEAMS_PER_BATCH = 20;
const EVENTS_PER_TEAM = 500;
const SWEEP_LIMIT = 1000;
const CURSOR_REFRESH_MS = 1000;

/**
 * The `outbox` consumer. Reads committed events in seq order per team and creates one delivery row
 * per matching webhook endpoint or sink, advancing the team's cursor in the same transaction (row
 * locks with SKIP LOCKED: several relays share teams, none relays twice), then enqueues one job per
 * delivery with a deterministic id. Woken by the events' NOTIFY, polling as a fallback. Its sweep
 * re-enqueues pending deliveries whose attempt is overdue, so Redis never holds the only copy.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private closed = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private rung = true;
  private unsubscribe?: () => void;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly relays: RelayRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly runner: DeliveryRunner,
    private readonly notifications: EventNotifications,
    private readonly metrics: DeliveryMetrics,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly scope: WorkScope,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.notifications.subscribeAll(() => this.ring());
    this.loop = this.run();
    this.sweepTimer = setInterval(() => void this.sweep(), this.config.deliverySweepMs);
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.sweepTimer);
    this.ring();
    await this.loop;
  }

  private ring(): void {
    this.rung = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    let cursorsAt = 0;
    while (!this.closed) {
      this.rung = false;
      try {
        // New teams get their cursor here (at most once a second: an INSERT … SELECT over teams).
        if (Date.now() - cursorsAt >= CURSOR_REFRESH_MS) {
          await this.relays.ensureCursors();
          cursorsAt = Date.now();
        }
        const relayed = await this.relayOnce();
        if (relayed > 0) continue;
      } catch (err) {
        this.logger.warn(`relay round failed; retrying: ${String(err)}`);
      }
      if (this.rung || this.closed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.config.outboxPollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeUp = done;
      });
      this.wakeUp = undefined;
    }
  }

  /** One round over the teams that are behind. Returns the number of events relayed. */
  async relayOnce(): Promise<number> {
    const result = await this.relays.transaction(async () => {
      const cursors = await this.relays.lockBehind(TEAMS_PER_BATCH, this.scope.teamIds());
      let events = 0;
      const created: { id: string; webhookId: string | null; committedAt: Date }[] = [];
      for (const cursor of cursors) {
        const batch = await this.relays.eventsAfter(cursor.teamId, cursor.relayedSeq, EVENTS_PER_TEAM);
        if (batch.length === 0) continue;
        const targets = await this.relays.targets(cursor.teamId);
        const fromGithub = await this.githubTasks(cursor.teamId, targets, batch);
        const now = this.clock.now();
        const rows: Prisma.DeliveryCreateManyInput[] = [];
        for (const event of batch) {
          if (UNRELAYED_EVENT_TYPES.includes(event.type as never)) continue;
          for (const target of targets) {
            if (!wantsEvent(target.events, event.type)) continue;
            if (target.githubTasksOnly && !(event.taskId && fromGithub.has(event.taskId))) continue;
            rows.push({
              teamId: cursor.teamId,
              eventId: event.id,
              eventSeq: event.seq,
              eventType: event.type,
              webhookId: target.kind === 'webhook' ? target.id : null,
              sinkId: target.kind === 'sink' ? target.id : null,
              nextAttemptAt: now,
            });
          }
        }
        const made = await this.relays.createDeliveries(rows);
        const committed = new Map(batch.map((e) => [e.id, e.createdAt] as const));
        for (const d of made)
          created.push({ id: d.id, webhookId: d.webhookId, committedAt: committed.get(d.eventId)! });
        await this.relays.advance(cursor.teamId, batch.at(-1)!.seq);
        events += batch.length;
      }
      return { events, created };
    });
    if (result.created.length) {
      await this.runner.enqueueMany(result.created, () => 1);
      const now = Date.now();
      for (const d of result.created) this.metrics.relayed(now - d.committedAt.getTime());
    }
    return result.events;
  }

  /** The batch's tasks a GitHub hook made, read only when a target replies to GitHub. */
  private githubTasks(teamId: string, targets: RelayTarget[], batch: Event[]): Promise<Set<string>> {
    const replying = targets.filter((t) => t.githubTasksOnly);
    if (replying.length === 0) return Promise.resolve(new Set());
    const taskIds = new Set<string>();
    for (const event of batch)
      if (event.taskId && replying.some((t) => wantsEvent(t.events, event.type))) taskIds.add(event.taskId);
    return this.relays.tasksFromGithub(teamId, [...taskIds]);
  }

  /** Re-enqueues pending deliveries whose attempt is overdue (lost job, dead worker). */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      const graceSeconds = Math.max(5, Math.ceil(this.config.deliverySweepMs / 1000));
      const overdue = await this.deliveries.overdue(graceSeconds, SWEEP_LIMIT, this.scope.teamIds());
      if (overdue.length === 0) return 0;
      const attempts = new Map(overdue.map((d) => [d.id, d.attempts + 1] as const));
      await this.runner.enqueueMany(overdue, (id) => attempts.get(id)!);
      this.logger.warn(`delivery sweep re-enqueued ${overdue.length} overdue attempt(s)`);
      return overdue.length;
    } catch (err) {
      this.logger.warn(`delivery sweep failed: ${String(err)}`);
      return 0;
    } finally {
      this.sweeping = false;
    }
  }
}
