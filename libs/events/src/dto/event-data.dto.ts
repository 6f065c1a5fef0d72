import { Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { EventType } from '@heddle/common';
import { ApiOpenObject } from './api-schema';
import {
  CheckResultEventDataDto,
  LogLineEventDataDto,
  MessageDeliveredEventDataDto,
  MessageDroppedEventDataDto,
  MessageQueuedEventDataDto,
  SessionStaleBusyEventDataDto,
  TaskAbortedEventDataDto,
  TaskCompletedEventDataDto,
  TaskCreatedEventDataDto,
  TaskFailedEventDataDto,
  TaskStartedEventDataDto,
  TaskUpdatedEventDataDto,
  TurnFinishedEventDataDto,
  TurnStartedEventDataDto,
} from './task-event-data.dto';

// The `data` of the events that are not a task's (teams, hosts, permissions and questions, webhooks,
// sinks), as their writers build it, and the table of every event type's data.

const HOST_STATUSES = ['unknown', 'online', 'degraded', 'offline'] as const;
type HostStatus = (typeof HOST_STATUSES)[number];

/** What a team's settings change named: the keys given, as given. */
export class TeamChangesDto {
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The settings given.' })
  settings?: Record<string, unknown>;
}

@ApiOpenObject()
export class TeamCreatedEventDataDto {
  @ApiProperty({ example: 'platform' }) name!: string;
}

@ApiOpenObject()
export class TeamUpdatedEventDataDto {
  @ApiProperty({ example: 'platform', description: "The team's name after the change." }) name!: string;
  @ApiProperty({ type: TeamChangesDto }) changes!: TeamChangesDto;
}

@ApiOpenObject()
export class HostRegisteredEventDataDto {
  @ApiProperty({ example: 'build-box-1' }) name!: string;
  @ApiProperty({ example: 'http://10.0.0.5:4096' }) baseUrl!: string;
  @ApiProperty({ type: [String] }) labels!: string[];
  @ApiProperty({ type: [String] }) workspaceRoots!: string[];
  @ApiProperty({ type: 'integer', example: 4 }) maxSessions!: number;
  @ApiProperty() enabled!: boolean;
}

/** What a host update named: the keys given (a re-registration by name gives them all), never a password. */
export class HostChangesDto {
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional() baseUrl?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) username?: string | null;
  @ApiPropertyOptional({ enum: ['changed', 'removed'], description: 'Only whether it changed.' })
  password?: 'changed' | 'removed';
  @ApiPropertyOptional({ type: [String] }) labels?: string[];
  @ApiPropertyOptional({ type: [String] }) workspaceRoots?: string[];
  @ApiPropertyOptional({ type: 'integer' }) maxSessions?: number;
  @ApiPropertyOptional() enabled?: boolean;
}

@ApiOpenObject()
export class HostUpdatedEventDataDto {
  @ApiProperty({ example: 'build-box-1', description: "The host's name after the change." }) name!: string;
  @ApiProperty({ type: HostChangesDto }) changes!: HostChangesDto;
}

@ApiOpenObject()
export class HostDeletedEventDataDto {
  @ApiProperty({ example: 'build-box-1' }) name!: string;
}

/** A probe answered after the host was offline or never probed. */
@ApiOpenObject()
export class HostOnlineEventDataDto {
  @ApiProperty({ example: 'build-box-1' }) name!: string;
  @ApiProperty({ enum: ['online', 'degraded'], description: '`degraded`: slower than HOST_DEGRADED_LATENCY_MS.' })
  status!: 'online' | 'degraded';
  @ApiProperty({ enum: HOST_STATUSES }) previousStatus!: HostStatus;
  @ApiProperty({ example: '1.18.34' }) version!: string;
  @ApiProperty({ type: 'integer', example: 12 }) latencyMs!: number;
}

/** HOST_OFFLINE_AFTER_FAILURES probes in a row failed. */
@ApiOpenObject()
export class HostOfflineEventDataDto {
  @ApiProperty({ example: 'build-box-1' }) name!: string;
  @ApiProperty({ enum: ['offline'] }) status!: 'offline';
  @ApiProperty({ enum: HOST_STATUSES }) previousStatus!: HostStatus;
  @ApiProperty({ example: 'connect ECONNREFUSED 10.0.0.5:4096' }) error!: string;
  @ApiProperty({ type: 'integer', example: 3, description: 'Failed probes in a row.' }) failures!: number;
}

