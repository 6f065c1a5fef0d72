import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidationArguments,
  ValidationError,
  ValidationOptions,
  registerDecorator,
  validateSync,
} from 'class-validator';
import { IsOptionalNotNull } from '@heddle/common';
import {
  CHECK_KINDS,
  CHECK_LIMITS,
  Check,
  CheckKind,
  ChecklistCompleteCheck,
  CommandCheck,
  FileAbsentCheck,
  FileContainsCheck,
  FileExistsCheck,
  FileNotContainsCheck,
  GitChangedCheck,
  JsonSchemaCheck,
  PlanCompleteTagCheck,
  ReplyJsonCheck,
} from '../check.types';
import { JsonSchemaError, compileJsonSchema } from '../json-schema';
import { PATTERN_FLAGS, patternRegExp } from '../text';
import { WorkspacePathOptions, resolveWorkspacePath, workspacePathProblem } from '../workspace-path';

const PATH_DOC =
  'Relative to the workspace (POSIX, `/` separators). `..` may not climb out of it; absolute paths are accepted only inside the task workspace.';

// ---- field validators --------------------------------------------------------------------------

/**
 * A path confined to the workspace, judged without knowing the workspace: relative, not escaping,
 * no NUL or backslash. (Absolute paths inside the task's workspace are accepted by
 * {@link validateCheck} / {@link IsCheckList} with the workspace, which rewrite them as relative.)
 */
export function IsWorkspacePath(options: WorkspacePathOptions & ValidationOptions = {}) {
  const { allowRoot, ...validation } = options;
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isWorkspacePath',
      target: object.constructor,
      propertyName: String(propertyName),
      options: validation,
      validator: {
        validate: (value: unknown) => workspacePathProblem(value, { allowRoot }) === undefined,
        defaultMessage: (args?: ValidationArguments) => {
          if (validation.each && Array.isArray(args?.value)) {
            const values = args.value as unknown[];
            const i = values.findIndex((v) => workspacePathProblem(v, { allowRoot }) !== undefined);
            return `${args.property}[${i}] ${workspacePathProblem(values[i], { allowRoot }) ?? 'must be a path inside the workspace'}`;
          }
          return `${args?.property} ${workspacePathProblem(args?.value, { allowRoot }) ?? 'must be a path inside the workspace'}`;
        },
      },
    });
}

