import { posix } from 'node:path';

/**
 * A host's workspace roots: the absolute directories a task's workspace must lie under (see
 * docs/security.md). Pure path rules shared by the hosts API (validation), the tasks API (a task
 * naming a host) and the harness (the check at dispatch).
 */
export const WORKSPACE_ROOT_LIMITS = {
  minRoots: 1,
  maxRoots: 32,
  maxLength: 1024,
} as const;

/**
 * Why `value` is not a usable root, or undefined: it must be an absolute path already in normal
 * form — no `.`/`..` or empty segments, no trailing slash (except `/` itself), no NUL — of at most
 * 1024 characters.
 */
export function workspaceRootProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > WORKSPACE_ROOT_LIMITS.maxLength)
    return `must be at most ${WORKSPACE_ROOT_LIMITS.maxLength} characters`;
  if (value.includes('\0')) return 'must not contain NUL';
  if (!value.startsWith('/')) return 'must be an absolute path (starting with /)';
  if (value === '/') return undefined;
  if (value.endsWith('/')) return 'must not end with a slash';
  if (value.split('/').some((s, i) => i > 0 && (s === '' || s === '.' || s === '..')))
    return 'must be normalised (no "//", "." or ".." segments)';
  return undefined;
}

/** `path` in normal form: `posix.normalize` without a trailing slash (except for `/`). */
export function normalisePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** `path` is `root` or lies below it (both normalised first); `/` contains every absolute path. */
export function isUnderRoot(path: string, root: string): boolean {
  const p = normalisePath(path);
  const r = normalisePath(root);
  if (!p.startsWith('/') || !r.startsWith('/')) return false;
  return r === '/' || p === r || p.startsWith(`${r}/`);
}

/** The first root that contains `path`, or undefined. */
export function rootContaining(path: string, roots: readonly string[]): string | undefined {
  return roots.find((root) => isUnderRoot(path, root));
}
