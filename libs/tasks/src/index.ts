export { TasksModule, TasksApiModule } from './tasks.module';
export { TasksService, HEDDLE_DEFAULT_BUDGETS } from './tasks.service';
export type { CreatedTask } from './tasks.service';
export { TasksRepository } from './tasks.repository';
export { TASK_STATUSES, FINISHED, ACTIVE, FAILURE_REASONS, transition } from './task-state';
export type { TaskStatus, FailureReason, TaskAction } from './task-state';
export {
  renderPrompt,
  unknownPlaceholders,
  DEFAULT_TEMPLATE,
  DEFAULT_PLAN_TEMPLATE,
  PLACEHOLDERS,
} from './prompt-template';
export type { PromptValues } from './prompt-template';
export type { TaskResponseDto } from './dto/task-response.dto';
