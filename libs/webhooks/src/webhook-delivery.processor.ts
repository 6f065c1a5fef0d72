import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@heddle/config';
import { DeliveryJob, DeliveryRunner, EndpointSlots, RunResult } from '@heddle/delivery';
import { QUEUES, QueueMetrics } from '@heddle/queue';
import { WebhookPort } from './webhook.port';
import { WebhooksRepository } from './webhooks.repository';

/** The job name DeliveryRunner.enqueue uses for every attempt. */
export const DELIVERY_ATTEMPT_JOB = 'delivery.attempt';
/** A job that finds its endpoint's slots taken comes back after this long (plus jitter). */
const SLOT_WAIT_MS = 200;

/**
 * The `webhooks` consumer: one job per attempt of one delivery (`dlv_<delivery>_<attempt>`), run by
 * the shared DeliveryRunner with the webhook port. At most WEBHOOK_ENDPOINT_CONCURRENCY attempts to
 * one endpoint run in this worker at once; a job finding them all taken goes back to the delayed set
 * for a moment, so a slow receiver holds a few slots and the other endpoints keep flowing.
 */
@Processor(QUEUES.webhooks)
export class WebhookDeliveryProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);
  private readonly slots: EndpointSlots;

  constructor(
    private readonly runner: DeliveryRunner,
    private readonly port: WebhookPort,
    private readonly repository: WebhooksRepository,
    private readonly config: AppConfig,
    private readonly metrics: QueueMetrics,
  ) {
    super();
    this.slots = new EndpointSlots(config.webhookEndpointConcurrency);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.webhookConcurrency;
  }

  async process(job: Job, token?: string): Promise<{ result: RunResult }> {
    if (job.name !== DELIVERY_ATTEMPT_JOB)
      throw new UnrecoverableError(`unknown job ${job.name} on queue ${QUEUES.webhooks}`);
    this.metrics.started(QUEUES.webhooks, job);
    const data = job.data as DeliveryJob;
    const target = await this.repository.deliveryTarget(data.deliveryId);
    if (!target?.webhookId) return { result: 'skipped' };
    const key = target.webhookId;
    if (!this.slots.tryAcquire(key)) {
      await job.moveToDelayed(Date.now() + SLOT_WAIT_MS + Math.floor(Math.random() * SLOT_WAIT_MS), token);
      throw new DelayedError();
    }
    try {
      return { result: await this.runner.run(data, this.port) };
    } catch (err) {
      this.logger.error(`attempt ${data.attempt} of delivery ${data.deliveryId} failed: ${String(err)}`);
      throw err;
    } finally {
      this.slots.release(key);
    }
  }
}
