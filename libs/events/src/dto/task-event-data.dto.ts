import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TASK_STATUSES, TaskStatus } from '@heddle/common';
import { ApiOpenObject } from './api-schema';

// The `data` of the events of a task, as their writers build it: TaskLifecycle gives every one the
// task's common payload (libs/tasks task-event-data.ts) and then the event's own keys — which win
// where they share a name (CHECK_RESULT's `status` is the checks', not the task's).

export class TokenTotalsDto {
  @ApiProperty({ example: 1000 }) input!: number;
  @ApiProperty({ example: 70 }) output!: number;
  @ApiProperty({ example: 50 }) reasoning!: number;
  @ApiProperty({ example: 200 }) cacheRead!: number;
  @ApiProperty({ example: 0 }) cacheWrite!: number;
}

/** Recent activity: the last assistant texts (excerpts) and tool names — never tool output. */
export class ActivityDto {
  @ApiProperty({ type: [String], example: ['Adding the route…'] }) texts!: string[];
  @ApiProperty({ type: [String], example: ['read', 'edit'] }) tools!: string[];
}

/** Plan mode: where the plan stands after the last iteration. */
export class PlanProgressDto {
  @ApiProperty({ enum: ['plan'] }) mode!: 'plan';
  @ApiProperty({ example: 40, description: 'done ÷ (total − manual) × 100, one decimal.' }) percent!: number;
  @ApiProperty({ example: 2 }) done!: number;
  @ApiProperty({ example: 5 }) total!: number;
  @ApiProperty({ example: 0 }) manual!: number;
  @ApiProperty({ example: 0 }) blocked!: number;
  @ApiProperty({ example: 3 }) open!: number;
  @ApiProperty({ type: String, nullable: true, example: 'Add the route' }) currentItem!: string | null;
  @ApiProperty({ example: 2 }) iterations!: number;
  @ApiProperty({ type: Number, nullable: true }) lastIterationMs!: number | null;
  @ApiProperty({ type: Number, nullable: true }) averageIterationMs!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Average iteration × open items.' }) etaMs!: number | null;
  @ApiProperty({ example: 0 }) noProgressStreak!: number;
}

/** How many checks of one evaluation passed, failed and could not be evaluated. */
export class CheckCountsDto {
  @ApiProperty({ type: 'integer', example: 2 }) total!: number;
  @ApiProperty({ type: 'integer', example: 1 }) passed!: number;
  @ApiProperty({ type: 'integer', example: 1 }) failed!: number;
  @ApiProperty({ type: 'integer', example: 0 }) errored!: number;
}

const VERIFICATIONS = ['checks', 'weak', 'manual'] as const;
const MESSAGE_LANES = ['control', 'handoff', 'advice', 'default'] as const;
const DROPPED_REASONS = ['drop_oldest', 'summarized', 'task_finished'] as const;

/**
 * The task's common payload but `status` and `activity`, which some events give their own meaning:
 * CHECK_RESULT's `status` is the checks', and TURN_FINISHED's and SESSION_STALE_BUSY's `activity` is
 * what they saw (never null).
 */
@ApiOpenObject()
export class TaskEventCoreDto {
  @ApiProperty({ example: 'add-health-endpoint', description: "The task's name." }) name!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Why the task failed (machine-readable, as the task answers it); null otherwise.',
  })
  reason!: string | null;
  @ApiProperty({ enum: VERIFICATIONS }) verification!: (typeof VERIFICATIONS)[number];
  @ApiProperty({ type: 'integer', example: 1 }) currentTurn!: number;
  @ApiProperty() stale!: boolean;
  @ApiProperty({ enum: ['permission', 'question'], nullable: true }) waiting!: 'permission' | 'question' | null;
  @ApiProperty({ description: 'The agent said TASK COMPLETE (recorded; never completes a task by itself).' })
  claimedComplete!: boolean;
  @ApiProperty({ type: PlanProgressDto, nullable: true, description: 'Plan mode; null otherwise.' })
  progress!: PlanProgressDto | null;
}

const taskStatus = () => ApiProperty({ enum: TASK_STATUSES, description: "The task's status after the event." });
const activity = (nullable: boolean, description: string) =>
  ApiProperty({ type: ActivityDto, ...(nullable ? { nullable } : {}), description });

/** What every task event carries: who the task is and where it stands (never tool output or secrets). */
@ApiOpenObject()
export class TaskEventDataDto extends TaskEventCoreDto {
  @taskStatus() status!: TaskStatus;
  @activity(true, 'The latest activity seen of the current turn.') activity!: ActivityDto | null;
}

const previousStatus = (required: boolean) =>
  (required ? ApiProperty : ApiPropertyOptional)({
    enum: TASK_STATUSES,
    description: 'The status before the transition.',
  });

@ApiOpenObject()
export class TaskCreatedEventDataDto extends TaskEventDataDto {
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description:
      'The live tasks of the session the task was bound to, which it took over (stopped, `session.handover`).',
  })
  handoverFrom?: string[];
}