/** A team auto-accept rule (`settings.autoAccept`) or a task's (`permission.autoAccept`). */
export class EventAutoAcceptRuleDto {
  @ApiProperty({ example: 'bash' }) permission!: string;
  @ApiPropertyOptional({ example: 'npm test' }) pattern?: string;
}

/** Heddle answered without a person: whose policy, and which part of it. */
@ApiExtraModels(EventAutoAcceptRuleDto)
export class EventAnswerPolicyDto {
  @ApiProperty({ enum: ['task', 'team'] }) source!: 'task' | 'team';
  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['ruleset', 'autoAnswerQuestions'] },
      { $ref: getSchemaPath(EventAutoAcceptRuleDto) },
    ],
    description:
      "`ruleset`: the task's allow/deny; `autoAnswerQuestions`: the team's setting; or the auto-accept rule that matched.",
  })
  rule!: 'ruleset' | 'autoAnswerQuestions' | EventAutoAcceptRuleDto;
}

/** What PERMISSION_REQUESTED and PERMISSION_REPLIED carry (the request's metadata stays on its row). */
@ApiOpenObject()
export class PermissionEventDataDto {
  @ApiProperty({ format: 'uuid', description: 'GET /api/permissions/{id}.' }) permissionId!: string;
  @ApiProperty({ example: 'per_…', description: "OpenCode's id." }) requestId!: string;
  @ApiProperty({ example: 'ses_…' }) sessionId!: string;
  @ApiProperty({ example: '/srv/repos/api' }) directory!: string;
  @ApiProperty({ example: 'edit' }) permission!: string;
  @ApiProperty({ type: [String] }) patterns!: string[];
  @ApiProperty({ type: [String] }) always!: string[];
  @ApiPropertyOptional({ description: "The task's name, when a task of the team asked." }) name?: string;
}

@ApiOpenObject()
export class PermissionRequestedEventDataDto extends PermissionEventDataDto {
  @ApiProperty({ enum: ['pending'] }) status!: 'pending';
}

@ApiOpenObject()
export class PermissionRepliedEventDataDto extends PermissionEventDataDto {
  @ApiProperty({ enum: ['replied', 'expired'], description: '`expired`: gone from the host without a reply seen.' })
  status!: 'replied' | 'expired';
  @ApiProperty({ enum: ['once', 'always', 'reject'], nullable: true, description: 'null: expired.' })
  reply!: 'once' | 'always' | 'reject' | null;
  @ApiProperty({ example: 'token:a1b2c3d4', description: '`token:<prefix>`, `policy` or `host`.' }) repliedBy!: string;
  @ApiPropertyOptional({ description: 'Sent with a reject.' }) message?: string;
  @ApiPropertyOptional({ type: EventAnswerPolicyDto }) policy?: EventAnswerPolicyDto;
}

export class EventQuestionOptionDto {
  @ApiProperty({ example: 'Red' }) label!: string;
  @ApiProperty({ example: 'warm' }) description!: string;
}

/** One question as OpenCode asked it. */
export class EventQuestionDto {
  @ApiProperty({ example: 'Which color?' }) question!: string;
  @ApiProperty({ example: 'Color' }) header!: string;
  @ApiProperty({ type: [EventQuestionOptionDto] }) options!: EventQuestionOptionDto[];
  @ApiPropertyOptional() multiple?: boolean;
  @ApiPropertyOptional() custom?: boolean;
}

/** What QUESTION_ASKED and QUESTION_ANSWERED carry. */
@ApiOpenObject()
export class QuestionEventDataDto {
  @ApiProperty({ format: 'uuid', description: 'GET /api/questions/{id}.' }) questionId!: string;
  @ApiProperty({ example: 'que_…', description: "OpenCode's id." }) requestId!: string;
  @ApiProperty({ example: 'ses_…' }) sessionId!: string;
  @ApiProperty({ example: '/srv/repos/api' }) directory!: string;
  @ApiProperty({ type: [EventQuestionDto] }) questions!: EventQuestionDto[];
  @ApiPropertyOptional({ description: "The task's name, when a task of the team asked." }) name?: string;
}