/** `pattern` compiles as a RegExp when `regex` is true (with `flags`). */
function IsCheckPattern() {
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCheckPattern',
      target: object.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown, args: ValidationArguments) => patternProblem(value, args.object) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} ${patternProblem(args?.value, args?.object) ?? 'is not a valid pattern'}`,
      },
    });
}

function patternProblem(value: unknown, object: object | undefined): string | undefined {
  if (typeof value !== 'string') return undefined; // IsString reports it
  const o = (object ?? {}) as { regex?: unknown; flags?: unknown };
  const flags = typeof o.flags === 'string' && PATTERN_FLAGS.test(o.flags) ? o.flags : '';
  try {
    patternRegExp(value, o.regex === true, flags);
    return undefined;
  } catch (err) {
    return `is not a valid regular expression: ${(err as Error).message}`;
  }
}

/** A JSON Schema Ajv compiles (draft-07 by default; 2019-09 / 2020-12 by `$schema`), at most 64 KB. */
function IsJsonSchema() {
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isJsonSchema',
      target: object.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => schemaProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => `${args?.property}: ${schemaProblem(args?.value) ?? 'invalid'}`,
      },
    });
}

function schemaProblem(value: unknown): string | undefined {
  try {
    compileJsonSchema(value);
    return undefined;
  } catch (err) {
    if (err instanceof JsonSchemaError) return err.message;
    return `cannot be compiled: ${(err as Error).message}`;
  }
}

// ---- one DTO per kind ------------------------------------------------------------------------
// Validation stops at each field's first error, and the decorator nearest the field runs first: the
// type check sits at the bottom so a wrong type is reported as such.

abstract class CheckBaseDto {
  @ApiPropertyOptional({
    maxLength: CHECK_LIMITS.maxNameLength,
    example: 'health route exists',
    description: 'Display name (events, prompts, UI).',
  })
  @IsOptionalNotNull()
  @Length(1, CHECK_LIMITS.maxNameLength)
  @IsString()
  name?: string;
}

const KindProperty = (kind: CheckKind, description: string) =>
  applyDecorators(ApiProperty({ enum: [kind], example: kind, description }), Equals(kind));

const PathProperty = (example: string, description = PATH_DOC) =>
  applyDecorators(
    ApiProperty({ example, maxLength: CHECK_LIMITS.maxPathLength, description }),
    IsString(),
    IsWorkspacePath(),
  );

export class FileExistsCheckDto extends CheckBaseDto implements FileExistsCheck {
  @KindProperty('file_exists', 'Passes when the path exists (file or directory).')
  kind!: 'file_exists';

  @PathProperty('src/health.ts')
  path!: string;
}

export class FileAbsentCheckDto extends CheckBaseDto implements FileAbsentCheck {
  @KindProperty('file_absent', 'Passes when nothing exists at the path.')
  kind!: 'file_absent';

  @PathProperty('tmp/debug.log')
  path!: string;
}

abstract class FilePatternCheckDto extends CheckBaseDto {
  @PathProperty('src/health.ts')
  path!: string;

  @ApiProperty({
    example: "status: 'ok'",
    maxLength: CHECK_LIMITS.maxPatternLength,
    description: 'Literal text, or a JavaScript regular expression when `regex` is true.',
  })
  @IsCheckPattern()
  @Length(1, CHECK_LIMITS.maxPatternLength)
  @IsString()
  pattern!: string;

  @ApiPropertyOptional({ default: false, description: 'Treat `pattern` as a regular expression.' })
  @IsOptionalNotNull()
  @IsBoolean()
  regex?: boolean;

  @ApiPropertyOptional({
    example: 'i',
    pattern: PATTERN_FLAGS.source,
    description: 'RegExp flags from `imsu`, each at most once (also applied to literal text, e.g. `i`).',
  })
  @IsOptionalNotNull()
  @Matches(PATTERN_FLAGS, { message: 'flags must be letters from "imsu", each at most once' })
  @IsString()
  flags?: string;
}

export class FileContainsCheckDto extends FilePatternCheckDto implements FileContainsCheck {
  @KindProperty('file_contains', 'Passes when the file exists and matches the pattern.')
  kind!: 'file_contains';
}

export class FileNotContainsCheckDto extends FilePatternCheckDto implements FileNotContainsCheck {
  @KindProperty('file_not_contains', 'Passes when the file exists and does not match the pattern.')
  kind!: 'file_not_contains';
}

export class ChecklistCompleteCheckDto extends CheckBaseDto implements ChecklistCompleteCheck {
  @KindProperty(
    'checklist_complete',
    'Passes when the markdown file has at least one `- [` item and none is open (`- [x]`, `[MANUAL]`, `[BLOCKED: reason]` are closed). OpenSpec tasks.md works the same.',
  )
  kind!: 'checklist_complete';

  @PathProperty('openspec/changes/add-health/tasks.md')
  path!: string;
}

export class PlanCompleteTagCheckDto extends CheckBaseDto implements PlanCompleteTagCheck {
  @KindProperty('plan_complete_tag', 'Passes when a line of the file starts with `<plan-complete>`.')
  kind!: 'plan_complete_tag';

  @PathProperty('PLAN.md')
  path!: string;
}

export class GitChangedCheckDto extends CheckBaseDto implements GitChangedCheck {
  @KindProperty(
    'git_changed',
    'Passes when the working tree has changes (untracked files included), optionally under `paths`.',
  )
  kind!: 'git_changed';

  @ApiPropertyOptional({
    type: [String],
    example: ['src'],
    maxItems: CHECK_LIMITS.maxGitPaths,
    description: `Files or directories; any change under one of them passes. ${PATH_DOC} \`.\` means the whole workspace.`,
  })
  @IsOptionalNotNull()
  @IsWorkspacePath({ each: true, allowRoot: true })
  @IsString({ each: true })
  @ArrayMaxSize(CHECK_LIMITS.maxGitPaths)
  @IsArray()
  paths?: string[];
}

