import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  NotContains,
} from 'class-validator';
import { EVENT_TYPES, EventType, IsOptionalNotNull } from '@heddle/common';

const URL_EXAMPLE = 'https://hooks.example.com/heddle';

/** Event types an endpoint receives; empty (the default) means every type. */
const EventFilter = () =>
  applyDecorators(
    IsArray(),
    ArrayMaxSize(EVENT_TYPES.length),
    IsIn(EVENT_TYPES, { each: true, message: `each event must be one of ${EVENT_TYPES.join(', ')}` }),
  );

/** Answers hide query values as `***`: a URL copied back from one would send deliveries nowhere. */
const NotRedacted = () =>
  NotContains('***', {
    message: 'url holds "***", as answers show it redacted: send the full URL (with its token) instead',
  });

export class CreateWebhookDto {
  @ApiProperty({
    example: URL_EXAMPLE,
    maxLength: 2048,
    description:
      'http(s) URL the events are POSTed to. After DNS resolution it may not be private or loopback unless HEDDLE_OUTBOUND_ALLOW covers it; link-local and metadata addresses are never allowed.',
  })
  @IsString()
  @MaxLength(2048)
  @NotRedacted()
  url!: string;

  @ApiPropertyOptional({
    type: [String],
    enum: EVENT_TYPES,
    example: ['TASK_COMPLETED', 'TASK_FAILED'],
    description: 'Event types delivered; empty or absent means every type.',
  })
  @IsOptionalNotNull()
  @EventFilter()
  events?: EventType[];

  @ApiPropertyOptional({ example: 'CI notifications', maxLength: 500 })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 500)
  description?: string;

  @ApiPropertyOptional({ default: true, example: true, description: 'A disabled endpoint receives nothing.' })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ example: URL_EXAMPLE, maxLength: 2048 })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(2048)
  @NotRedacted()
  url?: string;

  @ApiPropertyOptional({ type: [String], enum: EVENT_TYPES, example: ['TASK_COMPLETED'] })
  @IsOptionalNotNull()
  @EventFilter()
  events?: EventType[];

  @ApiPropertyOptional({ type: String, nullable: true, example: 'CI notifications', description: 'null removes it.' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  description?: string | null;

  @ApiPropertyOptional({
    example: true,
    description: '`true` also re-enables an endpoint that was disabled for failing (its failure period starts over).',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000b001' })
  id!: string;

  @ApiProperty({ example: URL_EXAMPLE })
  url!: string;

  @ApiProperty({
    type: [String],
    enum: EVENT_TYPES,
    example: ['TASK_COMPLETED', 'TASK_FAILED'],
    description: 'Empty: every type.',
  })
  events!: EventType[];

  @ApiProperty({ type: String, nullable: true, example: 'CI notifications' })
  description!: string | null;

  @ApiProperty({ example: true, description: 'As set by the team.' })
  enabled!: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Set when Heddle disabled the endpoint because every attempt failed for too long.',
  })
  disabledAt!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  disabledReason!: string | null;

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
    description: 'After a rotation: until when the previous secret still signs (a second signature).',
  })
  previousSecretExpiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  updatedAt!: string;
}

export class WebhookWithSecretResponseDto extends WebhookResponseDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret (Standard Webhooks). Shown only in this answer; store it now.',
  })
  secret!: string;
}

export class WebhookPageDto {
  @ApiProperty({ type: [WebhookResponseDto] })
  items!: WebhookResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
