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
export { TaskResponseDto } from './dto/task-response.dto';
export { CreateTaskDto } from './dto/task.dto';
export { CreatedOrReplayedInterceptor } from './created-or-replayed.interceptor';
export { IdempotencyKey } from './idempotency-key.decorator';
export { TaskMessagesService } from './task-messages.service';
export type { NextDelivery, SentMessage } from './task-messages.service';
export {
  resolveFollowUpPolicy,
  applyCap,
  orderForDelivery,
  composePrompt,
  mergeTexts,
  readyAt,
  DEFAULT_FOLLOW_UP_POLICY,
  DROP_POLICIES,
  DROPPED_REASONS,
  MAX_MESSAGE_TEXT,
  MESSAGE_LANES,
  MESSAGE_STATUSES,
} from './follow-ups';
export type { CapDecision, DropPolicy, DroppedReason, FollowUpPolicy, MessageLane, MessageStatus } from './follow-ups';
export { FollowUpPolicyDto } from './dto/task-message.dto';
export type { TaskMessageResponseDto } from './dto/task-message.dto';
