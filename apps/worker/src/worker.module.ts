import { DynamicModule, Module } from '@nestjs/common';
import { ClockModule } from '@heddle/common';
import { AppConfig, ConfigModule } from '@heddle/config';
import { DbModule } from '@heddle/db';
import { PlatformModule } from '@heddle/platform';
import { QueueModule } from '@heddle/queue';
import { WorkersModule } from '@heddle/workers';

/** The worker role: the consumers named in WORKER_CONSUMERS, plus /healthz, /readyz and /metrics. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        DbModule,
        QueueModule,
        PlatformModule,
        WorkersModule.forConsumers(config.workerConsumers),
      ],
    };
  }
}
