import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { Clock } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { HostProbePayload, JOBS, QUEUES, QueueMetrics, WorkScope, jobIds } from '@heddle/queue';
import { HostsRepository } from './hosts.repository';
import { HostsService } from './hosts.service';

const SWEEP_PAGE = 500;
const SWEEP_SCHEDULER_ID = 'host-health-sweep';

/**
 * The `host-health` consumer. A job scheduler runs `host-health.sweep` every HOST_PROBE_INTERVAL_MS;
 * the sweep enqueues one `host.probe` per enabled host with an id unique to the host and interval,
 * so several workers sweeping the same interval still probe each host once.
 */
@Processor(QUEUES.hostHealth)
export class HostHealthProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(HostHealthProcessor.name);

  constructor(
    private readonly hosts: HostsService,
    private readonly repository: HostsRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly scope: WorkScope,
    private readonly metrics: QueueMetrics,
    @InjectQueue(QUEUES.hostHealth) private readonly queue: Queue,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.hostProbeConcurrency;
  }

  async process(job: Job): Promise<unknown> {
    this.metrics.started(QUEUES.hostHealth, job);
    switch (job.name) {
      case JOBS.hostSweep:
        return this.sweep();
      case JOBS.hostProbe: {
        const { teamId, hostId } = job.data as HostProbePayload;
        return { status: (await this.hosts.probeAndRecord(teamId, hostId)) ?? 'skipped' };
      }
      default:
        throw new UnrecoverableError(`unknown job ${job.name} on queue ${QUEUES.hostHealth}`);
    }
  }

  private async sweep(): Promise<{ enqueued: number }> {
    const bucket = Math.floor(this.clock.now().getTime() / this.config.hostProbeIntervalMs);
    let enqueued = 0;
    for (let after: string | undefined; ;) {
      const page = await this.repository.enabledPage(after, SWEEP_PAGE, this.scope.teamIds());
      if (page.length === 0) break;
      await this.queue.addBulk(
        page.map((h) => ({
          name: JOBS.hostProbe,
          data: { teamId: h.teamId, hostId: h.id },
          opts: { jobId: jobIds.hostProbe(h.id, bucket) },
        })),
      );
      enqueued += page.length;
      after = page.at(-1)!.id;
    }
    this.logger.debug(`health sweep enqueued ${enqueued} probes`);
    return { enqueued };
  }
}

/** Registers (or updates) the sweep's schedule when a worker with this consumer starts. */
@Injectable()
export class HostHealthSchedule implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QUEUES.hostHealth) private readonly queue: Queue,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: this.config.hostProbeIntervalMs },
      { name: JOBS.hostSweep, data: {} },
    );
  }
}
