import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Job, Queue } from 'bullmq';
import { Gauge, Histogram, register } from 'prom-client';
import { bestEffort } from './best-effort';
import { QUEUES, QueueName } from './queues';

const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;

/**
 * Queue metrics on /metrics: depth per queue and state (read from Redis when scraped), and how long
 * jobs waited between becoming due and a worker starting them (observed by the consumers).
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  private readonly wait: Histogram<string>;

  constructor(private readonly moduleRef: ModuleRef) {
    this.wait =
      (register.getSingleMetric('heddle_job_wait_seconds') as Histogram<string>) ??
      new Histogram({
        name: 'heddle_job_wait_seconds',
        help: 'From a job becoming due to a worker starting it, per queue',
        labelNames: ['queue'],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      });
  }

  onModuleInit(): void {
    const queues = Object.values(QUEUES).map((name) => ({
      name,
      queue: this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }),
    }));
    register.removeSingleMetric('heddle_queue_jobs');
    new Gauge({
      name: 'heddle_queue_jobs',
      help: 'Jobs per queue and state, read from Redis at scrape time',
      labelNames: ['queue', 'state'],
      async collect() {
        // A scrape must not hang on an unreachable Redis: queues that do not answer are left out.
        const all = await Promise.all(
          queues.map(({ queue }) => bestEffort(queue, () => queue.getJobCounts(...DEPTH_STATES)).catch(() => null)),
        );
        queues.forEach(({ name }, i) => {
          const counts = all[i];
          if (counts) for (const state of DEPTH_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
        });
      },
    });
  }

  /** Call when a job starts: how long it waited since it became due. */
  started(queue: QueueName, job: Pick<Job, 'timestamp' | 'delay'>): void {
    const due = job.timestamp + (job.delay ?? 0);
    this.wait.observe({ queue }, Math.max(0, Date.now() - due) / 1000);
  }
}
