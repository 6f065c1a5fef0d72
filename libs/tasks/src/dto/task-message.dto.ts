import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsOptionalNotNull, PageQueryDto } from '@heddle/common';
import {
  DEFAULT_FOLLOW_UP_POLICY,
  DROP_POLICIES,
  DROPPED_REASONS,
  DropPolicy,
  DroppedReason,
  FOLLOW_UP_LIMITS,
  MAX_MESSAGE_TEXT,
  MESSAGE_LANES,
  MESSAGE_STATUSES,
  MessageLane,
  MessageStatus,
} from '../follow-ups';

/**
 * `followUps` of a task at create, and of a team's settings: every field optional — what is not
 * given comes from the team's settings, then Heddle's defaults.
 */
export class FollowUpPolicyDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: FOLLOW_UP_LIMITS.cap.min,
    maximum: FOLLOW_UP_LIMITS.cap.max,
    default: DEFAULT_FOLLOW_UP_POLICY.cap,
    example: 20,
    description: 'At most this many follow-up messages queued at once.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(FOLLOW_UP_LIMITS.cap.min)
  @Max(FOLLOW_UP_LIMITS.cap.max)
  cap?: number;

  @ApiPropertyOptional({
    enum: DROP_POLICIES,
    default: DEFAULT_FOLLOW_UP_POLICY.dropPolicy,
    example: 'summarize',
    description:
      'At the cap: `reject` answers 409 `task/message_queue_full`; `drop_oldest` drops the oldest queued message of the lowest-priority lane; `summarize` merges the two oldest queued messages into one (each part prefixed by its time).',
  })
  @IsOptionalNotNull()
  @IsIn(DROP_POLICIES)
  dropPolicy?: DropPolicy;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: FOLLOW_UP_LIMITS.debounceMs.min,
    maximum: FOLLOW_UP_LIMITS.debounceMs.max,
    default: DEFAULT_FOLLOW_UP_POLICY.debounceMs,
    example: 50,
    description: 'Queued messages are delivered once the newest of them is this many milliseconds old.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(FOLLOW_UP_LIMITS.debounceMs.min)
  @Max(FOLLOW_UP_LIMITS.debounceMs.max)
  debounceMs?: number;

  @ApiPropertyOptional({
    enum: MESSAGE_LANES,
    isArray: true,
    minItems: 1,
    maxItems: MESSAGE_LANES.length,
    uniqueItems: true,
    default: MESSAGE_LANES,
    example: ['control', 'handoff', 'advice', 'default'],
    description:
      'Lanes, highest priority first: queued messages are delivered in this order (then oldest first), and `drop_oldest` drops from the last lane. Lanes left out follow in the default order.',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MESSAGE_LANES.length)
  @ArrayUnique()
  @IsIn(MESSAGE_LANES, { each: true })
  lanePriority?: MessageLane[];
}

/** The policy a task runs under (resolved at create), as the task shows it. */
export class FollowUpPolicyResponseDto {
  @ApiProperty({ type: 'integer', example: 10 }) cap!: number;
  @ApiProperty({ enum: DROP_POLICIES, example: 'reject' }) dropPolicy!: DropPolicy;
  @ApiProperty({ type: 'integer', example: 2000 }) debounceMs!: number;
  @ApiProperty({ enum: MESSAGE_LANES, isArray: true, example: ['control', 'handoff', 'advice', 'default'] })
  lanePriority!: MessageLane[];
}

export class SendTaskMessageDto {
  @ApiProperty({
    example: 'Also add the endpoint to the OpenAPI document.',
    minLength: 1,
    maxLength: MAX_MESSAGE_TEXT,
    description: "Sent to the agent as the next prompt in the task's session once it is idle.",
  })
  @IsString()
  @Length(1, MAX_MESSAGE_TEXT)
  @Matches(/\S/, { message: 'text must not be blank' })
  text!: string;

  @ApiPropertyOptional({
    enum: MESSAGE_LANES,
    default: 'default',
    example: 'advice',
    description: "Delivery order among queued messages follows the task's `followUps.lanePriority`.",
  })
  @IsOptionalNotNull()
  @IsIn(MESSAGE_LANES)
  lane?: MessageLane;
}

export class ListTaskMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'One status or a comma list.', example: 'queued,delivered' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value))
  @IsIn(MESSAGE_STATUSES, { each: true })
  status?: MessageStatus[];
}

export class TaskMessageResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty({ example: 'Also add the endpoint to the OpenAPI document.' }) text!: string;
  @ApiProperty({ enum: MESSAGE_LANES, example: 'default' }) lane!: MessageLane;
  @ApiProperty({
    enum: MESSAGE_STATUSES,
    example: 'queued',
    description: '`queued` until delivered as (part of) the prompt of a turn, or dropped.',
  })
  status!: MessageStatus;
  @ApiProperty({
    example: 'token:k3v9x2qa',
    description: '`token:<prefix>`; `system:summarize` for a message a summary made.',
  })
  createdBy!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    description: "When it was sent; a summary has the time of the oldest message it holds (it keeps that one's place).",
  })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt!: string | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'The number of the turn whose prompt carried it (`GET /api/tasks/{id}/turns`).',
  })
  turn!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) droppedAt!: string | null;
  @ApiProperty({
    enum: DROPPED_REASONS,
    nullable: true,
    example: null,
    description:
      '`drop_oldest`: dropped to make room; `summarized`: merged into `mergedInto`; `task_finished`: the task finished first.',
  })
  droppedReason!: DroppedReason | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: null }) mergedInto!: string | null;
}

export class TaskMessagePageDto {
  @ApiProperty({ type: [TaskMessageResponseDto] }) items!: TaskMessageResponseDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}
