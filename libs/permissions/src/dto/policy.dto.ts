import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { IsOptionalNotNull } from '@heddle/common';
import { PERMISSION_ACTIONS, PermissionAction } from '../permission-policy';

/** An OpenCode permission name (`edit`, `bash`, `webfetch`, `read`, an MCP tool…); `*` and `?` are wildcards. */
const PERMISSION_NAME = /^[A-Za-z0-9_*?.:-]+$/;
export const MAX_AUTO_ACCEPT_RULES = 100;
export const MAX_BASH_PATTERNS = 100;

export class AutoAcceptRuleDto {
  @ApiProperty({
    example: 'bash',
    maxLength: 100,
    description:
      'OpenCode permission: `edit`, `bash`, `webfetch`, `read`, `external_directory`, … (OpenCode wildcards: `*` any run, `?` one character).',
  })
  @IsString()
  @Length(1, 100)
  @Matches(PERMISSION_NAME, {
    message: 'permission must be an OpenCode permission name (letters, digits, _ . : - * ?)',
  })
  permission!: string;

  @ApiPropertyOptional({
    example: 'npm *',
    maxLength: 1000,
    description:
      'Every pattern of the request (a file path for `edit`, each command for `bash`, a URL for `webfetch`) must match it; omitted: any. OpenCode wildcards: `*` matches any run (also `/`), `?` one character, and a trailing ` *` also matches the bare command (`git *` covers `git`).',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1000)
  pattern?: string;
}

export class BashPatternRuleDto {
  @ApiProperty({ example: 'git push *', maxLength: 1000, description: 'A command pattern (OpenCode wildcards).' })
  @IsString()
  @Length(1, 1000)
  pattern!: string;

  @ApiProperty({ enum: PERMISSION_ACTIONS, example: 'deny' })
  @IsIn(PERMISSION_ACTIONS)
  action!: PermissionAction;
}

/** `permission` of a task: the session's ruleset and auto-accept rules (docs: README "Permissions and questions"). */
export class TaskPermissionPolicyDto {
  @ApiPropertyOptional({ enum: PERMISSION_ACTIONS, example: 'ask', description: 'File edits and writes.' })
  @IsOptionalNotNull()
  @IsIn(PERMISSION_ACTIONS)
  edit?: PermissionAction;

  @ApiPropertyOptional({
    enum: PERMISSION_ACTIONS,
    example: 'ask',
    description: 'Shell commands (see `bashPatterns`).',
  })
  @IsOptionalNotNull()
  @IsIn(PERMISSION_ACTIONS)
  bash?: PermissionAction;

  @ApiPropertyOptional({ enum: PERMISSION_ACTIONS, example: 'deny', description: 'Fetching URLs.' })
  @IsOptionalNotNull()
  @IsIn(PERMISSION_ACTIONS)
  webfetch?: PermissionAction;

  @ApiPropertyOptional({
    type: [BashPatternRuleDto],
    maxItems: MAX_BASH_PATTERNS,
    example: [
      { pattern: 'git *', action: 'allow' },
      { pattern: 'git push *', action: 'deny' },
    ],
    description: 'Per command pattern, after `bash`; a later entry wins over an earlier one, as in OpenCode.',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_BASH_PATTERNS)
  @ValidateNested({ each: true })
  @Type(() => BashPatternRuleDto)
  bashPatterns?: BashPatternRuleDto[];

  @ApiPropertyOptional({
    type: [AutoAcceptRuleDto],
    maxItems: MAX_AUTO_ACCEPT_RULES,
    example: [{ permission: 'bash', pattern: 'npm test' }],
    description:
      'Requests that reach Heddle (`ask`) and match one of these are answered `once` by Heddle at once (`repliedBy: "policy"`); checked before the team\'s `autoAccept`.',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_AUTO_ACCEPT_RULES)
  @ValidateNested({ each: true })
  @Type(() => AutoAcceptRuleDto)
  autoAccept?: AutoAcceptRuleDto[];
}

/** The example the task DTO shows for `permission`. */
export const TASK_PERMISSION_POLICY_EXAMPLE = {
  edit: 'allow',
  bash: 'ask',
  webfetch: 'deny',
  bashPatterns: [{ pattern: 'git *', action: 'allow' }],
  autoAccept: [{ permission: 'bash', pattern: 'npm test' }],
};
