import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '@heddle/config';
import { PrismaClient } from './generated/client';

/** The one Prisma client of a process, on the pg driver adapter (no Rust query engine). */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(config: AppConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.databaseUrl }) });
  }

  /**
   * The last hook of a shutdown, not `onModuleDestroy`: by then the HTTP server, the event streams
   * (onModuleDestroy) and the job workers (WorkerDrain, beforeApplicationShutdown) have finished,
   * so no request or job in flight loses its connection half-way.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
