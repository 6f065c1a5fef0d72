import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsOptionalNotNull } from '@heddle/common';

const LABEL = /^[a-z0-9][a-z0-9._:/-]*$/;
const WORKSPACE = /^\/(?!.*(^|\/)\.\.(\/|$))[^\0]*$/;
const RELATIVE_FILE = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0\n\r]+$/;

export class BootstrapPlanDto {
  @ApiPropertyOptional({ example: 'Health endpoint', description: 'The plan heading; default "Plan".' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 200)
  title?: string;

  @ApiPropertyOptional({
    example: 'Add GET /health that answers {"status":"ok"}, with a test.',
    description: 'One paragraph under the heading; also the goal in the loop prompt.',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 10_000)
  goal?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['Add the route', 'Add a test for it', 'Document it in README'],
    description: 'Open items in order (a reviewed `POST /api/plans/draft` answer, say); default three placeholders.',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 1000, { each: true })
  items?: string[];

  @ApiPropertyOptional({ default: 'PLAN.md', description: 'Plan file, relative to the workspace.' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 500)
  @Matches(RELATIVE_FILE, { message: 'planFile must be a path inside the workspace' })
  planFile?: string;

  @ApiPropertyOptional({ default: '.loop-prompt.md', description: 'Loop prompt file, relative to the workspace.' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 500)
  @Matches(RELATIVE_FILE, { message: 'promptFile must be a path inside the workspace' })
  promptFile?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Write the files into `workspace` on this host (with `workspace`). Needs `checks:command` and the team policy `allowCommandChecks`: OpenCode has no file-write route, so the files are written by a shell command in a throw-away session.',
  })
  @IsOptionalNotNull()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({
    example: '/srv/repos/api',
    description: 'Absolute directory on the host, under one of its `workspaceRoots` (with `hostId`).',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 4096)
  @Matches(WORKSPACE, { message: 'workspace must be an absolute path without ".." segments' })
  workspace?: string;

  @ApiPropertyOptional({ default: false, description: 'Overwrite existing files (otherwise 409 `plan/file_exists`).' })
  @IsOptionalNotNull()
  @IsBoolean()
  force?: boolean;
}

export class PlanFileDto {
  @ApiProperty({ example: 'PLAN.md' })
  path!: string;

  @ApiProperty({ example: '/srv/repos/api/PLAN.md' })
  absolutePath!: string;

  @ApiProperty({ description: 'A file was already there and was replaced (`force`).' })
  overwritten!: boolean;
}

export class BootstrapPlanResponseDto {
  @ApiProperty({ example: 'PLAN.md' })
  planFile!: string;

  @ApiProperty({ example: '.loop-prompt.md' })
  promptFile!: string;

  @ApiProperty({ description: 'The starter PLAN.md.' })
  plan!: string;

  @ApiProperty({ description: 'The loop prompt; `{{PLAN_FILE}}` is replaced with the plan path at run time.' })
  prompt!: string;

  @ApiProperty({ description: 'The files were written on the host.' })
  written!: boolean;

  @ApiPropertyOptional({ format: 'uuid' })
  hostId?: string;

  @ApiPropertyOptional({ description: 'The workspace as the host resolves it.' })
  workspace?: string;

  @ApiPropertyOptional({ type: [PlanFileDto] })
  files?: PlanFileDto[];
}

export class DraftPlanDto {
  @ApiProperty({ example: 'Add a /health endpoint with a test and document it', maxLength: 10_000 })
  @IsString()
  @Length(1, 10_000)
  intent!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Ask this host (or give labels).' })
  @IsOptionalNotNull()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({ type: [String], example: ['linux'], description: 'Ask an online host carrying every label.' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(LABEL, { each: true, message: 'each label must be lowercase letters, digits and . _ : / -' })
  labels?: string[];

  @ApiPropertyOptional({
    example: '/srv/repos/api',
    description: "The session's directory, under the host's `workspaceRoots`; default its first root.",
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 4096)
  @Matches(WORKSPACE, { message: 'workspace must be an absolute path without ".." segments' })
  workspace?: string;

  @ApiPropertyOptional({ example: 'anthropic/claude-sonnet-4-5', description: '"provider/model" for the session.' })
  @IsOptionalNotNull()
  @IsString()
  @Matches(/^[^/\s]+\/\S+$/, { message: 'model must be "provider/model"' })
  @Length(1, 200)
  model?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 600,
    default: 60,
    description: 'Give up after this many seconds: the session is aborted and deleted, and the answer is a 504.',
  })
  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(600)
  timeoutSeconds?: number;
}

export class DraftPlanResponseDto {
  @ApiProperty({ type: [String], example: ['Add the route', 'Add a test', 'Document it'] })
  items!: string[];

  @ApiProperty({ description: 'A PLAN.md built from the items, for review (pass `items` to bootstrap to write it).' })
  plan!: string;

  @ApiProperty({ format: 'uuid' })
  hostId!: string;

  @ApiProperty({ example: '/srv/repos/api' })
  workspace!: string;

  @ApiProperty({ description: 'Tokens the throw-away session used.', example: { input: 1200, output: 80 } })
  tokens!: { input: number; output: number };

  @ApiProperty({ example: 2400 })
  durationMs!: number;
}
