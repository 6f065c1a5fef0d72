import { posix } from 'node:path';
import { CHECK_LIMITS } from './check.types';

/** A path that names something outside the workspace, or that is not a usable path at all. */
export class WorkspacePathError extends Error {
  override name = 'WorkspacePathError';
}

export interface ResolvedWorkspacePath {
  /** POSIX path relative to the workspace, normalised; `.` for the workspace itself. */
  relative: string;
  /** Absolute POSIX path on the host. */
  absolute: string;
}

export interface WorkspacePathOptions {
  /** Accept the workspace itself (`.`, `./`, the workspace's absolute path). Default false. */
  allowRoot?: boolean;
}

/**
 * Why `path` cannot be a workspace path regardless of the workspace, or undefined. Absolute paths
 * pass here (they are judged against the workspace by {@link resolveWorkspacePath}).
 */
function syntaxProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return 'must be a string';
  if (path.length === 0) return 'must not be empty';
  if (path.length > CHECK_LIMITS.maxPathLength) return `must be at most ${CHECK_LIMITS.maxPathLength} characters`;
  if (path.includes('\0')) return 'must not contain NUL';
  // OpenCode may run on Windows: refuse separators and drive letters another OS would honour.
  if (path.includes('\\')) return 'must use / as the separator (no backslashes)';
  if (/^[A-Za-z]:/.test(path)) return 'must not start with a drive letter';
  return undefined;
}

function normaliseWorkspace(workspace: string): string {
  if (typeof workspace !== 'string' || !workspace.startsWith('/') || workspace.includes('\0')) {
    throw new WorkspacePathError(`the workspace must be an absolute path, got ${JSON.stringify(workspace)}`);
  }
  return posix.normalize(workspace).replace(/\/+$/, '') || '/';
}

/** The confined path, or the problem as a message fragment ("must …"). */
function confine(
  root: string,
  path: unknown,
  options: WorkspacePathOptions,
): ResolvedWorkspacePath | { problem: string } {
  const problem = syntaxProblem(path);
  if (problem) return { problem };
  const p = path as string;
  let relative: string;
  if (p.startsWith('/')) {
    const rel = posix.relative(root, posix.normalize(p));
    if (rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) {
      return { problem: `must lie inside the workspace ${root}` };
    }
    relative = rel === '' ? '.' : rel;
  } else {
    // Lexical: `..` may appear only where it stays inside (`a/../b`), whatever the workspace's name.
    const normal = posix.normalize(p).replace(/\/+$/, '');
    if (normal === '..' || normal.startsWith('../')) return { problem: 'must not escape the workspace (..)' };
    relative = normal === '' ? '.' : normal;
  }
  if (relative === '.' && !options.allowRoot)
    return { problem: 'must name a file inside the workspace, not the workspace' };
  return { relative, absolute: relative === '.' ? root : posix.join(root, relative) };
}

/**
 * Confines `path` to `workspace` (both POSIX; the workspace absolute). Relative paths are taken from
 * the workspace and must not climb out of it (`a/../b` is fine, `../x` and `a/../../x` are not);
 * absolute paths must lie inside it. NUL, backslashes and drive letters are refused. Lexical only:
 * a symlink inside the workspace pointing outside is the host's business. Throws
 * {@link WorkspacePathError}.
 */
export function resolveWorkspacePath(
  workspace: string,
  path: string,
  options: WorkspacePathOptions = {},
): ResolvedWorkspacePath {
  const r = confine(normaliseWorkspace(workspace), path, options);
  if ('problem' in r) throw new WorkspacePathError(`path ${JSON.stringify(path)} ${r.problem}`);
  return r;
}

/**
 * Validation-time twin of {@link resolveWorkspacePath}: the problem with `path` as a message
 * fragment ("must …"), or undefined. Without a workspace, absolute paths are refused (nothing to
 * confine them to); with one, they must lie inside it.
 */
export function workspacePathProblem(
  path: unknown,
  options: WorkspacePathOptions & { workspace?: string } = {},
): string | undefined {
  if (typeof path === 'string' && path.startsWith('/') && options.workspace === undefined) {
    return 'must be relative to the workspace (absolute paths only inside the task workspace)';
  }
  let root = '/workspace';
  if (options.workspace !== undefined) {
    try {
      root = normaliseWorkspace(options.workspace);
    } catch {
      return 'cannot be checked: the workspace is not an absolute path';
    }
  }
  const r = confine(root, path, options);
  return 'problem' in r ? r.problem : undefined;
}