@ApiOpenObject()
export class QuestionAskedEventDataDto extends QuestionEventDataDto {
  @ApiProperty({ enum: ['pending'] }) status!: 'pending';
}

@ApiOpenObject()
export class QuestionAnsweredEventDataDto extends QuestionEventDataDto {
  @ApiProperty({ enum: ['answered', 'rejected', 'expired'] }) status!: 'answered' | 'rejected' | 'expired';
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'string' } },
    nullable: true,
    example: [['Blue']],
    description: 'The labels chosen, one array per question; null when rejected or expired.',
  })
  answers!: string[][] | null;
  @ApiProperty({ example: 'token:a1b2c3d4', description: '`token:<prefix>`, `policy` or `host`.' }) repliedBy!: string;
  @ApiPropertyOptional({ type: EventAnswerPolicyDto }) policy?: EventAnswerPolicyDto;
}

@ApiOpenObject()
export class WebhookDisabledEventDataDto {
  @ApiProperty({ format: 'uuid' }) webhookId!: string;
  @ApiProperty({ example: 'hooks.example.com', description: "The endpoint URL's host (the URL may hold a secret)." })
  urlHost!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ example: 'every attempt has failed since … (432000 s); last: HTTP 503' }) reason!: string;
  @ApiProperty({ type: String, format: 'date-time' }) failingSince!: string;
}

@ApiOpenObject()
export class WebhookPingEventDataDto {
  @ApiProperty({ format: 'uuid', description: 'The endpoint tested (the only one the ping goes to).' })
  webhookId!: string;
  @ApiProperty() message!: string;
}

@ApiOpenObject()
export class SinkDisabledEventDataDto {
  @ApiProperty({ format: 'uuid' }) sinkId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'slack' }) kind!: string;
  @ApiProperty({ enum: ['disabled'] }) status!: 'disabled';
  @ApiProperty({ enum: ['failing'] }) reason!: 'failing';
  @ApiProperty({ type: String, format: 'date-time' }) failingSince!: string;
  @ApiProperty({ type: String, format: 'date-time' }) disabledAt!: string;
  @ApiProperty({ type: 'integer' }) failingSeconds!: number;
}

/**
 * The schema of every event type's `data`. A `Record` over EventType: a type added to EVENT_TYPES
 * does not compile until its data is described here.
 */
export const EVENT_DATA: Record<EventType, Type<unknown>> = {
  TEAM_CREATED: TeamCreatedEventDataDto,
  TEAM_UPDATED: TeamUpdatedEventDataDto,
  TASK_CREATED: TaskCreatedEventDataDto,
  TASK_STARTED: TaskStartedEventDataDto,
  TASK_UPDATED: TaskUpdatedEventDataDto,
  TASK_COMPLETED: TaskCompletedEventDataDto,
  TASK_FAILED: TaskFailedEventDataDto,
  TASK_ABORTED: TaskAbortedEventDataDto,
  TURN_STARTED: TurnStartedEventDataDto,
  TURN_FINISHED: TurnFinishedEventDataDto,
  CHECK_RESULT: CheckResultEventDataDto,
  MESSAGE_QUEUED: MessageQueuedEventDataDto,
  MESSAGE_DELIVERED: MessageDeliveredEventDataDto,
  MESSAGE_DROPPED: MessageDroppedEventDataDto,
  SESSION_STALE_BUSY: SessionStaleBusyEventDataDto,
  PERMISSION_REQUESTED: PermissionRequestedEventDataDto,
  PERMISSION_REPLIED: PermissionRepliedEventDataDto,
  QUESTION_ASKED: QuestionAskedEventDataDto,
  QUESTION_ANSWERED: QuestionAnsweredEventDataDto,
  HOST_REGISTERED: HostRegisteredEventDataDto,
  HOST_UPDATED: HostUpdatedEventDataDto,
  HOST_DELETED: HostDeletedEventDataDto,
  HOST_ONLINE: HostOnlineEventDataDto,
  HOST_OFFLINE: HostOfflineEventDataDto,
  LOG_LINE: LogLineEventDataDto,
  WEBHOOK_DISABLED: WebhookDisabledEventDataDto,
  WEBHOOK_PING: WebhookPingEventDataDto,
  SINK_DISABLED: SinkDisabledEventDataDto,
};
