export { TasksModule, TasksApiModule } from './tasks.module';
export { TasksService, HEDDLE_DEFAULT_BUDGETS } from './tasks.service';
export type { CreatedTask } from './tasks.service';
export { TasksRepository, TaskChangedError } from './tasks.repository';
export { TaskLifecycle, InvalidTransitionError } from './task-lifecycle';
export type { TaskEventSpec, TaskPatch } from './task-lifecycle';
export { taskEventData } from './task-event-data';
export {
  TASK_STATUSES,
  FINISHED,
  ACTIVE,
  LOADED,
  FAILURE_REASONS,
  HARNESS_TRIGGERS,
  isFinished,
  transition,
} from './task-state';
export type { TaskStatus, FailureReason, TaskAction, HarnessTrigger, PendingAction, Trigger } from './task-state';
export {
  renderPrompt,
  unknownPlaceholders,
  DEFAULT_TEMPLATE,
  DEFAULT_PLAN_TEMPLATE,
  PLACEHOLDERS,
} from './prompt-template';
export type { PromptValues } from './prompt-template';
export type { TaskResponseDto } from './dto/task-response.dto';
