import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { EventsModule } from '@heddle/events';
import { HostsModule } from '@heddle/hosts';
import { SseModule } from '@heddle/platform';
import { TaskEventsController } from './task-events.controller';
import { TaskLifecycle } from './task-lifecycle';
import { TaskMessagesRepository } from './task-messages.repository';
import { TaskMessagesService } from './task-messages.service';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

@Module({
  imports: [AuditModule, EventsModule, HostsModule],
  providers: [TasksRepository, TasksService, TaskLifecycle, TaskMessagesRepository, TaskMessagesService],
  exports: [TasksService, TasksRepository, TaskLifecycle, TaskMessagesService],
})
export class TasksModule {}

@Module({
  imports: [TasksModule, EventsModule, SseModule],
  controllers: [TasksController, TaskEventsController],
})
export class TasksApiModule {}
