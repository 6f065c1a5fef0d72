import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

/**
 * Closes every BullMQ worker of the process before the pools close: `close()` stops taking jobs
 * and waits for the active ones to finish. @nestjs/bullmq closes workers only in
 * `onApplicationShutdown`, which would race the database client closing in the same phase.
 */
@Injectable()
export class WorkerDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerDrain.name);

  constructor(private readonly discovery: DiscoveryService) {}

  async beforeApplicationShutdown(): Promise<void> {
    const hosts = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
    await Promise.all(
      hosts.map(async (host) => {
        try {
          await host.worker?.close();
        } catch (err) {
          this.logger.warn(`closing a worker failed: ${String(err)}`);
        }
      }),
    );
  }
}
