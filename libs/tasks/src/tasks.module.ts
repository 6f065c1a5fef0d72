import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { EventsModule } from '@heddle/events';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

@Module({
  imports: [AuditModule, EventsModule],
  providers: [TasksRepository, TasksService],
  exports: [TasksService, TasksRepository],
})
export class TasksModule {}

@Module({ imports: [TasksModule], controllers: [TasksController] })
export class TasksApiModule {}
