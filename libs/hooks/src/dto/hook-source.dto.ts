import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull } from '@heddle/common';

export const HOOK_KINDS = ['github', 'generic'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];
export const GENERIC_AUTH = ['token', 'hmac'] as const;
export type GenericAuth = (typeof GENERIC_AUTH)[number];

export class HookSourceConfigDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'acme/api': '/srv/repos/api' },
    description:
      'GitHub: `owner/repo` → absolute workspace path. A repo not listed answers 422 `hook/repo_not_mapped`.',
  })
  @IsOptionalNotNull()
  @IsObject()
  repos?: Record<string, string>;

  @ApiPropertyOptional({
    example: '/heddle',
    default: '/heddle',
    description:
      'GitHub: a comment line starting with this word makes a task; the rest of the comment is the instruction.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 50)
  @Matches(/^\S+$/, { message: 'trigger must be one word without spaces' })
  trigger?: string;

  @ApiPropertyOptional({ example: 'heddle', description: 'GitHub: adding this label to an issue or PR makes a task.' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  label?: string;

  @ApiPropertyOptional({
    enum: GENERIC_AUTH,
    default: 'token',
    description:
      'Generic: `token` — the secret in the `X-Heddle-Hook-Token` header; `hmac` — `sha256=<hex HMAC-SHA256 of the body>` in `signatureHeader`.',
  })
  @IsOptionalNotNull()
  @IsIn(GENERIC_AUTH)
  auth?: GenericAuth;

  @ApiPropertyOptional({ example: 'X-Signature-256', default: 'X-Signature-256' })
  @IsOptionalNotNull()
  @IsString()
  @Matches(/^[A-Za-z0-9-]{1,100}$/, { message: 'signatureHeader must be a header name' })
  signatureHeader?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { name: '{{ $.title }}', goal: '{{ $.body }}', workspace: '/srv/repos/api' },
    description:
      'Generic: task fields; strings may hold `{{ $.path }}` placeholders read from the payload (`$.a.b[0]`). Nothing is evaluated.',
  })
  @IsOptionalNotNull()
  @IsObject()
  template?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { labels: ['linux'], checks: [{ type: 'file_exists', path: 'README.md' }] },
    description:
      'Fields of every task this source makes, as in POST /api/tasks (hostId, labels, checks, model, agent, budgets …); the payload fills name, goal and workspace.',
  })
  @IsOptionalNotNull()
  @IsObject()
  task?: Record<string, unknown>;
}

export class CreateHookSourceDto {
  @ApiProperty({ example: 'acme-github', description: 'Unique in the team.' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'name may hold letters, digits, ".", "_" and "-"' })
  name!: string;

  @ApiProperty({ enum: HOOK_KINDS, example: 'github' })
  @IsIn(HOOK_KINDS)
  kind!: HookKind;

  @ApiPropertyOptional({ type: HookSourceConfigDto })
  @IsOptionalNotNull()
  @ValidateNested()
  @Type(() => HookSourceConfigDto)
  config?: HookSourceConfigDto;

  @ApiPropertyOptional({ default: true, example: true })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateHookSourceDto {
  @ApiPropertyOptional({ example: 'acme-github' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'name may hold letters, digits, ".", "_" and "-"' })
  name?: string;

  @ApiPropertyOptional({ type: HookSourceConfigDto, description: 'Replaces the whole config.' })
  @IsOptionalNotNull()
  @ValidateNested()
  @Type(() => HookSourceConfigDto)
  config?: HookSourceConfigDto;

  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class HookSourceResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000c001' })
  id!: string;

  @ApiProperty({ example: 'acme-github' })
  name!: string;

  @ApiProperty({ enum: HOOK_KINDS, example: 'github' })
  kind!: HookKind;

  @ApiProperty({
    example: '/api/hooks/0195f3c2-9a00-7000-8000-00000000c001',
    description: 'Where the source POSTs (prefix it with the server URL).',
  })
  path!: string;

  @ApiProperty({ type: HookSourceConfigDto })
  config!: HookSourceConfigDto;

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'After a rotation with `graceSeconds`: until when the previous secret is still accepted.',
  })
  previousSecretExpiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  updatedAt!: string;
}

/** The longest a rotated-out secret may stay valid: a week. */
export const MAX_SECRET_GRACE_SECONDS = 7 * 24 * 3600;

export class RotateHookSecretDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_SECRET_GRACE_SECONDS,
    default: 0,
    example: 3600,
    description:
      'How long the secret being replaced is still accepted beside the new one, while the sender is switched over (0: it stops at once — for a leaked secret; at most a week).',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(MAX_SECRET_GRACE_SECONDS)
  graceSeconds?: number;
}

export class HookSourceWithSecretResponseDto extends HookSourceResponseDto {
  @ApiProperty({
    example: 'hks_3q2-7wEXAMPLEc0ffee',
    description:
      'GitHub and generic `hmac`: the signing secret; generic `token`: the source token. Shown only in this answer.',
  })
  secret!: string;
}

export class HookSourcePageDto {
  @ApiProperty({ type: [HookSourceResponseDto] })
  items!: HookSourceResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class HookDeliveryResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    example: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    description: 'X-GitHub-Delivery, X-Delivery-Id or a body hash.',
  })
  deliveryId!: string;

  @ApiProperty({ example: 'issue_comment' })
  event!: string;

  @ApiProperty({ example: 'created' })
  outcome!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  taskId!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

export class HookDeliveryPageDto {
  @ApiProperty({ type: [HookDeliveryResponseDto] })
  items!: HookDeliveryResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

/** What `POST /api/hooks/{source}` answers: 201 created, 200 replayed (a redelivery), 202 ignored. */
export interface HookReceipt {
  status: 'created' | 'replayed' | 'ignored';
  taskId?: string;
  deliveryId: string;
  reason?: string;
}
