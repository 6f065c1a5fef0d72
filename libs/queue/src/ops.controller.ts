import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bullmq';
import { Controller, HttpCode, Injectable, Module, OnModuleDestroy, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Queue, QueueEvents } from 'bullmq';
import { RequireScopes, ServiceUnavailableError } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { bestEffort } from './best-effort';
import { JOBS, MaintenancePingPayload, MaintenancePingResult, QUEUES } from './queues';

const PING_TIMEOUT_MS = 10_000;
/** The first ping also connects its event listener. */
const CONNECT_TIMEOUT_MS = 2_000;

export class WorkerPingResponseDto {
  @ApiProperty({ example: 4242, description: 'Process id of the worker that answered.' })
  pid!: number;

  @ApiProperty({ example: 'heddle-worker-7d9f8-abcde' })
  hostname!: string;

  @ApiProperty({ example: 'maintenance' })
  consumer!: string;

  @ApiProperty({ example: 12, description: 'Enqueue to answer, in milliseconds.' })
  latencyMs!: number;
}

@Injectable()
export class WorkerPingService implements OnModuleDestroy {
  private events?: QueueEvents;

  constructor(
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue<MaintenancePingPayload, MaintenancePingResult>,
    private readonly config: AppConfig,
  ) {}

  /** Round-trips a job through whichever worker consumes `maintenance`. */
  async ping(): Promise<WorkerPingResponseDto> {
    this.events ??= new QueueEvents(QUEUES.maintenance, {
      connection: { url: this.config.redisUrl },
      prefix: this.config.queuePrefix,
    });
    const events = this.events;
    const started = Date.now();
    const job = await bestEffort(
      this.queue,
      async () => {
        await events.waitUntilReady();
        return this.queue.add(
          JOBS.maintenancePing,
          { requestedAt: new Date(started).toISOString() },
          { jobId: `ping-${randomUUID()}` },
        );
      },
      CONNECT_TIMEOUT_MS,
    ).catch((err: unknown) => {
      throw new ServiceUnavailableError('queue/unavailable', `Redis is not reachable: ${(err as Error).message}`);
    });
    try {
      const result = await job.waitUntilFinished(this.events, PING_TIMEOUT_MS);
      return { pid: result.pid, hostname: result.hostname, consumer: result.consumer, latencyMs: Date.now() - started };
    } catch {
      await job.remove().catch(() => undefined);
      throw new ServiceUnavailableError(
        'worker/no_answer',
        `no worker consuming "${QUEUES.maintenance}" answered within ${PING_TIMEOUT_MS / 1000} s`,
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.events?.close();
  }
}

@ApiTags('ops')
@Controller('api/ops')
export class OpsController {
  constructor(private readonly ping: WorkerPingService) {}

  @Post('worker-ping')
  @HttpCode(200)
  @RequireScopes('platform:admin')
  @ApiOperation({
    summary: 'Round-trip a job through a worker',
    description: 'Proves that some worker consumes the `maintenance` queue; 503 when none answers within 10 s.',
  })
  @ApiOkResponse({ type: WorkerPingResponseDto })
  workerPing(): Promise<WorkerPingResponseDto> {
    return this.ping.ping();
  }
}

@Module({ controllers: [OpsController], providers: [WorkerPingService] })
export class OpsApiModule {}