export class CommandCheckDto extends CheckBaseDto implements CommandCheck {
  @KindProperty(
    'command',
    'Passes when the shell command (run with `sh -c` in the workspace, through the task session) exits 0 within the timeout. Teams may disallow commands.',
  )
  kind!: 'command';

  @ApiProperty({ example: 'npm test', maxLength: CHECK_LIMITS.maxCommandLength })
  @Matches(/\S/, { message: 'command must not be blank' })
  @Length(1, CHECK_LIMITS.maxCommandLength)
  @IsString()
  command!: string;

  @ApiPropertyOptional({
    minimum: CHECK_LIMITS.minTimeoutSeconds,
    maximum: CHECK_LIMITS.maxTimeoutSeconds,
    default: CHECK_LIMITS.defaultTimeoutSeconds,
  })
  @IsOptionalNotNull()
  @Max(CHECK_LIMITS.maxTimeoutSeconds)
  @Min(CHECK_LIMITS.minTimeoutSeconds)
  @IsInt()
  timeoutSeconds?: number;
}

export class JsonSchemaCheckDto extends CheckBaseDto implements JsonSchemaCheck {
  @KindProperty('json_schema', 'Passes when the workspace JSON file parses and validates against `schema` (Ajv).')
  kind!: 'json_schema';

  @PathProperty('out/result.json')
  path!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { type: 'object', required: ['ok'], properties: { ok: { const: true } } },
    description:
      'A JSON Schema (draft-07; 2019-09 or 2020-12 when `$schema` says so), at most 64 KB. Remote `$ref`s are not fetched; `format` is not validated.',
  })
  @IsJsonSchema()
  @IsObject()
  schema!: Record<string, unknown>;
}

export class ReplyJsonCheckDto extends CheckBaseDto implements ReplyJsonCheck {
  @KindProperty(
    'reply_json',
    "Structured output: passes when the agent's final reply contains a fenced JSON block (the last ```json block; else the last unlabelled fenced block that parses) that validates against `schema`. The value becomes the task's `result`; on failure the agent gets one repair turn naming the errors.",
  )
  kind!: 'reply_json';

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: {
      type: 'object',
      required: ['summary', 'filesChanged'],
      properties: {
        summary: { type: 'string', maxLength: 500 },
        filesChanged: { type: 'array', items: { type: 'string' } },
        testsPassed: { type: 'boolean' },
      },
    },
    description: `A JSON Schema for the reply's JSON value (draft-07; 2019-09 or 2020-12 when \`$schema\` says so), at most 64 KB; the block itself at most ${CHECK_LIMITS.maxResultBytes} bytes. Remote \`$ref\`s are not fetched; \`format\` is not validated.`,
  })
  @IsJsonSchema()
  @IsObject()
  schema!: Record<string, unknown>;
}

/** The DTO class of each kind. */
export const CHECK_DTO_BY_KIND = {
  file_exists: FileExistsCheckDto,
  file_absent: FileAbsentCheckDto,
  file_contains: FileContainsCheckDto,
  file_not_contains: FileNotContainsCheckDto,
  checklist_complete: ChecklistCompleteCheckDto,
  plan_complete_tag: PlanCompleteTagCheckDto,
  git_changed: GitChangedCheckDto,
  command: CommandCheckDto,
  json_schema: JsonSchemaCheckDto,
  reply_json: ReplyJsonCheckDto,
} as const satisfies { [K in CheckKind]: new () => Extract<Check, { kind: K }> };

