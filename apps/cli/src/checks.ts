import { readFileSync } from 'node:fs';
import type { CreateTaskInput } from '@heddle/sdk';
import { UsageError } from './exit-codes';

type Check = NonNullable<CreateTaskInput['checks']>[number];

const PATH_KINDS = new Set(['file_exists', 'file_absent', 'checklist_complete', 'plan_complete_tag']);
const PATTERN_KINDS = new Set(['file_contains', 'file_not_contains']);

/**
 * `--check` values: a JSON object (any kind), or the shorthand `kind:argument` —
 * `file_exists:src/x.ts`, `file_absent:…`, `checklist_complete:PLAN.md`, `plan_complete_tag:…`,
 * `file_contains:path:text`, `file_not_contains:path:text`, `command:npm test`, `git_changed` or
 * `git_changed:src,test`.
 */
export function parseCheck(text: string): Check {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Check;
    } catch {
      throw new UsageError(`--check ${text}: not valid JSON`);
    }
  }
  const colon = trimmed.indexOf(':');
  const kind = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const arg = colon < 0 ? '' : trimmed.slice(colon + 1);
  if (PATH_KINDS.has(kind) && arg) return { kind, path: arg } as Check;
  if (PATTERN_KINDS.has(kind)) {
    const sep = arg.indexOf(':');
    if (sep > 0) return { kind, path: arg.slice(0, sep), pattern: arg.slice(sep + 1) } as Check;
  }
  if (kind === 'command' && arg) return { kind, command: arg } as Check;
  if (kind === 'git_changed') return (arg ? { kind, paths: arg.split(',') } : { kind }) as Check;
  throw new UsageError(
    `--check ${text}: expected kind:argument (file_exists:src/x.ts, file_contains:path:text, command:npm test, git_changed) or a JSON object`,
  );
}

/** `--checks-file f.json`: a JSON array of checks (or `{ "checks": [...] }`). */
export function readChecksFile(path: string): Check[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--checks-file ${path}: ${(err as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { checks?: unknown })?.checks;
  if (!Array.isArray(list)) throw new UsageError(`--checks-file ${path}: expected a JSON array of checks`);
  return list as Check[];
}
