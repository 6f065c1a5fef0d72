import { Module } from '@nestjs/common';
import { AuditModule } from '@heddle/audit';
import { TasksModule } from '@heddle/tasks';
import { HookSecrets } from './hook-secrets';
import { HookSourcesController } from './hook-sources.controller';
import { HookSourcesService } from './hook-sources.service';
import { HooksController } from './hooks.controller';
import { HooksRepository } from './hooks.repository';
import { HooksService } from './hooks.service';
import { TaskInput } from './task-input';

/** Hook sources, their secrets, and turning deliveries into tasks (through TasksService.create). */
@Module({
  imports: [AuditModule, TasksModule],
  providers: [HooksRepository, HookSecrets, HookSourcesService, HooksService, TaskInput],
  exports: [HooksRepository, HookSecrets, HookSourcesService, HooksService],
})
export class HooksModule {}

/** `/api/hook-sources` and `POST /api/hooks/{source}`. */
@Module({ imports: [HooksModule], controllers: [HookSourcesController, HooksController] })
export class HooksApiModule {}
