import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@heddle/config';
import { DrainDeadline } from './drain-deadline';
import { DEFAULT_JOB_OPTIONS, QUEUES } from './queues';
import { QueueMetrics } from './queue-metrics';
import { TaskWaker } from './task-waker';
import { WorkScope } from './work-scope';

const queues = Object.values(QUEUES).map((name) =>
  BullModule.registerQueue({ name, defaultJobOptions: DEFAULT_JOB_OPTIONS[name] }),
);

/** BullMQ on the configured Redis, and a producer for every queue. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        connection: { url: config.redisUrl },
        prefix: config.queuePrefix,
      }),
    }),
    ...queues,
  ],
  providers: [TaskWaker, QueueMetrics, WorkScope, DrainDeadline],
  exports: [...queues, TaskWaker, QueueMetrics, WorkScope, DrainDeadline],
})
export class QueueModule {}
