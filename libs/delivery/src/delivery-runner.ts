import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { Clock } from '@heddle/common';
import { Delivery, Event } from '@heddle/db';
import { QUEUES } from '@heddle/queue';
import { DeliveryJob, deliveryJobId, queueFor } from './delivery-queues';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryRepository } from './delivery.repository';
import { AttemptOutcome, AttemptVerdict, classifyAttempt, nextRetryDelay } from './retry-policy';

/** What a consumer plugs in: its kind of target (webhook endpoint or sink). */
export interface DeliveryTargetPort<T extends { id: string; teamId: string }> {
  /** The target as it is now; null when it was deleted. */
  load(delivery: Delivery): Promise<T | null>;
  /** Why nothing should be sent to it now (disabled), or null. */
  unavailable(target: T): string | null;
  /** One attempt. Must not throw: every failure is an outcome. */
  send(target: T, delivery: Delivery, event: Event, attempt: number): Promise<AttemptOutcome>;
  /** Health bookkeeping after each attempt (success clears, failures may disable the target). */
  afterAttempt(target: T, verdict: AttemptVerdict): Promise<void>;
}

/** How long an attempt may take before the sweep may assume its worker died. */
const ATTEMPT_LEASE_SECONDS = 120;
const MAX_EXCERPT = 1024;

export type RunResult = 'delivered' | 'retrying' | 'failed' | 'skipped';

/**
 * Makes one attempt of one delivery and records it: claim (one winner per attempt), send, record the
 * attempt, then delivered, failed, or the next attempt scheduled on the retry policy's schedule.
 * The job that makes the next attempt has a deterministic id, so the sweep re-creating a lost one
 * never duplicates it.
 */
@Injectable()
export class DeliveryRunner {
  private readonly logger = new Logger(DeliveryRunner.name);

  constructor(
    private readonly repo: DeliveryRepository,
    private readonly clock: Clock,
    private readonly metrics: DeliveryMetrics,
    @InjectQueue(QUEUES.webhooks) private readonly webhooks: Queue<DeliveryJob>,
    @InjectQueue(QUEUES.notify) private readonly notify: Queue<DeliveryJob>,
  ) {}

  async run<T extends { id: string; teamId: string }>(
    job: DeliveryJob,
    port: DeliveryTargetPort<T>,
  ): Promise<RunResult> {
    const delivery = await this.repo.claim(job.deliveryId, job.attempt, ATTEMPT_LEASE_SECONDS);
    if (!delivery) return 'skipped';
    const [event, target] = await Promise.all([this.repo.event(delivery.eventId), port.load(delivery)]);
    const kind = delivery.webhookId ? 'webhook' : 'sink';
    if (!event || !target) {
      await this.repo.update(delivery.id, {
        status: 'failed',
        nextAttemptAt: null,
        lastError: !target ? 'the target was deleted' : 'the event no longer exists',
      });
      this.metrics.delivered(kind, 'failed');
      return 'failed';
    }
    const unavailable = port.unavailable(target);
    if (unavailable) {
      await this.repo.update(delivery.id, { status: 'failed', nextAttemptAt: null, lastError: unavailable });
      this.metrics.delivered(kind, 'failed');
      return 'failed';
    }

    const outcome = await port.send(target, delivery, event, job.attempt);
    const verdict = classifyAttempt(outcome);
    this.metrics.attempt(kind, outcome.latencyMs, job.attempt);
    const retryIn = verdict === 'retry' ? nextRetryDelay(job.attempt, outcome.retryAfterMs) : null;
    const final: RunResult = verdict === 'delivered' ? 'delivered' : retryIn === null ? 'failed' : 'retrying';
    const now = this.clock.now();
    await this.repo.transaction(async () => {
      await this.repo.recordAttempt({
        teamId: delivery.teamId,
        deliveryId: delivery.id,
        number: job.attempt,
        statusCode: outcome.statusCode ?? null,
        latencyMs: outcome.latencyMs,
        responseExcerpt: outcome.responseExcerpt?.slice(0, MAX_EXCERPT) ?? null,
        error: outcome.error ?? null,
      });
      await this.repo.update(delivery.id, {
        status: final === 'delivered' ? 'delivered' : final === 'failed' ? 'failed' : 'pending',
        lastStatus: outcome.statusCode ?? null,
        lastError: outcome.error ?? (verdict === 'delivered' ? null : `HTTP ${outcome.statusCode}`),
        deliveredAt: final === 'delivered' ? now : null,
        nextAttemptAt: final === 'retrying' ? new Date(now.getTime() + retryIn!) : null,
      });
    });
    await port.afterAttempt(target, verdict);
    if (final === 'retrying') await this.enqueue(delivery, job.attempt + 1, retryIn!);
    if (final !== 'retrying') this.metrics.delivered(kind, final);
    return final;
  }

  /** Enqueues one attempt of a delivery (relay, retries, sweep, resend). */
  async enqueue(delivery: Pick<Delivery, 'id' | 'webhookId'>, attempt: number, delayMs = 0): Promise<void> {
    const queue = queueFor(delivery) === QUEUES.webhooks ? this.webhooks : this.notify;
    await queue.add(
      'delivery.attempt',
      { deliveryId: delivery.id, attempt },
      { jobId: deliveryJobId(delivery.id, attempt), delay: Math.max(0, delayMs) },
    );
  }

  async enqueueMany(deliveries: Pick<Delivery, 'id' | 'webhookId'>[], attemptOf: (id: string) => number) {
    const byQueue = new Map<Queue<DeliveryJob>, { name: string; data: DeliveryJob; opts: { jobId: string } }[]>();
    for (const d of deliveries) {
      const queue = queueFor(d) === QUEUES.webhooks ? this.webhooks : this.notify;
      const attempt = attemptOf(d.id);
      const list = byQueue.get(queue) ?? [];
      list.push({
        name: 'delivery.attempt',
        data: { deliveryId: d.id, attempt },
        opts: { jobId: deliveryJobId(d.id, attempt) },
      });
      byQueue.set(queue, list);
    }
    for (const [queue, jobs] of byQueue) if (jobs.length) await queue.addBulk(jobs);
  }

  get log(): Logger {
    return this.logger;
  }
}
