import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNotNull } from '@heddle/common';
import {
  AUTO_ANSWER_QUESTIONS,
  AutoAcceptRuleDto,
  AutoAnswerQuestions,
  MAX_AUTO_ACCEPT_RULES,
} from '@heddle/permissions';
import { FollowUpPolicyDto } from '@heddle/tasks';
import { Type } from 'class-transformer';
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
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;

export class BudgetsDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 10000, example: 20 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  maxTurns?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000000000, example: 2000000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  maxTokens?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100000, example: 5 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100000)
  maxCostUsd?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 604800, example: 3600 })
  @IsOptional()
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
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxNoProgressIterations?: number;
}

export class TeamSettingsDto {
  @ApiPropertyOptional({ type: BudgetsDto, description: 'Budgets a task gets when it names none.' })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => BudgetsDto)
  defaultBudgets?: BudgetsDto;

  @ApiPropertyOptional({
    minimum: 2,
    maximum: 100000,
    default: 15,
    description:
      'Stale-busy: a session busy for this many consecutive harness observations (one per `HARNESS_POLL_MS`) with no new completed message or part raises `SESSION_STALE_BUSY` (once per episode; re-armed on progress).',
  })
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(100000)
  staleBusyObservations?: number;

  @ApiPropertyOptional({
    minimum: 2,
    maximum: 100000,
    description:
      'Stale-busy policy: when set, a session still without progress after this many observations is aborted and prompted again (a new turn, within the budgets). Unset: never.',
  })
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(100000)
  staleBusyAutoAbortAfter?: number;

  @ApiPropertyOptional({
    default: false,
    example: true,
    description:
      'Team policy: tasks may declare `command` checks, which run shell commands on the host as its OS user (creating one also needs the `checks:command` scope). Off for new teams; turning it off also stops command checks of tasks already made (they end `error`). See docs/security.md.',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  allowCommandChecks?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: 100000,
    example: 4,
    description:
      "Per-team concurrency limit: at most this many of the team's tasks hold a session at once (`dispatching`, `running` or `verifying`, on any host). At the limit the team's queued tasks wait — their waiting `LOG_LINE` names the limit — and the next one is dispatched when one of them finishes. Unset (or `null`, which removes it): no limit beyond the hosts' capacity. See docs/harness.md.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100000)
  maxRunningTasks?: number | null;

  @ApiPropertyOptional({
    type: [AutoAcceptRuleDto],
    maxItems: MAX_AUTO_ACCEPT_RULES,
    example: [{ permission: 'edit' }, { permission: 'bash', pattern: 'npm test' }],
    description:
      'Permission policy: requests of the team\'s tasks that reach Heddle and match a rule (a task\'s own `permission.autoAccept` first) are answered `once` at once, with no person (`repliedBy: "policy"`, `PERMISSION_REPLIED`). A request matches when its permission matches and every one of its patterns matches `pattern` (any, when omitted). Replaced as a whole by PATCH; `[]` removes them. See README "Permissions and questions".',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_AUTO_ACCEPT_RULES)
  @ValidateNested({ each: true })
  @Type(() => AutoAcceptRuleDto)
  autoAccept?: AutoAcceptRuleDto[];

  @ApiPropertyOptional({
    enum: AUTO_ANSWER_QUESTIONS,
    default: 'off',
    example: 'first',
    description:
      'Questions the agent asks in the team\'s tasks: `off` waits for a person; `first` answers each question with its first option at once; `fixed` answers each with `autoAnswerText` (typed in where the question allows an answer of its own, else the option with that label; a question that takes neither waits for a person). Answers by policy say `repliedBy: "policy"` (`QUESTION_ANSWERED`).',
  })
  @IsOptionalNotNull()
  @IsIn(AUTO_ANSWER_QUESTIONS)
  autoAnswerQuestions?: AutoAnswerQuestions;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    minLength: 1,
    maxLength: 2000,
    example: 'Use your best judgement and go on; do not wait for me.',
    description: 'The answer `autoAnswerQuestions: "fixed"` gives (required with it); `null` removes it.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  autoAnswerText?: string | null;

  @ApiPropertyOptional({
    type: FollowUpPolicyDto,
    nullable: true,
    example: { cap: 20, dropPolicy: 'drop_oldest', debounceMs: 1000 },
    description:
      "Defaults of the follow-up policy of the team's new tasks (`POST /api/tasks/{id}/messages`), field by field under a task's own `followUps`; Heddle's defaults are cap 10, `reject`, 2000 ms, `control,handoff,advice,default`. A task's policy is fixed when it is created, so a change applies to tasks created after it. Merged key by key by PATCH (`lanePriority` as a whole); `null` removes it.",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FollowUpPolicyDto)
  followUps?: FollowUpPolicyDto | null;
}

export class CreateTeamDto {
  @ApiProperty({ example: 'platform-team', minLength: 1, maxLength: 100, pattern: TEAM_NAME.source })
  @IsString()
  @Length(1, 100)
  @Matches(TEAM_NAME, { message: 'name must start with a letter or digit and use letters, digits, space, . _ -' })
  name!: string;
}

export class UpdateTeamDto {
  @ApiPropertyOptional({ example: 'platform-team', minLength: 1, maxLength: 100, pattern: TEAM_NAME.source })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  @Matches(TEAM_NAME, { message: 'name must start with a letter or digit and use letters, digits, space, . _ -' })
  name?: string;

  @ApiPropertyOptional({ type: TeamSettingsDto, description: 'Merged into the current settings, key by key.' })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => TeamSettingsDto)
  settings?: TeamSettingsDto;
}

export class TeamResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-0000-7000-8000-000000000001' })
  id!: string;

  @ApiProperty({ example: 'platform-team' })
  name!: string;

  @ApiProperty({
    type: TeamSettingsDto,
    example: { defaultBudgets: { maxTurns: 20 }, allowCommandChecks: false, maxRunningTasks: 4 },
  })
  settings!: TeamSettingsDto;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T10:00:00.000Z' })
  updatedAt!: string;
}

export class CreatedTeamResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-0000-7000-8000-000000000001' })
  id!: string;

  @ApiProperty({ example: 'platform-team' })
  name!: string;

  @ApiProperty({
    example: 'hdl_k3v9x2qa_3q2-7wKx0bY1tZ9mQ4sV8nR6uP5oL2iJ0hG7fE3dC1a',
    description: "The new team's owner token (every team scope). Shown only in this response.",
  })
  token!: string;
}

export class AuditEntryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'token:k3v9x2qa', description: '`token:<prefix>` or `system:<what>`.' })
  actor!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  actorTokenId!: string | null;

  @ApiProperty({ example: 'token.create' })
  action!: string;

  @ApiProperty({ example: 'token' })
  targetType!: string;

  @ApiProperty({ type: String, nullable: true, example: '0195f3c2-7d4e-7a61-9b0a-5e2f1c3d4b5a' })
  targetId!: string | null;

  @ApiProperty({ type: Object, example: { name: 'ci-pipeline' } })
  details!: unknown;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] })
  items!: AuditEntryDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