@ApiOpenObject()
export class TaskStartedEventDataDto extends TaskEventDataDto {
  @previousStatus(true) previousStatus!: TaskStatus;
}

/**
 * One event for many changes; the keys present say which: a user action (`action`), a host chosen
 * (`hostName`), the host lost (`reason` host.lost, `lostHostId`, `lostTurn`), a turn ended (`turn`),
 * a plan iteration (`iteration`, `progress`), a wait for a person (`waiting`) or stale cleared.
 */
@ApiOpenObject()
export class TaskUpdatedEventDataDto extends TaskEventDataDto {
  @ApiPropertyOptional({ enum: ['pause', 'resume', 'takeover', 'archive'], description: 'The user action.' })
  action?: 'pause' | 'resume' | 'takeover' | 'archive';
  @previousStatus(false) previousStatus?: TaskStatus;
  @ApiPropertyOptional({ description: 'The host the task was dispatched to.' }) hostName?: string;
  @ApiPropertyOptional({ description: 'The host was lost: what happened.' }) reasonDetail?: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The host that was lost.' })
  lostHostId?: string | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'The turn in flight on the lost host.' })
  lostTurn?: number | null;
  @ApiPropertyOptional({ type: 'integer', description: 'The turn that ended (running → verifying).' })
  turn?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Plan mode: the iteration (turn) just read.' })
  iteration?: number;
  @ApiPropertyOptional({ enum: [true], description: 'The task is no longer stale: the session moved again.' })
  staleCleared?: true;
}

/** By its checks (`checks`) or by hand (`action` mark_complete, `verification` manual, `by`, `reasonDetail`). */
@ApiOpenObject()
export class TaskCompletedEventDataDto extends TaskEventDataDto {
  @ApiPropertyOptional({ enum: ['mark_complete'] }) action?: 'mark_complete';
  @previousStatus(false) previousStatus?: TaskStatus;
  @ApiPropertyOptional({ type: CheckCountsDto, description: 'The evaluation that completed it.' })
  checks?: CheckCountsDto;
  @ApiPropertyOptional({ example: 'token:a1b2c3d4', description: 'Who completed it by hand.' }) by?: string;
  @ApiPropertyOptional({ description: 'Why, as the person said.' }) reasonDetail?: string;
}

/** By the harness (`reason`, `reasonDetail`) or by hand (`action` mark_failed, reason `manual`, `by`). */
@ApiOpenObject()
export class TaskFailedEventDataDto extends TaskEventDataDto {
  @ApiProperty({ description: 'What happened, for people.' }) reasonDetail!: string;
  @ApiPropertyOptional({ enum: ['mark_failed'] }) action?: 'mark_failed';
  @previousStatus(false) previousStatus?: TaskStatus;
  @ApiPropertyOptional({ example: 'token:a1b2c3d4', description: 'Who failed it by hand.' }) by?: string;
}

/** By a user (`abort`), or because another task was bound to its session (`hand_over`). */
@ApiOpenObject()
export class TaskAbortedEventDataDto extends TaskEventDataDto {
  @ApiProperty({ enum: ['abort', 'hand_over'] }) action!: 'abort' | 'hand_over';
  @previousStatus(true) previousStatus!: TaskStatus;
  @ApiPropertyOptional({ description: 'hand_over: the session handed over.' }) sessionId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'hand_over: the task that took the session.' })
  handedOverTo?: string;
}

@ApiOpenObject()
export class TurnStartedEventDataDto extends TaskEventDataDto {
  @ApiProperty({ type: 'integer', example: 1 }) turn!: number;
  @ApiProperty({ example: 'ses_…' }) sessionId!: string;
  @ApiProperty({ example: 'msg_…', description: "The id of Heddle's prompt message." }) messageId!: string;
}

@ApiOpenObject()
export class TurnFinishedEventDataDto extends TaskEventCoreDto {
  @taskStatus() status!: TaskStatus;
  @ApiProperty({ type: 'integer', example: 1 }) turn!: number;
  @ApiProperty({ enum: ['finished', 'failed', 'aborted'] }) outcome!: 'finished' | 'failed' | 'aborted';
  @ApiPropertyOptional({ description: 'Why the turn failed or was aborted.' }) error?: string;
  @ApiProperty({ type: TokenTotalsDto }) tokens!: TokenTotalsDto;
  @ApiProperty({ example: 0.0049 }) costUsd!: number;
  @ApiProperty({ type: 'integer', example: 5300 }) durationMs!: number;
  @ApiProperty({ type: 'integer', example: 2, description: 'How many files the turn changed.' })
  changedFiles!: number;
  @activity(false, 'The activity at the end of the turn.') activity!: ActivityDto;
}

export class FailingCheckDto {
  @ApiProperty({ example: 'file_exists' }) kind!: string;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
  @ApiProperty({ enum: ['fail', 'error'] }) status!: 'fail' | 'error';
  @ApiProperty({ example: 'src/health.ts does not exist' }) summary!: string;
}