/** Every check DTO class, for `@ApiExtraModels(...CHECK_DTO_CLASSES)` (or the document's `extraModels`). */
export const CHECK_DTO_CLASSES = CHECK_KINDS.map((k) => CHECK_DTO_BY_KIND[k]);

// ---- the union -------------------------------------------------------------------------------

export interface CheckValidationOptions {
  /** The task's workspace (absolute): absolute paths inside it are accepted and rewritten as relative. */
  workspace?: string;
  /** Prefix of messages, e.g. `checks[2]`. Default `check`. */
  at?: string;
}

export interface CheckValidation {
  /** The check as stored: known fields only, paths normalised relative to the workspace. */
  check?: Check;
  /** Messages naming the field (`checks[2].path must …`); empty when valid. */
  errors: string[];
}

function flatten(errors: ValidationError[], at: string, out: string[] = []): string[] {
  for (const e of errors) {
    for (const message of Object.values(e.constraints ?? {})) {
      out.push(message.startsWith(e.property) ? `${at}.${message}` : `${at}.${e.property}: ${message}`);
    }
    if (e.children?.length) flatten(e.children, `${at}.${e.property}`, out);
  }
  return out;
}

const PATH_FIELD_KINDS: readonly CheckKind[] = CHECK_KINDS.filter(
  (k) => k !== 'git_changed' && k !== 'command' && k !== 'reply_json',
);

/**
 * Validates one check (plain JSON) by its `kind` against that kind's DTO: unknown fields refused,
 * each field checked, paths confined to the workspace, patterns and schemas compiled.
 */
export function validateCheck(value: unknown, options: CheckValidationOptions = {}): CheckValidation {
  const at = options.at ?? 'check';
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { errors: [`${at} must be an object`] };
  const input = { ...(value as Record<string, unknown>) };
  const kind = input.kind;
  if (typeof kind !== 'string' || !(CHECK_KINDS as readonly string[]).includes(kind)) {
    return { errors: [`${at}.kind must be one of ${CHECK_KINDS.join(', ')}`] };
  }
  const errors: string[] = [];
  // Absolute paths are judged against the workspace here, then validated as the relative path they name.
  const normalise = (p: unknown, allowRoot: boolean, field: string): unknown => {
    if (typeof p !== 'string' || !p.startsWith('/') || options.workspace === undefined) return p;
    const problem = workspacePathProblem(p, { workspace: options.workspace, allowRoot });
    if (problem) {
      errors.push(`${at}.${field} ${problem}`);
      return undefined;
    }
    return resolveWorkspacePath(options.workspace, p, { allowRoot }).relative;
  };
  if (PATH_FIELD_KINDS.includes(kind as CheckKind) && 'path' in input)
    input.path = normalise(input.path, false, 'path');
  if (kind === 'git_changed' && Array.isArray(input.paths)) {
    input.paths = input.paths.map((p, i) => normalise(p, true, `paths[${i}]`));
  }
  if (errors.length) return { errors };
  const dto = plainToInstance(CHECK_DTO_BY_KIND[kind as CheckKind] as new () => object, input);
  errors.push(
    ...flatten(
      validateSync(dto, {
        whitelist: true,
        forbidNonWhitelisted: true,
        forbidUnknownValues: true,
        stopAtFirstError: true,
      }),
      at,
    ),
  );
  if (errors.length) return { errors };
  // Relative paths normalised (`./src//a.ts` → `src/a.ts`); the dummy root never leaks (paths are relative now).
  if (typeof input.path === 'string') input.path = resolveWorkspacePath('/w', input.path).relative;
  if (Array.isArray(input.paths)) {
    input.paths = (input.paths as string[]).map((p) => resolveWorkspacePath('/w', p, { allowRoot: true }).relative);
  }
  return { check: input as unknown as Check, errors: [] };
}

