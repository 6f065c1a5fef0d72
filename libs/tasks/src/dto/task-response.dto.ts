import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ActivityDto, PlanProgressDto, TokenTotalsDto } from '@heddle/events';
import { FollowUpPolicyResponseDto } from './task-message.dto';
import { TASK_RESULT_PROPERTY, TaskManualResultDto, TaskResult, TaskVerdictResultDto } from './task-result.dto';
import { FAILURE_REASONS, TASK_STATUSES, TaskStatus } from '../task-state';

export class BudgetsDto {
  @ApiProperty({ example: 10 }) maxTurns!: number;
  @ApiProperty({ example: 2000000 }) maxTokens!: number;
  @ApiProperty({ example: 10 }) maxCostUsd!: number;
  @ApiProperty({ example: 3600 }) maxWallSeconds!: number;
  @ApiProperty({
    example: 3,
    description: 'Plan mode: iterations in a row closing no item before `budget.no_progress`.',
  })
  maxNoProgressIterations!: number;
}

/** One check's result, as the latest evaluation recorded it. */
export class CheckResultDto {
  @ApiProperty({ example: 0, description: "The check's place in the task's `checks`." }) index!: number;
  @ApiProperty({ example: 'file_exists' }) kind!: string;
  @ApiPropertyOptional({ description: "The check's `name`, when it has one." }) name?: string;
  @ApiProperty({ enum: ['pass', 'fail', 'error'] }) status!: 'pass' | 'fail' | 'error';
  @ApiProperty() passed!: boolean;
  @ApiProperty({ example: 'src/health.ts exists' }) summary!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What the check saw (excerpts ≤ CHECK_EVIDENCE_MAX_BYTES, sha256 of files read, git HEAD).',
  })
  evidence!: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Why the check could not be evaluated (status `error` only).' }) error?: string;
  @ApiProperty({ example: 12 }) durationMs!: number;
}

// Described with task events (the same shapes are in every task event's data); re-exported for the views.
export { ActivityDto, PlanProgressDto, TokenTotalsDto };

@ApiExtraModels(TaskVerdictResultDto, TaskManualResultDto)
export class TaskResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'add-health-endpoint' }) name!: string;
  @ApiProperty({ enum: TASK_STATUSES, example: 'queued' }) status!: TaskStatus;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: `Why the task failed, machine-readable: one of ${FAILURE_REASONS.join(', ')} (see docs/harness.md).`,
  })
  reason!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) reasonDetail!: string | null;
  @ApiProperty({ example: '/srv/repos/api' }) workspace!: string;
  @ApiProperty() goal!: string;
  @ApiProperty({ type: [String] }) steps!: string[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) checks!: unknown[];
  @ApiProperty({ enum: ['single', 'plan'] }) mode!: 'single' | 'plan';
  @ApiProperty({ example: 'PLAN.md' }) planFile!: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The host it runs on, once dispatched (or the one it asked for).',
  })
  hostId!: string | null;
  @ApiProperty({ type: [String] }) labels!: string[];
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @ApiProperty({ type: String, nullable: true }) agent!: string | null;
  @ApiProperty({ type: String, nullable: true }) sessionId!: string | null;
  @ApiProperty({ type: BudgetsDto }) budgets!: BudgetsDto;
  @ApiProperty({ example: 30 }) checkIntervalSeconds!: number;
  @ApiProperty({ example: 0 }) currentTurn!: number;
  @ApiProperty({ type: TokenTotalsDto }) tokens!: TokenTotalsDto;
  @ApiProperty({ example: 0.0049 }) costUsd!: number;
  @ApiProperty({
    type: PlanProgressDto,
    nullable: true,
    description: 'Plan mode: done, total, percent, current item, ETA; null otherwise.',
  })
  progress!: PlanProgressDto | null;
  @ApiProperty({ type: [CheckResultDto], nullable: true, description: 'Latest check results.' })
  latestChecks!: CheckResultDto[] | null;
  @ApiProperty({ description: 'The agent said TASK COMPLETE; never completes a task by itself.' })
  claimedComplete!: boolean;
  @ApiProperty({
    enum: ['checks', 'weak', 'manual'],
    description:
      '`weak`: no checks, so "idle without error and the tree changed"; `manual`: completed by hand (`POST /api/tasks/{id}/complete`).',
  })
  verification!: 'checks' | 'weak' | 'manual';
  @ApiProperty(TASK_RESULT_PROPERTY) result!: TaskResult | null;
  @ApiProperty() stale!: boolean;
  @ApiProperty({
    enum: ['permission', 'question'],
    nullable: true,
    description:
      'What the running session waits for a person (or a policy) to answer (`GET /api/permissions?taskId=`, `GET /api/questions?taskId=`); a waiting task is never stale.',
  })
  waiting!: 'permission' | 'question' | null;
  @ApiProperty({
    type: ActivityDto,
    nullable: true,
    description:
      'Recent activity of the current turn as last observed: the last assistant texts (excerpts) and tool names, never tool output. Also in every task event.',
  })
  activity!: ActivityDto | null;
  @ApiProperty({
    type: Object,
    nullable: true,
    description: "The task's permission policy as given at create (`permission`); null: the host's configuration.",
  })
  permission!: unknown;
  @ApiProperty({
    type: FollowUpPolicyResponseDto,
    description:
      "The policy of the task's follow-up messages (`POST /api/tasks/{id}/messages`), resolved at create: the task's `followUps`, then the team's `settings.followUps`, then Heddle's defaults.",
  })
  followUps!: FollowUpPolicyResponseDto;
  @ApiProperty() archived!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;
}

export class TaskPageDto {
  @ApiProperty({ type: [TaskResponseDto] }) items!: TaskResponseDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class TurnResponseDto {
  @ApiProperty({ example: 1 }) number!: number;
  @ApiProperty() sessionId!: string;
  @ApiProperty() prompt!: string;
  @ApiProperty({ type: TokenTotalsDto }) tokens!: TokenTotalsDto;
  @ApiProperty() costUsd!: number;
  @ApiProperty({
    enum: ['sent', 'finished', 'failed', 'aborted', 'lost'],
    description:
      '`sent` while the turn runs (or its prompt is on its way); `lost` when its host went away mid-turn and the task moved to another host.',
  })
  outcome!: string;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the host accepted the prompt; null until then.',
  })
  sentAt!: string | null;
  @ApiProperty({
    type: [String],
    example: ['/srv/repos/api/src/health.ts'],
    description: 'Files the agent changed in this turn, as the host reports them.',
  })
  changedFiles!: string[];
  @ApiProperty({
    type: ActivityDto,
    nullable: true,
    description: 'Recent activity at the end of the turn: the last assistant texts and tool names (no tool output).',
  })
  activity!: ActivityDto | null;
  @ApiProperty({ type: String, format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class TurnPageDto {
  @ApiProperty({ type: [TurnResponseDto] }) items!: TurnResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class CheckRunResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() turnNumber!: number;
  @ApiProperty() allPassed!: boolean;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) results!: unknown[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
}

export class CheckRunPageDto {
  @ApiProperty({ type: [CheckRunResponseDto] }) items!: CheckRunResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
