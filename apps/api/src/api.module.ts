import { DynamicModule, Module } from '@nestjs/common';
import { AuthApiModule } from '@heddle/auth';
import { ClockModule } from '@heddle/common';
import { AppConfig, ConfigModule } from '@heddle/config';
import { DbModule } from '@heddle/db';
import { EventsApiModule } from '@heddle/events';
import { HooksApiModule } from '@heddle/hooks';
import { HostsApiModule } from '@heddle/hosts';
import { InboxApiModule } from '@heddle/inbox';
import { SinksApiModule } from '@heddle/notifications';
import { PermissionsApiModule } from '@heddle/permissions';
import { PlansApiModule } from '@heddle/plans';
import { PlatformModule } from '@heddle/platform';
import { OpsApiModule, QueueModule } from '@heddle/queue';
import { TasksApiModule } from '@heddle/tasks';
import { TeamsApiModule } from '@heddle/teams';
import { WebhooksApiModule } from '@heddle/webhooks';
import { WorkersModule } from '@heddle/workers';

export interface ApiModuleOptions {
  /** Also run the worker consumers named in WORKER_CONSUMERS in this process (`npm start`). */
  withWorkers: boolean;
}

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, options: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        DbModule,
        QueueModule,
        PlatformModule,
        AuthApiModule,
        TeamsApiModule,
        HostsApiModule,
        TasksApiModule,
        PlansApiModule,
        EventsApiModule,
        WebhooksApiModule,
        HooksApiModule,
        InboxApiModule,
        SinksApiModule,
        PermissionsApiModule,
        OpsApiModule,
        ...(options.withWorkers ? [WorkersModule.forConsumers(config.workerConsumers)] : []),
      ],
    };
  }
}