/** Validates a list of checks; messages are prefixed `checks[i]`. */
export function validateCheckList(
  value: unknown,
  options: Omit<CheckValidationOptions, 'at'> & { maxChecks?: number } = {},
): { checks?: Check[]; errors: string[] } {
  const max = options.maxChecks ?? CHECK_LIMITS.maxChecks;
  if (!Array.isArray(value)) return { errors: ['checks must be an array'] };
  if (value.length > max) return { errors: [`checks must have at most ${max} entries`] };
  const checks: Check[] = [];
  const errors: string[] = [];
  value.forEach((c, i) => {
    const r = validateCheck(c, { workspace: options.workspace, at: `checks[${i}]` });
    if (r.check) checks.push(r.check);
    errors.push(...r.errors);
  });
  return errors.length ? { errors } : { checks, errors };
}

export interface IsCheckListOptions extends ValidationOptions {
  /** The sibling property holding the task's workspace (absolute paths are judged against it). Default `workspace`. */
  workspaceProperty?: string;
  maxChecks?: number;
}

function siblingWorkspace(args: ValidationArguments | undefined, property: string): string | undefined {
  const w = (args?.object as Record<string, unknown> | undefined)?.[property];
  return typeof w === 'string' && w.startsWith('/') ? w : undefined;
}

/**
 * class-validator decorator for a task's `checks` property (plain objects, no `@Type` needed):
 * each element is validated by its `kind` with {@link validateCheck}; every problem is reported,
 * prefixed `checks[i]`. Absolute paths are judged against the sibling `workspace` property.
 */
export function IsCheckList(options: IsCheckListOptions = {}) {
  const { workspaceProperty = 'workspace', maxChecks, ...validation } = options;
  const run = (value: unknown, args?: ValidationArguments) =>
    validateCheckList(value, { workspace: siblingWorkspace(args, workspaceProperty), maxChecks });
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCheckList',
      target: object.constructor,
      propertyName: String(propertyName),
      options: validation,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => run(value, args).errors.length === 0,
        defaultMessage: (args?: ValidationArguments) => run(args?.value, args).errors.join('; '),
      },
    });
}

/** One check, by its `kind` (see {@link IsCheckList}). */
export function IsCheck(options: Omit<IsCheckListOptions, 'maxChecks'> = {}) {
  const { workspaceProperty = 'workspace', ...validation } = options;
  const run = (value: unknown, args?: ValidationArguments) =>
    validateCheck(value, { workspace: siblingWorkspace(args, workspaceProperty), at: args?.property ?? 'check' });
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCheck',
      target: object.constructor,
      propertyName: String(propertyName),
      options: validation,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => run(value, args).errors.length === 0,
        defaultMessage: (args?: ValidationArguments) => run(args?.value, args).errors.join('; '),
      },
    });
}

/** The OpenAPI `oneOf` of the check DTOs, discriminated by `kind`. */
export function checkSchemaObject() {
  return {
    oneOf: CHECK_DTO_CLASSES.map((c) => ({ $ref: getSchemaPath(c) })),
    discriminator: {
      propertyName: 'kind',
      mapping: Object.fromEntries(CHECK_KINDS.map((k) => [k, getSchemaPath(CHECK_DTO_BY_KIND[k])])),
    },
  };
}

/**
 * Swagger for a `checks: Check[]` property: an array of the check DTOs discriminated by `kind`.
 * The controller (or the document's `extraModels`) must register `CHECK_DTO_CLASSES`, e.g.
 * `@ApiExtraModels(...CHECK_DTO_CLASSES)`.
 */
export function ApiCheckListProperty(options: { required?: boolean; description?: string; example?: unknown } = {}) {
  return ApiProperty({
    type: 'array',
    required: options.required ?? false,
    maxItems: CHECK_LIMITS.maxChecks,
    items: checkSchemaObject(),
    description:
      options.description ??
      'Acceptance checks, judged against the workspace through the host (never by asking the model); discriminated by `kind`.',
    example: options.example ?? [
      { kind: 'file_exists', path: 'src/health.ts' },
      { kind: 'file_contains', path: 'src/health.ts', pattern: "status: 'ok'" },
      { kind: 'command', command: 'npm test', timeoutSeconds: 600 },
    ],
  });
}
