import { ChecksHost, GitHead, WorkspaceGitEvidence } from './check.types';
import { excerpt } from './text';

/**
 * HEAD and dirty state of a workspace through OpenCode's API (verified against 1.18.34, contract case
 * "git HEAD and dirty state" in test/opencode-contract.e2e-spec.ts):
 *
 * - `/file/content?path=.git/HEAD` reads the git directory like any file: `ref: refs/heads/main`
 *   (trimmed), or a commit hash when detached; `""` when there is no such file (no repository, the
 *   workspace is a subdirectory of one, or `.git` is a file, as in a linked worktree or submodule).
 * - the branch's loose ref `.git/refs/heads/<branch>` holds the hash; after `git pack-refs` (or a
 *   clone) it reads `""` and the hash is a line `<hash> refs/heads/<branch>` of `.git/packed-refs`.
 * - `GET /vcs` is NOT used: 1.18.34 caches the branch per instance (a checkout or a detach is not seen).
 * - `GET /vcs/status` lists modified, staged and untracked files (ignored ones never), under the
 *   directory, with paths relative to the worktree; `[]` both for a clean tree and for no repository.
 * - `GET /path` tells those apart: `worktree` is `/` without a repository, and differs from
 *   `directory` in a subdirectory of one.
 *
 * A normal repository costs three calls (HEAD, its ref, status; four when the ref is packed), made
 * concurrently; explaining a missing HEAD costs one more (`/path`). Never throws.
 */

const HASH = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A ref name we are willing to turn into a path under `.git/` (HEAD's content is the agent's to write). */
const SAFE_REF = /^refs\/(?:[A-Za-z0-9._+@-]+\/)*[A-Za-z0-9._+@-]+$/;
const MAX_CHANGED_FILES = 50;

export type ParsedHeadFile =
  | { kind: 'missing' }
  | { kind: 'detached'; commit: string }
  | { kind: 'symbolic'; ref: string }
  | { kind: 'invalid'; text: string };

/** What `.git/HEAD` says (the host's trimmed text). */
export function parseHeadFile(text: string): ParsedHeadFile {
  const t = text.trim();
  if (t === '') return { kind: 'missing' };
  if (HASH.test(t)) return { kind: 'detached', commit: t };
  const m = /^ref:[ \t]*(\S+)$/.exec(t);
  if (m && SAFE_REF.test(m[1]!) && !m[1]!.split('/').some((s) => s === '.' || s === '..' || s.endsWith('.lock'))) {
    return { kind: 'symbolic', ref: m[1]! };
  }
  return { kind: 'invalid', text: t };
}

/** The hash `packed-refs` gives `ref` (peeled `^…` lines and comments skipped), or undefined. */
export function findPackedRef(packedRefs: string, ref: string): string | undefined {
  for (const raw of packedRefs.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const hash = line.slice(0, space);
    if (line.slice(space + 1) === ref && HASH.test(hash)) return hash;
  }
  return undefined;
}

/** `main` for `refs/heads/main`; other refs in full. */
export function branchOf(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}

const message = (err: unknown) => excerpt(err instanceof Error ? err.message : String(err), 300);

async function readText(host: ChecksHost, path: string): Promise<string> {
  const content = await host.readFile(path);
  if (content.type !== 'text') throw new Error(`${path} came back as ${content.type}`);
  return content.content;
}

type HeadOutcome =
  | { head: GitHead }
  /** `repository`: true when we know it is one, false when we know it is not, null when unknown. */
  | { head: null; reason: string; repository: boolean | null };

async function explainMissingHead(host: ChecksHost): Promise<HeadOutcome> {
  if (!host.paths) {
    return {
      head: null,
      reason:
        'no .git/HEAD in the workspace (not a git repository, a subdirectory of one, or a linked worktree / submodule)',
      repository: null,
    };
  }
  let paths: { worktree: string; directory: string };
  try {
    paths = await host.paths();
  } catch (err) {
    return {
      head: null,
      reason: `no .git/HEAD in the workspace (and /path failed: ${message(err)})`,
      repository: null,
    };
  }
  const strip = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
  const worktree = strip(paths.worktree);
  if (!worktree || worktree === '/') return { head: null, reason: 'not a git repository', repository: false };
  if (worktree !== strip(paths.directory)) {
    return {
      head: null,
      reason: `the workspace is a subdirectory of the git worktree ${worktree}; OpenCode's file routes cannot read ${worktree}/.git from it`,
      repository: true,
    };
  }
  return {
    head: null,
    reason:
      "the workspace's .git is not a directory (a linked worktree or a submodule keeps its git directory outside the workspace, out of reach of OpenCode's file routes)",
    repository: true,
  };
}

async function readHead(host: ChecksHost): Promise<HeadOutcome> {
  let headText: string;
  try {
    headText = await readText(host, '.git/HEAD');
  } catch (err) {
    return { head: null, reason: `could not read .git/HEAD: ${message(err)}`, repository: null };
  }
  const parsed = parseHeadFile(headText);
  switch (parsed.kind) {
    case 'missing':
      return explainMissingHead(host);
    case 'invalid':
      return {
        head: null,
        reason: `.git/HEAD is neither a commit hash nor a ref: ${JSON.stringify(excerpt(parsed.text, 80))}`,
        repository: true,
      };
    case 'detached':
      return { head: { commit: parsed.commit, branch: null } };
    case 'symbolic':
      break;
  }
  const { ref } = parsed;
  const branch = branchOf(ref);
  try {
    const loose = (await readText(host, `.git/${ref}`)).trim();
    if (HASH.test(loose)) return { head: { commit: loose, branch } };
    if (loose !== '') {
      return {
        head: null,
        reason: `.git/${ref} does not hold a commit hash: ${JSON.stringify(excerpt(loose, 80))}`,
        repository: true,
      };
    }
    const packed = findPackedRef(await readText(host, '.git/packed-refs'), ref);
    if (packed) return { head: { commit: packed, branch } };
    return { head: null, reason: `branch ${branch} has no commit yet`, repository: true };
  } catch (err) {
    return { head: null, reason: `could not read ${ref}: ${message(err)}`, repository: true };
  }
}

/**
 * The workspace's HEAD (commit and branch) and whether its tree is dirty, through the host's file and
 * VCS routes (see the top of this file). Never throws: what cannot be learned is null with `reason`.
 */
export async function readWorkspaceGit(
  host: ChecksHost,
  now: () => Date = () => new Date(),
): Promise<WorkspaceGitEvidence> {
  const readAt = now().toISOString();
  const [head, status] = await Promise.all([
    readHead(host),
    host.vcsStatus().then(
      (files) => ({ files }),
      (err: unknown) => ({ error: message(err) }),
    ),
  ]);
  const reasons: string[] = [];
  if (head.head === null) reasons.push(head.reason);
  const repository = head.head !== null ? true : head.repository;
  let dirty: boolean | null = null;
  let files: string[] | undefined;
  if ('error' in status) {
    reasons.push(`could not read /vcs/status: ${status.error}`);
  } else if (repository === false) {
    // `/vcs/status` answers [] outside a repository: that is not "clean".
  } else if (repository === true || status.files.length > 0) {
    dirty = status.files.length > 0;
    files = status.files.map((f) => f.file).sort();
  } else {
    reasons.push('a clean tree cannot be told from no repository');
  }
  return {
    head: head.head,
    dirty,
    ...(files ? { changedCount: files.length, changedFiles: files.slice(0, MAX_CHANGED_FILES) } : {}),
    ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    readAt,
  };
}
