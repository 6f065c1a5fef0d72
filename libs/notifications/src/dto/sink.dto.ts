import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { EVENT_TYPES, EventType, IsOptionalNotNull, PageQueryDto } from '@heddle/common';
import { FILE_PREFIX_PATTERN } from '../file-sink';
import { DeliveryBaseDto, ListDeliveriesQueryDto } from '@heddle/delivery';
import { SINK_KINDS, SinkKind } from '../sink-kinds';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_MESSAGE = 'name must start with a letter or digit and use letters, digits, . _ -';
const PREFIX_MESSAGE = 'filePrefix may use only letters, digits, . _ - (no slashes)';

const Name = () => applyDecorators(IsString(), Length(1, 100), Matches(NAME, { message: NAME_MESSAGE }));

const Url = () => applyDecorators(IsString(), Length(1, 2048));

const FilePrefix = () =>
  applyDecorators(IsString(), Length(1, 100), Matches(FILE_PREFIX_PATTERN, { message: PREFIX_MESSAGE }));

const Events = () =>
  applyDecorators(
    IsArray(),
    ArrayMaxSize(EVENT_TYPES.length),
    IsIn(EVENT_TYPES, { each: true, message: 'each event must be one of the event types' }),
  );

const Token = () =>
  applyDecorators(IsString(), Length(1, 1000), Matches(/^\S+$/, { message: 'token must not contain spaces' }));

const TOKEN_DESCRIPTION =
  "Required for `github_comment`; not allowed otherwise. A GitHub token that may comment on the mapped repositories' issues and pull requests (fine-grained: Issues and Pull requests read and write). Sealed at rest and never answered (`tokenSet` says whether one is stored).";

const URL_DESCRIPTION =
  "Required for `slack`, `discord` and `json`; optional for `github_comment` (GitHub's API base, default `https://api.github.com`; GitHub Enterprise: `https://<host>/api/v3`); not allowed for `file`. The incoming-webhook or endpoint URL: http(s), and after DNS resolution not private, loopback or link-local unless HEDDLE_OUTBOUND_ALLOW covers it. Treated as a secret: answered redacted (scheme and host only).";
const PREFIX_DESCRIPTION =
  "Required for `file`; not allowed otherwise. Files are named `<prefix>-<TYPE>-<UTC timestamp>-<seq>.json` under `HEDDLE_FILE_SINK_ROOT/<teamId>/`. Unique among the team's file sinks.";

export class CreateSinkDto {
  @ApiProperty({ example: 'ops-slack', maxLength: 100, pattern: NAME.source, description: 'Unique within the team.' })
  @Name()
  name!: string;

  @ApiProperty({
    enum: SINK_KINDS,
    example: 'slack',
    description:
      '`slack` / `discord`: incoming webhooks, one readable line per event. `json`: POSTs the event payload (as webhooks carry it). `file`: one JSON file per event (only when the operator set HEDDLE_FILE_SINK_ROOT). `github_comment`: comments on the issue or pull request a task came from (tasks made by a GitHub hook source; other tasks are skipped) when it starts or ends.',
  })
  @IsIn(SINK_KINDS)
  kind!: SinkKind;

  @ApiPropertyOptional({ example: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX', description: URL_DESCRIPTION })
  @IsOptionalNotNull()
  @Url()
  url?: string;

  @ApiPropertyOptional({
    example: 'heddle',
    maxLength: 100,
    pattern: FILE_PREFIX_PATTERN.source,
    description: PREFIX_DESCRIPTION,
  })
  @IsOptionalNotNull()
  @FilePrefix()
  filePrefix?: string;

  @ApiPropertyOptional({ example: 'github_pat_11AAAA…', writeOnly: true, description: TOKEN_DESCRIPTION })
  @IsOptionalNotNull()
  @Token()
  token?: string;

  @ApiPropertyOptional({
    enum: EVENT_TYPES,
    isArray: true,
    example: ['TASK_COMPLETED', 'TASK_FAILED'],
    description:
      'Event types sent to this sink; empty or omitted means every type. `github_comment`: some of TASK_STARTED, TASK_COMPLETED, TASK_FAILED, TASK_ABORTED; omitted means TASK_COMPLETED and TASK_FAILED.',
  })
  @IsOptionalNotNull()
  @Events()
  events?: EventType[];

  @ApiPropertyOptional({ default: true, example: true, description: 'A disabled sink receives nothing.' })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateSinkDto {
  @ApiPropertyOptional({ example: 'ops-slack', maxLength: 100, pattern: NAME.source })
  @IsOptionalNotNull()
  @Name()
  name?: string;

  @ApiPropertyOptional({
    example: 'https://hooks.slack.com/services/T000/B000/YYYYYYYY',
    description: 'slack, discord and json sinks only. Checked like on creation.',
  })
  @IsOptionalNotNull()
  @Url()
  url?: string;

  @ApiPropertyOptional({
    example: 'heddle',
    maxLength: 100,
    pattern: FILE_PREFIX_PATTERN.source,
    description: 'file sinks only.',
  })
  @IsOptionalNotNull()
  @FilePrefix()
  filePrefix?: string;

  @ApiPropertyOptional({
    example: 'github_pat_11BBBB…',
    writeOnly: true,
    description: 'github_comment sinks only: replaces the stored token.',
  })
  @IsOptionalNotNull()
  @Token()
  token?: string;

  @ApiPropertyOptional({
    enum: EVENT_TYPES,
    isArray: true,
    example: ['TASK_COMPLETED'],
    description: 'Replaces the filter; empty means every type.',
  })
  @IsOptionalNotNull()
  @Events()
  events?: EventType[];

  @ApiPropertyOptional({
    example: true,
    description: '`true` also re-enables a sink that was disabled after failing (clears `disabledAt`).',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class ListSinksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: SINK_KINDS, example: 'slack' })
  @IsOptional()
  @IsIn(SINK_KINDS)
  kind?: SinkKind;

  @ApiPropertyOptional({ example: true, description: 'Only enabled (true) or disabled (false) sinks.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  enabled?: boolean;
}

export class ListSinkDeliveriesQueryDto extends ListDeliveriesQueryDto {}

export class SinkResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000b001' })
  id!: string;

  @ApiProperty({ example: 'ops-slack' })
  name!: string;

  @ApiProperty({ enum: SINK_KINDS, example: 'slack' })
  kind!: SinkKind;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://hooks.slack.com/***',
    description:
      'Redacted: scheme and host, the path and query masked as `***` (incoming-webhook URLs are secrets). null for file sinks.',
  })
  url!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'File sinks only.' })
  filePrefix!: string | null;

  @ApiProperty({ example: false, description: 'github_comment sinks: a token is stored (it is never answered).' })
  tokenSet!: boolean;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['TASK_COMPLETED', 'TASK_FAILED'] })
  events!: string[];

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Since when every attempt has failed; null after a success.',
  })
  failingSince!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description:
      'When the sink was disabled for failing longer than WEBHOOK_DISABLE_AFTER_SECONDS (`SINK_DISABLED`); PATCH `enabled: true` re-enables it.',
  })
  disabledAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  updatedAt!: string;
}

export class SinkPageDto {
  @ApiProperty({ type: [SinkResponseDto] })
  items!: SinkResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

/** A sink's delivery: the common fields of every delivery. */
export class SinkDeliveryDto extends DeliveryBaseDto {}

export class SinkDeliveryPageDto {
  @ApiProperty({ type: [SinkDeliveryDto] })
  items!: SinkDeliveryDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
