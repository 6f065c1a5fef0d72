import { ValidationOptions, registerDecorator } from 'class-validator';

/** The acceptance check kinds a task may declare (SPEC §4). */
export const CHECK_KINDS = [
  'file_exists',
  'file_absent',
  'file_contains',
  'file_not_contains',
  'checklist_complete',
  'plan_complete_tag',
  'git_changed',
  'command',
  'json_schema',
] as const;

export const CHECK_EXAMPLES = [
  { kind: 'file_exists', path: 'src/health.ts' },
  { kind: 'file_contains', path: 'src/health.ts', pattern: "status: 'ok'" },
  { kind: 'command', command: 'npm test', timeoutSeconds: 600 },
];

const PATH_FIELDS: Record<string, string[]> = {
  file_exists: ['path'],
  file_absent: ['path'],
  file_contains: ['path', 'pattern'],
  file_not_contains: ['path', 'pattern'],
  checklist_complete: ['path'],
  plan_complete_tag: ['path'],
  git_changed: [],
  command: ['command'],
  json_schema: ['path', 'schema'],
};

/** A path inside the workspace: relative, no `..` segment, no NUL. */
export function isWorkspacePath(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= 1000 &&
    !value.startsWith('/') &&
    !value.includes('\0') &&
    !value.split(/[\\/]/).includes('..')
  );
}

/** Every problem of one check, as messages naming the field. */
export function checkProblems(check: unknown, index: number): string[] {
  const at = `checks[${index}]`;
  if (!check || typeof check !== 'object' || Array.isArray(check)) return [`${at} must be an object`];
  const c = check as Record<string, unknown>;
  if (!(CHECK_KINDS as readonly string[]).includes(c.kind as string))
    return [`${at}.kind must be one of ${CHECK_KINDS.join(', ')}`];
  const problems: string[] = [];
  for (const field of PATH_FIELDS[c.kind as string]!)
    if (c[field] === undefined) problems.push(`${at}.${field} is required for ${String(c.kind)}`);
  if (c.path !== undefined && !isWorkspacePath(c.path))
    problems.push(`${at}.path must be a relative path inside the workspace (no "..")`);
  if (c.pattern !== undefined && (typeof c.pattern !== 'string' || c.pattern.length > 10_000))
    problems.push(`${at}.pattern must be a string`);
  if (c.regex === true && typeof c.pattern === 'string') {
    try {
      new RegExp(c.pattern, typeof c.flags === 'string' ? c.flags : undefined);
    } catch {
      problems.push(`${at}.pattern is not a valid regular expression`);
    }
  }
  if (c.command !== undefined && (typeof c.command !== 'string' || c.command.length === 0 || c.command.length > 50_000))
    problems.push(`${at}.command must be a non-empty string`);
  if (
    c.timeoutSeconds !== undefined &&
    !(Number.isInteger(c.timeoutSeconds) && (c.timeoutSeconds as number) >= 1 && (c.timeoutSeconds as number) <= 3600)
  ) {
    problems.push(`${at}.timeoutSeconds must be a whole number from 1 to 3600`);
  }
  if (c.paths !== undefined && !(Array.isArray(c.paths) && c.paths.every(isWorkspacePath)))
    problems.push(`${at}.paths must be relative paths inside the workspace`);
  if (c.schema !== undefined && (typeof c.schema !== 'object' || c.schema === null || Array.isArray(c.schema)))
    problems.push(`${at}.schema must be a JSON Schema object`);
  return problems;
}

/** Validates a task's `checks` array; each problem names the check and field. */
export function IsCheckList(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isCheckList',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) && value.length <= 50 && value.every((c, i) => checkProblems(c, i).length === 0),
        defaultMessage: (args) => {
          const value = args?.value as unknown;
          if (!Array.isArray(value)) return 'checks must be an array';
          if (value.length > 50) return 'checks must have at most 50 entries';
          return value.flatMap((c, i) => checkProblems(c, i)).join('; ');
        },
      },
    });
}