export class GitHeadDto {
  @ApiProperty() commit!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null: detached.' }) branch!: string | null;
}

export class DriftFilesDto {
  @ApiProperty({ type: [String] }) changed!: string[];
  @ApiProperty({ type: [String] }) appeared!: string[];
  @ApiProperty({ type: [String] }) vanished!: string[];
  @ApiProperty({ type: [String] }) unchanged!: string[];
  @ApiProperty({ type: [String], description: 'Seen by one evaluation only, or without content on one side.' })
  notCompared!: string[];
}

export class DriftHeadDto {
  @ApiProperty({ type: GitHeadDto, nullable: true }) before!: GitHeadDto | null;
  @ApiProperty({ type: GitHeadDto, nullable: true }) after!: GitHeadDto | null;
  @ApiProperty({ type: Boolean, nullable: true }) moved!: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true }) branchChanged!: boolean | null;
}

export class DriftDirtyDto {
  @ApiProperty({ type: Boolean, nullable: true }) before!: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true }) after!: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true }) changed!: boolean | null;
}

/** A recheck: what changed in the workspace since the previous check run. */
export class EvidenceDriftDto {
  @ApiProperty() drifted!: boolean;
  @ApiProperty({ type: DriftFilesDto }) files!: DriftFilesDto;
  @ApiProperty({ type: DriftHeadDto }) head!: DriftHeadDto;
  @ApiProperty({ type: DriftDirtyDto }) dirty!: DriftDirtyDto;
}

/** One evaluation of the checks (after a turn, during one, or a recheck of a finished task). */
@ApiOpenObject()
export class CheckResultEventDataDto extends TaskEventCoreDto {
  @ApiProperty({ enum: ['pass', 'fail', 'error'], description: "The evaluation's status (not the task's)." })
  status!: 'pass' | 'fail' | 'error';
  @ApiProperty({ type: 'integer', example: 1 }) turn!: number;
  @ApiProperty() allPassed!: boolean;
  @ApiProperty({ type: CheckCountsDto }) counts!: CheckCountsDto;
  @ApiProperty({ description: 'Evaluated while the turn ran (`checkIntervalSeconds`).' }) midTurn!: boolean;
  @ApiProperty({ type: [FailingCheckDto] }) failing!: FailingCheckDto[];
  @ApiPropertyOptional({ enum: [true], description: '`POST /api/tasks/{id}/recheck`.' }) recheck?: true;
  @ApiPropertyOptional({ description: 'A recheck: a pass became a fail.' }) drift?: boolean;
  @ApiPropertyOptional({ type: EvidenceDriftDto }) changes?: EvidenceDriftDto;
  @activity(true, 'The latest activity seen of the current turn.') activity!: ActivityDto | null;
}

/** A MESSAGE_* event: the task's payload and the message's (`queued`: the queue's length after it). */
@ApiOpenObject()
export class MessageEventDataDto extends TaskEventDataDto {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ enum: MESSAGE_LANES }) lane!: (typeof MESSAGE_LANES)[number];
  @ApiProperty({ description: "An excerpt of the message's text." }) text!: string;
  @ApiProperty({ type: 'integer', example: 1 }) queued!: number;
}

@ApiOpenObject()
export class MessageQueuedEventDataDto extends MessageEventDataDto {
  @ApiProperty({ example: 'token:a1b2c3d4', description: 'Who sent it; `system:summarize` for a summary.' })
  by!: string;
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'A summary: the messages it merges.' })
  mergedFrom?: string[];
}

@ApiOpenObject()
export class MessageDeliveredEventDataDto extends MessageEventDataDto {
  @ApiProperty({ type: 'integer', example: 2, description: 'The turn whose prompt carried it.' }) turn!: number;
}

@ApiOpenObject()
export class MessageDroppedEventDataDto extends MessageEventDataDto {
  @ApiProperty({ enum: DROPPED_REASONS }) droppedReason!: (typeof DROPPED_REASONS)[number];
  @ApiPropertyOptional({ format: 'uuid', description: 'summarized: the summary it was merged into.' })
  mergedInto?: string;
  @ApiPropertyOptional({ description: 'summarized on arrival: who sent it.' }) by?: string;
}

@ApiOpenObject()
export class SessionStaleBusyEventDataDto extends TaskEventCoreDto {
  @taskStatus() status!: TaskStatus;
  @ApiProperty({ type: 'integer', example: 1 }) turn!: number;
  @ApiProperty() sessionId!: string;
  @ApiProperty({ type: 'integer', description: 'Busy looks in a row that saw no progress.' }) observations!: number;
  @ApiProperty({ type: 'integer', description: 'HARNESS_POLL_MS.' }) pollMs!: number;
  @activity(false, 'What the session last did.') activity!: ActivityDto;
}

@ApiOpenObject()
export class LogLineEventDataDto extends TaskEventDataDto {
  @ApiProperty({ enum: ['info', 'warn'] }) level!: 'info' | 'warn';
  @ApiProperty({ example: 'waiting for a host: no host has the labels [gpu]' }) message!: string;
}
