import { DynamicModule, Module, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PeopleSweepModule } from '@heddle/auth';
import type { WorkerConsumerName } from '@heddle/config';
import { OutboxWorkerModule } from '@heddle/delivery';
import { HarnessWorkerModule } from '@heddle/harness';
import { HostsWorkerModule } from '@heddle/hosts';
import { InboxWorkerModule } from '@heddle/inbox';
import { NotifyWorkerModule } from '@heddle/notifications';
import { MaintenanceWorkerModule } from '@heddle/queue';
import { WebhooksWorkerModule } from '@heddle/webhooks';
import { WorkerDrain } from './worker-drain';

/** Housekeeping: the queue ping, and the sweep of ended login sessions and settled invites. */
@Module({ imports: [MaintenanceWorkerModule, PeopleSweepModule] })
export class MaintenanceConsumerModule {}

/**
 * Every worker consumer by the name WORKER_CONSUMERS uses. The Record type makes a consumer
 * named in config without a module (or the reverse) a compile error.
 */
export const CONSUMER_MODULES: Record<WorkerConsumerName, Type> = {
  maintenance: MaintenanceConsumerModule,
  'host-health': HostsWorkerModule,
  harness: HarnessWorkerModule,
  outbox: OutboxWorkerModule,
  webhooks: WebhooksWorkerModule,
  notify: NotifyWorkerModule,
  inbox: InboxWorkerModule,
};

@Module({})
export class WorkersModule {
  static forConsumers(names: readonly WorkerConsumerName[]): DynamicModule {
    return {
      module: WorkersModule,
      imports: [DiscoveryModule, ...names.map((name) => CONSUMER_MODULES[name])],
      providers: [WorkerDrain],
    };
  }
}
