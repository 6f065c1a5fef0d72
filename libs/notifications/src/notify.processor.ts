import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@heddle/config';
import { DeliveryJob, DeliveryRunner, EndpointSlots, RunResult } from '@heddle/delivery';
import { QUEUES, QueueMetrics } from '@heddle/queue';
import { SinkPort } from './sink-port';
import { SinksRepository } from './sinks.repository';

const DELIVERY_JOB = 'delivery.attempt';
/** A job that finds its sink's slots taken waits this long (plus jitter) and tries again. */
const SLOT_WAIT_MS = 200;
const SLOT_JITTER_MS = 300;
/** Deliveries whose sink is remembered, so a job waiting for a slot does not re-read it each time. */
const SINK_CACHE_SIZE = 10_000;

/**
 * The `notify` consumer: one attempt of one sink delivery per job (`dlv_<delivery>_<attempt>`),
 * made by the shared DeliveryRunner through SinkPort. At most WEBHOOK_ENDPOINT_CONCURRENCY attempts
 * to one sink at once in this worker: a job that finds them taken goes back to the delayed set for a
 * moment, so one slow receiver holds few of the WEBHOOK_CONCURRENCY slots and the others keep flowing.
 */
@Processor(QUEUES.notify)
export class NotifyProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(NotifyProcessor.name);
  private readonly slots: EndpointSlots;
  private readonly sinkOf = new Map<string, string>();

  constructor(
    private readonly runner: DeliveryRunner,
    private readonly port: SinkPort,
    private readonly repository: SinksRepository,
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
    if (job.name !== DELIVERY_JOB) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QUEUES.notify}`);
    this.metrics.started(QUEUES.notify, job);
    const data = job.data as DeliveryJob;
    const sinkId = await this.sinkOfDelivery(data.deliveryId);
    // A delivery that is gone (or not a sink's): the runner's claim finds nothing and skips it.
    if (!sinkId) return { result: await this.runner.run(data, this.port) };
    if (!this.slots.tryAcquire(sinkId)) {
      await job.moveToDelayed(Date.now() + SLOT_WAIT_MS + Math.floor(Math.random() * SLOT_JITTER_MS), token);
      throw new DelayedError();
    }
    try {
      return { result: await this.runner.run(data, this.port) };
    } catch (err) {
      // Postgres or Redis trouble: the attempt's lease runs out and the sweep makes it again.
      this.logger.warn(`delivery ${data.deliveryId} attempt ${data.attempt} failed: ${(err as Error).message}`);
      throw err;
    } finally {
      this.slots.release(sinkId);
    }
  }

  /** A delivery's sink never changes: read once, remembered (a bounded map, emptied when full). */
  private async sinkOfDelivery(deliveryId: string): Promise<string | null> {
    const known = this.sinkOf.get(deliveryId);
    if (known) return known;
    const sinkId = await this.repository.sinkOfDelivery(deliveryId);
    if (sinkId) {
      if (this.sinkOf.size >= SINK_CACHE_SIZE) this.sinkOf.clear();
      this.sinkOf.set(deliveryId, sinkId);
    }
    return sinkId;
  }
}
