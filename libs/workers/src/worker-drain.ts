import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Job, Worker } from 'bullmq';
import { AppConfig } from '@heddle/config';
import { DrainDeadline } from '@heddle/queue';

/** How long before the hard exit (SHUTDOWN_TIMEOUT_MS) the drain stops waiting and consumers let go. */
export function releaseMarginMs(shutdownTimeoutMs: number): number {
  return Math.min(5000, Math.floor(shutdownTimeoutMs / 5));
}

/** `task.step task=0195…`: what a job is about, for the drain's log lines. */
export function describeJob(job: Pick<Job, 'name' | 'data'>): string {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const subject = ['taskId', 'deliveryId', 'hostId'].find((key) => typeof data[key] === 'string');
  return subject ? `${job.name} ${subject.replace(/Id$/, '')}=${String(data[subject])}` : job.name;
}

/**
 * Closes every BullMQ worker of the process before the pools close: `close()` stops taking jobs
 * and waits for the active ones to finish. @nestjs/bullmq closes workers only in
 * `onApplicationShutdown`, which would race the database client closing in the same phase.
 *
 * It says what it drains (the active jobs, by queue) and how it ended. When jobs still run shortly
 * before SHUTDOWN_TIMEOUT_MS it raises the DrainDeadline, so that consumers give back what others
 * wait for (the harness releases its tasks' leases) before the process exits anyway.
 */
@Injectable()
export class WorkerDrain implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerDrain.name);
  private readonly active = new Map<string, Job>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly config: AppConfig,
    private readonly deadline: DrainDeadline,
  ) {}

  onApplicationBootstrap(): void {
    // Only to say which jobs the drain waits for; whether they are done is BullMQ's to say.
    for (const worker of this.workers()) {
      const key = (job: Job) => `${worker.name}:${job.id}`;
      worker.on('active', (job) => this.active.set(key(job), job));
      const done = (job: Job | undefined) => job && this.active.delete(key(job));
      worker.on('completed', done);
      worker.on('failed', done);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    const workers = this.workers();
    if (workers.length === 0) return;
    const started = Date.now();
    const waitMs = Math.max(0, this.config.shutdownTimeoutMs - releaseMarginMs(this.config.shutdownTimeoutMs));
    this.logger.log(
      this.active.size === 0
        ? `draining ${workers.length} worker(s): no job running`
        : `draining ${workers.length} worker(s), waiting up to ${waitMs} ms for ${this.active.size} running job(s): ${this.runningJobs()}`,
    );
    // `pause()` takes no new job and resolves once the running ones have finished. Not `close()` yet:
    // a worker that is closing cannot be told later to stop waiting for its jobs.
    const idle = Promise.all(workers.map((worker) => worker.pause().catch(() => undefined))).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
    const finished = await Promise.race([idle, late]);
    clearTimeout(timer);
    if (finished) {
      await this.closeAll(workers, false);
      this.logger.log(`drained in ${Date.now() - started} ms`);
      return;
    }
    this.logger.warn(
      `still running after ${Date.now() - started} ms, letting go before the exit: ${this.runningJobs()} ` +
        '(their jobs run again elsewhere once their locks expire)',
    );
    await this.deadline.reach();
    // Stop waiting for them: the process exits with the rest of the shutdown, not at the hard stop.
    await this.closeAll(workers, true);
  }

  private async closeAll(workers: Worker[], force: boolean): Promise<void> {
    await Promise.all(
      workers.map(async (worker) => {
        try {
          await worker.close(force);
        } catch (err) {
          this.logger.warn(`closing worker ${worker.name} failed: ${String(err)}`);
        }
      }),
    );
  }

  private runningJobs(): string {
    return [...this.active.values()].map(describeJob).join(', ');
  }

  private workers(): Worker[] {
    return this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost)
      .map((host) => host.worker)
      .filter((worker): worker is Worker => !!worker);
  }
}
