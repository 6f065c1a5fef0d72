import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { IsOptionalNotNull, PageQueryDto } from '@heddle/common';
import { PERMISSION_REPLIES, PermissionReplyKind } from '../permission-policy';

export const PERMISSION_STATUSES = ['pending', 'replied', 'expired'] as const;
export type PermissionStatus = (typeof PERMISSION_STATUSES)[number];

const EXAMPLE_ID = '0195f3c2-9a00-7000-8000-00000000c001';
const EXAMPLE_TASK = '0195f3c2-7d4e-7a61-9b0a-5e2f1c3d4b5a';
const EXAMPLE_HOST = '0195f3c2-0000-7000-8000-0000000000a1';

/** The tool call that waits, as OpenCode names it. */
export class ToolCallRefDto {
  @ApiProperty({ example: 'msg_e1b1c0f3a001Qm5kZ8yVd3H2nP' })
  messageID!: string;

  @ApiProperty({ example: 'call_0' })
  callID!: string;
}

/** Who answered: `token:<prefix>` over the API, `policy` (auto-accept / auto-answer), or `host` (elsewhere). */
const REPLIED_BY =
  "`token:<prefix>` (a token, over the API), `policy` (the task's or team's rules, no person), or `host` (answered on the host itself, or gone from it); null while pending.";

export class PermissionResponseDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID })
  id!: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: EXAMPLE_TASK,
    description: 'The task whose session (or a child session of it) asks; null when no task of the team owns it.',
  })
  taskId!: string | null;

  @ApiProperty({ format: 'uuid', example: EXAMPLE_HOST })
  hostId!: string;

  @ApiProperty({ example: 'ses_e1b1c0f3a001Qm5kZ8yVd3H2nP' })
  sessionId!: string;

  @ApiProperty({ example: '/srv/repos/api', description: 'The workspace (OpenCode instance) the request lives in.' })
  directory!: string;

  @ApiProperty({ example: 'per_e1b1c0f3a001Qm5kZ8yVd3H2nP', description: "OpenCode's id of the request." })
  requestId!: string;

  @ApiProperty({ example: 'edit', description: 'What the tool wants: `edit`, `bash`, `webfetch`, `read`, …' })
  permission!: string;

  @ApiProperty({
    type: [String],
    example: ['src/health.ts'],
    description: 'What it wants it for: file paths (`edit`), one entry per command (`bash`), URLs (`webfetch`).',
  })
  patterns!: string[];

  @ApiProperty({ type: [String], example: ['*'], description: 'What an `always` reply would allow from then on.' })
  always!: string[];

  @ApiProperty({
    type: Object,
    example: { filepath: '/srv/repos/api/src/health.ts', diff: 'Index: src/health.ts\n…' },
    description: "OpenCode's details: the diff of an edit, the command of a bash call, …",
  })
  metadata!: Record<string, unknown>;

  @ApiProperty({ type: ToolCallRefDto, nullable: true })
  tool!: ToolCallRefDto | null;

  @ApiProperty({
    enum: PERMISSION_STATUSES,
    example: 'pending',
    description:
      '`expired`: gone from the host without a reply Heddle saw (the session was aborted, the host restarted).',
  })
  status!: PermissionStatus;

  @ApiProperty({ enum: PERMISSION_REPLIES, nullable: true, example: null })
  reply!: PermissionReplyKind | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Sent with the reply (feedback for the model).',
  })
  message!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: REPLIED_BY })
  repliedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-05T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  repliedAt!: string | null;
}

export class PermissionPageDto {
  @ApiProperty({ type: [PermissionResponseDto] })
  items!: PermissionResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

const statusList = () =>
  Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value));

export class ListPermissionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this task's requests." })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only this host's requests." })
  @IsOptional()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({ description: 'One status or a comma list.', example: 'pending' })
  @IsOptional()
  @statusList()
  @IsIn(PERMISSION_STATUSES, { each: true })
  status?: PermissionStatus[];
}

export class ReplyPermissionDto {
  @ApiProperty({
    enum: PERMISSION_REPLIES,
    example: 'once',
    description:
      '`once` runs the tool; `always` runs it and lets OpenCode allow matching requests (`always` patterns) of the same project until the host restarts; `reject` refuses it — without a `message` the turn ends, with one the model gets it as feedback and goes on.',
  })
  @IsIn(PERMISSION_REPLIES)
  reply!: PermissionReplyKind;

  @ApiPropertyOptional({ example: 'Use the existing router instead.', maxLength: 10000 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 10_000)
  message?: string;
}
