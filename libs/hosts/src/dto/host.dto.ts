import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
} from 'class-validator';
import { IsOptionalNotNull, PageQueryDto, WORKSPACE_ROOT_LIMITS, workspaceRootProblem } from '@heddle/common';
import { HOST_STATUSES, HostStatus } from '../host-status';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const LABEL = /^[a-z0-9][a-z0-9._:/-]*$/;

/** Lowercase labels tasks select hosts by. */
const Labels = () =>
  applyDecorators(
    IsArray(),
    ArrayMaxSize(50),
    IsString({ each: true }),
    Matches(LABEL, { each: true, message: 'each label must be lowercase letters, digits and . _ : / -' }),
    MaxLength(100, { each: true }),
  );

/** Absolute, normalised directories a task's workspace must lie under (1–32; duplicates are dropped). */
const WorkspaceRoots = () =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(WORKSPACE_ROOT_LIMITS.minRoots, { message: 'workspaceRoots must name at least one directory' }),
    ArrayMaxSize(WORKSPACE_ROOT_LIMITS.maxRoots, {
      message: `workspaceRoots must name at most ${WORKSPACE_ROOT_LIMITS.maxRoots} directories`,
    }),
    ValidateBy(
      {
        name: 'isWorkspaceRoot',
        validator: {
          validate: (value: unknown) => workspaceRootProblem(value) === undefined,
          defaultMessage: (args) => {
            const list = Array.isArray(args?.value) ? (args.value as unknown[]) : [];
            const at = list.findIndex((v) => workspaceRootProblem(v) !== undefined);
            return at < 0
              ? 'each entry of workspaceRoots must be an absolute, normalised path'
              : `workspaceRoots[${at}] ${workspaceRootProblem(list[at])}`;
          },
        },
      },
      { each: true },
    ),
  );

const WORKSPACE_ROOTS_DOC =
  "Absolute directories on the host that a task's workspace must lie under (1–32, normalised: no `..`, `.` or trailing slash; duplicates are dropped). Checked at dispatch on the path as the host resolves it (symlinks followed): a workspace outside every root fails `workspace.outside_roots`. `/` allows every directory. See docs/security.md.";

export class CreateHostDto {
  @ApiProperty({ example: 'build-box-1', maxLength: 100, pattern: NAME.source, description: 'Unique within the team.' })
  @IsString()
  @Length(1, 100)
  @Matches(NAME, { message: 'name must start with a letter or digit and use letters, digits, . _ -' })
  name!: string;

  @ApiProperty({ example: 'https://opencode.build-box-1.example.com', description: 'http(s) URL of `opencode serve`.' })
  @IsString()
  @MaxLength(2048)
  baseUrl!: string;

  @ApiPropertyOptional({ example: 'opencode', description: 'Basic-auth user (OpenCode default `opencode`).' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 200)
  username?: string;

  @ApiPropertyOptional({
    example: 's3cret',
    description: 'Basic-auth password (`OPENCODE_SERVER_PASSWORD`). Stored encrypted; never returned.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1000)
  password?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['linux', 'gpu'],
    description: 'Lowercase labels tasks select hosts by.',
  })
  @IsOptionalNotNull()
  @Labels()
  labels?: string[];

  @ApiProperty({
    type: [String],
    minItems: WORKSPACE_ROOT_LIMITS.minRoots,
    maxItems: WORKSPACE_ROOT_LIMITS.maxRoots,
    example: ['/srv/repos'],
    description: WORKSPACE_ROOTS_DOC,
  })
  @WorkspaceRoots()
  workspaceRoots!: string[];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000,
    default: 4,
    description: 'Sessions Heddle may run on this host at once.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxSessions?: number;

  @ApiPropertyOptional({ default: true, description: 'Disabled hosts are neither probed nor selected.' })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateHostDto {
  @ApiPropertyOptional({ example: 'build-box-1', maxLength: 100, pattern: NAME.source })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  @Matches(NAME, { message: 'name must start with a letter or digit and use letters, digits, . _ -' })
  name?: string;

  @ApiPropertyOptional({ example: 'https://opencode.build-box-1.example.com' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(2048)
  baseUrl?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'opencode', description: 'null removes it.' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  username?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'n3w-s3cret',
    description: 'null removes it. Never returned.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  password?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['linux'] })
  @IsOptionalNotNull()
  @Labels()
  labels?: string[];

  @ApiPropertyOptional({
    type: [String],
    minItems: WORKSPACE_ROOT_LIMITS.minRoots,
    maxItems: WORKSPACE_ROOT_LIMITS.maxRoots,
    example: ['/srv/repos', '/home/ci/work'],
    description: `${WORKSPACE_ROOTS_DOC} Replaces the whole list; tasks already running are not re-checked.`,
  })
  @IsOptionalNotNull()
  @WorkspaceRoots()
  workspaceRoots?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 1000 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxSessions?: number;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class ListHostsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: HOST_STATUSES })
  @IsOptional()
  @IsIn(HOST_STATUSES)
  status?: HostStatus;

  @ApiPropertyOptional({ description: 'Only hosts carrying this label.', example: 'gpu' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  label?: string;

  @ApiPropertyOptional({ description: 'Only enabled (true) or disabled (false) hosts.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  enabled?: boolean;
}

export class HostResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000a001' })
  id!: string;

  @ApiProperty({ example: 'build-box-1' })
  name!: string;

  @ApiProperty({ example: 'https://opencode.build-box-1.example.com' })
  baseUrl!: string;

  @ApiProperty({ type: String, nullable: true, example: 'opencode' })
  username!: string | null;

  @ApiProperty({ description: 'Whether a password is stored (it is never returned).', example: true })
  hasPassword!: boolean;

  @ApiProperty({ type: [String], example: ['linux', 'gpu'] })
  labels!: string[];

  @ApiProperty({
    type: [String],
    example: ['/srv/repos'],
    description: "Directories a task's workspace must lie under (symlinks resolved by the host).",
  })
  workspaceRoots!: string[];

  @ApiProperty({ example: 4 })
  maxSessions!: number;

  @ApiProperty({ example: true })
  enabled!: boolean;

  @ApiProperty({ enum: HOST_STATUSES, example: 'online' })
  status!: HostStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '1.18.34',
    description: 'OpenCode version at the last successful probe.',
  })
  version!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-23T12:00:00.000Z' })
  lastProbeAt!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 12 })
  latencyMs!: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError!: string | null;

  @ApiProperty({ example: 1, description: 'Sessions Heddle tasks hold on this host now.' })
  activeSessions!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class HostPageDto {
  @ApiProperty({ type: [HostResponseDto] })
  items!: HostResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class ProbeResultDto {
  @ApiProperty({ enum: HOST_STATUSES, example: 'online' })
  status!: HostStatus;

  @ApiProperty({ type: String, nullable: true, example: '1.18.34' })
  version!: string | null;

  @ApiProperty({ example: 12 })
  latencyMs!: number;

  @ApiPropertyOptional({ example: 'connection refused (http://10.0.0.5:4096)' })
  error?: string;
}
