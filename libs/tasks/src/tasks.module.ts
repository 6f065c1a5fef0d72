import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { EventsModule } from '@heddle/events';
import { SseModule } from '@heddle/platform';
import { TaskEventsController } from './task-events.controller';
import { TaskLifecycle } from './task-lifecycle';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

@Module({
  imports: [AuditModule, EventsModule],
  providers: [TasksRepository, TasksService, TaskLifecycle],
  exports: [TasksService, TasksRepository, TaskLifecycle],
})
export class TasksModule {}

@Module({
  imports: [TasksModule, EventsModule, SseModule],
  controllers: [TasksController, TaskEventsController],
})
export class TasksApiModule {}
