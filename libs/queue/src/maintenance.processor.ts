import { hostname } from 'node:os';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { JOBS, MaintenancePingPayload, MaintenancePingResult, QUEUES } from './queues';

/** The `maintenance` consumer: housekeeping, and a ping that proves a worker is consuming. */
@Processor(QUEUES.maintenance)
export class MaintenanceProcessor extends WorkerHost {
  async process(job: Job<MaintenancePingPayload>): Promise<MaintenancePingResult> {
    switch (job.name) {
      case JOBS.maintenancePing:
        return {
          pid: process.pid,
          hostname: hostname(),
          consumer: 'maintenance',
          requestedAt: job.data.requestedAt,
          answeredAt: new Date().toISOString(),
        };
      default:
        throw new UnrecoverableError(`unknown job ${job.name} on queue ${QUEUES.maintenance}`);
    }
  }
}

@Module({ providers: [MaintenanceProcessor] })
export class MaintenanceWorkerModule {}
