import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ApiCheckListProperty, Check, IsCheckList } from '@heddle/checks';
import { IsDateTime, IsOptionalNotNull, PageQueryDto } from '@heddle/common';
import { TASK_PERMISSION_POLICY_EXAMPLE, TaskPermissionPolicyDto } from '@heddle/permissions';
import { TASK_STATUSES, TaskStatus } from '../task-state';
import { FollowUpPolicyDto } from './task-message.dto';

const LABEL = /^[a-z0-9][a-z0-9._:/-]*$/;
const MODEL = /^[^/\s]+\/\S+$/;

export class BudgetsInputDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, example: 10 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxTurns?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000_000, example: 2000000 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  maxTokens?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100000, example: 5 })
  @IsOptionalNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100000)
  maxCostUsd?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 604800, example: 3600 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(604800)
  maxWallSeconds?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000,
    example: 3,
    description: 'Plan mode: iterations in a row that close no plan item before the task fails (`budget.no_progress`).',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxNoProgressIterations?: number;
}

export class CreateTaskDto {
  @ApiProperty({ example: 'add-health-endpoint', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({
    example: '/srv/repos/api',
    description:
      "Absolute path of the workspace on the host; it must lie under one of the host's `workspaceRoots` (symlinks resolved), or the task fails `workspace.outside_roots`.",
  })
  @IsString()
  @Length(1, 4096)
  @Matches(/^\/(?!.*(^|\/)\.\.(\/|$))[^\0]*$/, { message: 'workspace must be an absolute path without ".." segments' })
  workspace!: string;

  @ApiProperty({ example: 'Add GET /health that answers {"status":"ok"} and a test for it.', maxLength: 100000 })
  @IsString()
  @Length(1, 100_000)
  goal!: string;

  @ApiPropertyOptional({ type: [String], example: ['write the route', 'write the test'] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(10_000, { each: true })
  steps?: string[];

  @ApiCheckListProperty({
    description:
      'Acceptance checks, judged against the workspace through the host (never by asking the model); discriminated by `kind`. Paths are relative to the workspace (absolute ones only inside it). None means the weak default (idle without error and the working tree changed). `command` checks run shell commands on the host: they need the `checks:command` scope and the team setting `allowCommandChecks` (docs/security.md).',
  })
  @IsOptionalNotNull()
  @IsCheckList({ workspaceProperty: 'workspace' })
  checks?: Check[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Run on this host (or give labels).' })
  @IsOptionalNotNull()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['linux'],
    description: 'Run on an online host carrying every label.',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(LABEL, { each: true, message: 'each label must be lowercase letters, digits and . _ : / -' })
  labels?: string[];

  @ApiPropertyOptional({
    example: 'anthropic/claude-sonnet-4-5',
    description:
      '"provider/model", one the host offers (its `GET /config/providers`). With `hostId` it is checked at create (unknown → 400 naming it; a host that cannot be reached then does not refuse the task); otherwise at dispatch (`model.unknown`).',
  })
  @IsOptionalNotNull()
  @IsString()
  @Matches(MODEL, { message: 'model must be "provider/model"' })
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({
    example: 'build',
    description:
      "An agent of the host's `GET /agent` (`build`, `plan`, … ; not the hidden helpers). Checked like `model`: at create with `hostId`, otherwise at dispatch (`agent.unknown`).",
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  agent?: string;

  @ApiPropertyOptional({ enum: ['single', 'plan'], default: 'single' })
  @IsOptionalNotNull()
  @IsIn(['single', 'plan'])
  mode?: 'single' | 'plan';

  @ApiPropertyOptional({
    example: 'PLAN.md',
    default: 'PLAN.md',
    description: 'Plan mode: the plan file, relative to the workspace.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1000)
  @Matches(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]+$/, { message: 'planFile must be a path inside the workspace' })
  planFile?: string;

  @ApiPropertyOptional({
    example: 'Goal: {{GOAL}}\nChecks:\n{{CHECKS}}\n{{FAILING_CHECKS}}',
    description: 'Placeholders: {{GOAL}}, {{STEPS}}, {{CHECKS}}, {{FAILING_CHECKS}}, {{PLAN_FILE}}, {{WORKSPACE}}.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100_000)
  promptTemplate?: string;

  @ApiPropertyOptional({
    type: BudgetsInputDto,
    description: "Unset budgets come from the team defaults, then Heddle's.",
  })
  @IsOptionalNotNull()
  @ValidateNested()
  @Type(() => BudgetsInputDto)
  budgets?: BudgetsInputDto;

  @ApiPropertyOptional({
    minimum: 5,
    maximum: 86400,
    default: 30,
    description: 'Checks also run this often while the agent works.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(5)
  @Max(86400)
  checkIntervalSeconds?: number;

  @ApiPropertyOptional({
    example: 'ses_df7e99ba1ffe8J3wIqqaRqdLFQ',
    description: 'Bind to an existing OpenCode session.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Matches(/^ses_[A-Za-z0-9]+$/, { message: 'sessionId must be an OpenCode session id (ses_…)' })
  sessionId?: string;

  @ApiPropertyOptional({
    example: true,
    description:
      'With `sessionId`: abort what the session is running (OpenCode `POST /session/{id}/abort`) before the first prompt — abort-and-take-over of a stuck session. 400 without `sessionId`.',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  abortSession?: boolean;

  @ApiPropertyOptional({
    default: true,
    example: false,
    description:
      'false stores the task `paused` (nothing is dispatched) until `POST /api/tasks/{id}/resume` starts it.',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  start?: boolean;

  @ApiPropertyOptional({
    type: TaskPermissionPolicyDto,
    example: TASK_PERMISSION_POLICY_EXAMPLE,
    description:
      "Permission policy of the task's sessions: `edit`, `bash`, `webfetch` (`allow`, `ask` or `deny`) and `bashPatterns` become the session's OpenCode ruleset; requests that reach Heddle (`ask`) and match `autoAccept` (then the team's `autoAccept`) are answered `once` by Heddle, the others wait for a person (`GET /api/permissions?taskId=`). Omitted: the host's configuration and the team's rules.",
  })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => TaskPermissionPolicyDto)
  permission?: TaskPermissionPolicyDto;

  @ApiPropertyOptional({
    type: FollowUpPolicyDto,
    example: {
      cap: 20,
      dropPolicy: 'summarize',
      debounceMs: 50,
      lanePriority: ['control', 'handoff', 'advice', 'default'],
    },
    description:
      "Policy of the task's follow-up messages (`POST /api/tasks/{id}/messages`): at most `cap` queued (1-100, default 10); at the cap `reject` (409, the default), `drop_oldest` or `summarize`; delivered `debounceMs` (0-600000, default 2000) after the newest, in `lanePriority` order. Fields not given come from the team's `settings.followUps`, then Heddle's defaults; the result is fixed at create and shown as the task's `followUps`.",
  })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FollowUpPolicyDto)
  followUps?: FollowUpPolicyDto;
}

export class ListTasksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'One status or a comma list.', example: 'running,verifying' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value))
  @IsIn(TASK_STATUSES, { each: true })
  status?: TaskStatus[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({ example: 'linux' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  label?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Created at or after.' })
  @IsOptional()
  @IsDateTime()
  createdFrom?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Created before.' })
  @IsOptional()
  @IsDateTime()
  createdTo?: Date;

  @ApiPropertyOptional({ default: false, description: 'Archived tasks instead of live ones.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  archived?: boolean;
}

export class ResumeTaskDto {
  @ApiPropertyOptional({
    example: 'Also document the endpoint in README.md.',
    description: 'A new goal for the next turn.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100_000)
  goal?: string;
}

export class MarkTaskDto {
  @ApiProperty({
    example: 'Reviewed by hand: the migration is applied and the service answers.',
    description: 'Why, for people; stored as the reason detail and in the event.',
  })
  @IsString()
  @Length(1, 2000)
  reason!: string;
}

export class TakeoverTaskDto {
  @ApiProperty({ example: 'Stop: revert the last change and only fix the failing test.' })
  @IsString()
  @Length(1, 100_000)
  goal!: string;
}
