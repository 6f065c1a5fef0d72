import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { countLines } from './diff';

/** Any failure the real server reports as 500 `UnknownError` (path escapes, missing directory, …). */
export class WorkspaceError extends Error {}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(cwd: string, args: string[]): Promise<GitResult> {
  return new Promise((resolveRun) => {
    execFile(
      'git',
      args,
      { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolveRun({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function gitOk(cwd: string, args: string[]): Promise<string> {
  const r = await git(cwd, args);
  if (r.code !== 0) throw new WorkspaceError(`git ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Creates a git repository with the given files and one commit; returns the root commit hash. */
export async function initRepository(dir: string, files: Record<string, string>, branch = 'main'): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const abs = resolveInside(dir, path);
    await fs.mkdir(dirname(abs), { recursive: true });
    await fs.writeFile(abs, content);
  }
  await gitOk(dir, ['-c', `init.defaultBranch=${branch}`, 'init', '-q']);
  await gitOk(dir, ['add', '-A']);
  await gitOk(dir, [
    '-c',
    'user.name=Heddle Fake',
    '-c',
    'user.email=fake@heddle.invalid',
    '-c',
    'commit.gpgsign=false',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'initial commit',
  ]);
  return (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
}

const templates = new Map<string, Promise<{ dir: string; head: string }>>();
const templateDirs: string[] = [];

/**
 * Like initRepository, but the first repository of a given content is made with git once per process
 * and later ones are copies of it (no child process): hundreds of fake hosts start quickly.
 */
export async function createRepository(dir: string, files: Record<string, string>, branch = 'main'): Promise<string> {
  const key = JSON.stringify([branch, Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))]);
  let template = templates.get(key);
  if (!template) {
    if (templates.size === 0) {
      process.once('exit', () => {
        for (const d of templateDirs) rmSync(d, { recursive: true, force: true });
      });
    }
    template = (async () => {
      const tdir = await fs.mkdtemp(join(tmpdir(), 'heddle-fake-opencode-template-'));
      templateDirs.push(tdir);
      const head = await initRepository(tdir, files, branch);
      // Fewer files to copy: the sample hooks and the description are never used.
      await fs.rm(join(tdir, '.git', 'hooks'), { recursive: true, force: true });
      await fs.rm(join(tdir, '.git', 'description'), { force: true });
      return { dir: tdir, head };
    })();
    templates.set(key, template);
  }
  const { dir: source, head } = await template;
  await fs.cp(source, dir, { recursive: true });
  return head;
}

/** Removes the template repositories (when no fake host runs any more); later hosts make new ones. */
export async function releaseTemplates(): Promise<void> {
  const dirs = templateDirs.splice(0);
  templates.clear();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
}

/** `p` (relative to `root`, or absolute) as an absolute path inside `root`; throws when it escapes. */
export function resolveInside(root: string, p: string): string {
  const abs = isAbsolute(p) ? resolve(p) : resolve(root, p);
  if (abs !== root && !abs.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new WorkspaceError(`Path escapes the location: ${p}`);
  }
  return abs;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function directoryExists(p: string): boolean {
  return isDirectory(p);
}

/** The nearest ancestor (or self) holding `.git`, or undefined. */
export function findWorktree(dir: string): string | undefined {
  let current = dir;
  for (;;) {
    if (existsSync(join(current, '.git'))) return current;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

export interface FileContentResult {
  type: 'text' | 'binary';
  content: string;
  encoding?: 'base64';
  mimeType?: string;
}

function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8000);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|ico)$/i;

/**
 * `GET /file/content`: trimmed text; `{type:'text',content:''}` for a missing file (even in a missing
 * directory, as observed); 500 for a directory or a path outside the workspace.
 */
export async function readFileContent(dir: string, path: string): Promise<FileContentResult> {
  const abs = resolveInside(dir, path);
  let buf: Buffer;
  try {
    const st = await fs.stat(abs);
    if (st.isDirectory()) throw new WorkspaceError(`Is a directory: ${path}`);
    buf = await fs.readFile(abs);
  } catch (err) {
    if (err instanceof WorkspaceError) throw err;
    return { type: 'text', content: '' };
  }
  if (looksBinary(buf)) {
    if (IMAGE.test(abs)) throw new WorkspaceError(`Unreadable image: ${path}`);
    return {
      type: 'binary',
      encoding: 'base64',
      mimeType: 'application/octet-stream',
      content: buf.toString('base64'),
    };
  }
  return { type: 'text', content: buf.toString('utf8').trim() };
}

export interface FileNodeResult {
  name: string;
  path: string;
  absolute: string;
  type: 'file' | 'directory';
  ignored: boolean;
}

async function ignoredNames(dir: string, names: string[]): Promise<Set<string>> {
  if (names.length === 0 || !findWorktree(dir)) return new Set();
  const r = await git(dir, ['check-ignore', '--', ...names]);
  if (r.code !== 0) return new Set();
  return new Set(r.stdout.split('\n').filter(Boolean));
}

/** `GET /file?path=`: one directory level, directories first, `.git` included, paths of dirs end in `/`. */
export async function listFiles(dir: string, path: string): Promise<FileNodeResult[]> {
  if (!isDirectory(dir)) throw new WorkspaceError(`No such directory: ${dir}`);
  const abs = resolveInside(dir, path === '' ? '.' : path);
  if (!isDirectory(abs)) throw new WorkspaceError(`Not a directory: ${path}`);
  const entries = await fs.readdir(abs, { withFileTypes: true });
  const rel = (name: string) => relative(dir, join(abs, name)).split(sep).join('/');
  const ignored = await ignoredNames(
    dir,
    entries.filter((e) => e.name !== '.git').map((e) => rel(e.name)),
  );
  const nodes = entries.map((e): FileNodeResult => {
    const isDir = e.isDirectory();
    const p = rel(e.name);
    return {
      name: e.name,
      path: isDir ? `${p}/` : p,
      absolute: join(abs, e.name),
      type: isDir ? 'directory' : 'file',
      ignored: ignored.has(p),
    };
  });
  return nodes.sort((a, b) =>
    a.type !== b.type ? (a.type === 'directory' ? -1 : 1) : a.name.toLowerCase().localeCompare(b.name.toLowerCase()),
  );
}

/** Files of the workspace relative to `dir`, honouring .gitignore when it is a git repository. */
async function workspaceFiles(dir: string): Promise<string[]> {
  if (!isDirectory(dir)) throw new WorkspaceError(`No such directory: ${dir}`);
  if (findWorktree(dir)) {
    const r = await git(dir, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
    if (r.code === 0) {
      const seen = new Set<string>();
      return r.stdout
        .split('\0')
        .filter((f) => f && !seen.has(f) && seen.add(f) && existsSync(join(dir, f)))
        .sort();
    }
  }
  const out: string[] = [];
  const walk = async (rel: string) => {
    const entries = await fs.readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk('');
  return out.sort();
}

function fuzzyScore(candidate: string, query: string): number | undefined {
  if (query === '') return 0;
  const c = candidate.toLowerCase();
  const q = query.toLowerCase();
  const base = c.replace(/\/$/, '').split('/').pop() ?? c;
  if (base === q) return 0;
  if (base.includes(q)) return 1;
  if (c.includes(q)) return 2;
  let i = 0;
  for (const ch of c) if (ch === q[i]) i++;
  return i === q.length ? 3 : undefined;
}

/**
 * `GET /find/file`: relative paths, directories with a trailing `/`. The real server ranks with a fuzzy
 * matcher; this one ranks exact basename, basename substring, path substring, then subsequence.
 */
export async function findFiles(
  dir: string,
  query: string,
  options: { type?: 'file' | 'directory'; dirs?: boolean; limit?: number },
): Promise<string[]> {
  const files = await workspaceFiles(dir);
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(`${parts.slice(0, i).join('/')}/`);
  }
  let candidates: string[];
  if (options.type === 'file' || options.dirs === false) candidates = files;
  else if (options.type === 'directory') candidates = [...dirs];
  else candidates = [...dirs, ...files];
  const scored = candidates
    .map((c) => ({ c, s: fuzzyScore(c, query) }))
    .filter((x): x is { c: string; s: number } => x.s !== undefined)
    .sort((a, b) => a.s - b.s || a.c.length - b.c.length || a.c.localeCompare(b.c));
  return scored.slice(0, options.limit ?? 100).map((x) => x.c);
}

export interface TextMatch {
  path: { text: string };
  lines: { text: string };
  line_number: number;
  absolute_offset: number;
  submatches: { match: { text: string }; start: number; end: number }[];
}

/** `GET /find?pattern=`: ripgrep-JSON-like matches (byte offsets), JS regex semantics. */
export async function findText(dir: string, pattern: string): Promise<TextMatch[]> {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'g');
  } catch {
    throw new WorkspaceError(`Invalid pattern: ${pattern}`);
  }
  const files = await workspaceFiles(dir);
  const out: TextMatch[] = [];
  for (const f of files) {
    let buf: Buffer;
    try {
      buf = await fs.readFile(join(dir, f));
    } catch {
      continue;
    }
    if (buf.length > 4 * 1024 * 1024 || looksBinary(buf)) continue;
    const text = buf.toString('utf8');
    let offset = 0;
    let lineNo = 0;
    for (const raw of text.split(/(?<=\n)/)) {
      lineNo++;
      const line = raw.replace(/\r?\n$/, '');
      const submatches: TextMatch['submatches'] = [];
      regex.lastIndex = 0;
      for (let m = regex.exec(line); m; m = regex.exec(line)) {
        if (m[0] === '') {
          regex.lastIndex++;
          continue;
        }
        const start = Buffer.byteLength(line.slice(0, m.index));
        submatches.push({ match: { text: m[0] }, start, end: start + Buffer.byteLength(m[0]) });
      }
      if (submatches.length > 0) {
        out.push({ path: { text: f }, lines: { text: raw }, line_number: lineNo, absolute_offset: offset, submatches });
      }
      offset += Buffer.byteLength(raw);
    }
  }
  return out;
}

export interface VcsFile {
  file: string;
  additions: number;
  deletions: number;
  status: 'added' | 'deleted' | 'modified';
  patch?: string;
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

async function baseRef(dir: string): Promise<string> {
  const r = await git(dir, ['rev-parse', '--verify', '-q', 'HEAD']);
  return r.code === 0 ? 'HEAD' : EMPTY_TREE;
}

interface PorcelainEntry {
  /** Relative to the worktree (as `/vcs/status` gives it, also for a subdirectory). */
  file: string;
  /** Relative to the directory asked about. */
  local: string;
  status: VcsFile['status'];
  untracked: boolean;
}

/** Changes under `dir` (`.`); porcelain paths are relative to the worktree whatever the cwd. */
async function porcelain(dir: string): Promise<PorcelainEntry[]> {
  const r = await git(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '.']);
  if (r.code !== 0) return [];
  const prefix = (await git(dir, ['rev-parse', '--show-prefix'])).stdout.trim();
  const out: PorcelainEntry[] = [];
  for (const entry of r.stdout.split('\0')) {
    if (entry.length < 4) continue;
    const xy = entry.slice(0, 2);
    const file = entry.slice(3);
    const local = prefix && file.startsWith(prefix) ? file.slice(prefix.length) : file;
    const untracked = xy === '??';
    const status: VcsFile['status'] = untracked || xy[0] === 'A' ? 'added' : xy.includes('D') ? 'deleted' : 'modified';
    out.push({ file, local, status, untracked });
  }
  return out;
}

const byFile = (a: { file: string }, b: { file: string }) =>
  a.file.toLowerCase() < b.file.toLowerCase() ? -1 : a.file.toLowerCase() > b.file.toLowerCase() ? 1 : 0;

/** `GET /vcs`: `{branch, default_branch}`; nulls outside a git repository. */
export async function vcsInfo(dir: string): Promise<{ branch: string | null; default_branch: string | null }> {
  if (!isDirectory(dir) || !findWorktree(dir)) return { branch: null, default_branch: null };
  const head = await git(dir, ['symbolic-ref', '--short', '-q', 'HEAD']);
  const branch =
    head.code === 0 ? head.stdout.trim() : (await git(dir, ['rev-parse', '--short', 'HEAD'])).stdout.trim();
  const origin = await git(dir, ['symbolic-ref', '--short', '-q', 'refs/remotes/origin/HEAD']);
  const defaultBranch = origin.code === 0 ? origin.stdout.trim().replace(/^origin\//, '') : branch;
  return { branch: branch || null, default_branch: defaultBranch || null };
}

/**
 * `GET /vcs/status`: changed files against HEAD under the directory, untracked files included (as
 * `added`), ignored ones not; paths relative to the worktree (a subdirectory's files keep its prefix).
 */
export async function vcsStatus(dir: string): Promise<VcsFile[]> {
  if (!isDirectory(dir) || !findWorktree(dir)) return [];
  const entries = await porcelain(dir);
  if (entries.length === 0) return [];
  // Without --relative: worktree-relative names, like porcelain's.
  const numstat = await git(dir, ['diff', '--numstat', '-z', '--no-renames', await baseRef(dir), '--', '.']);
  const counts = new Map<string, [number, number]>();
  for (const rec of numstat.stdout.split('\0')) {
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(rec.replace(/^\n/, ''));
    if (!m) continue;
    counts.set(m[3], [m[1] === '-' ? 0 : Number(m[1]), m[2] === '-' ? 0 : Number(m[2])]);
  }
  const out: VcsFile[] = [];
  for (const e of entries) {
    let [additions, deletions] = counts.get(e.file) ?? [0, 0];
    if (e.untracked) {
      try {
        const buf = await fs.readFile(join(dir, e.local));
        additions = looksBinary(buf) ? 0 : countLines(buf.toString('utf8'));
        deletions = 0;
      } catch {
        continue;
      }
    }
    out.push({ file: e.file, additions, deletions, status: e.status });
  }
  return out.sort(byFile);
}

function untrackedPatch(file: string, buf: Buffer, executable: boolean): VcsFile {
  const blob = createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex').slice(0, 7);
  let patch = `diff --git a/${file} b/${file}\nnew file mode ${executable ? '100755' : '100644'}\nindex 0000000..${blob}\n`;
  let additions = 0;
  if (looksBinary(buf)) {
    patch += `Binary files /dev/null and b/${file} differ\n`;
  } else if (buf.length > 0) {
    const text = buf.toString('utf8');
    const lines = text.split('\n');
    const noEol = !text.endsWith('\n');
    if (!noEol) lines.pop();
    additions = lines.length;
    patch += `--- /dev/null\n+++ b/${file}\n@@ -0,0 +1${additions === 1 ? '' : `,${additions}`} @@\n`;
    patch += lines.map((l) => `+${l}\n`).join('');
    if (noEol) patch += '\\ No newline at end of file\n';
  }
  return { file, patch, additions, deletions: 0, status: 'added' };
}

/** `GET /vcs/diff?mode=git`: one `git diff`-style patch per changed file, untracked files included. */
export async function vcsDiff(dir: string, context?: number): Promise<VcsFile[]> {
  if (!isDirectory(dir) || !findWorktree(dir)) return [];
  const entries = await porcelain(dir);
  if (entries.length === 0) return [];
  const ctx = context === undefined ? [] : [`-U${context}`];
  const raw = await git(dir, [
    'diff',
    '--no-color',
    '--no-renames',
    '--relative',
    ...ctx,
    await baseRef(dir),
    '--',
    '.',
  ]);
  const out: VcsFile[] = [];
  const chunks = raw.stdout.split(/^(?=diff --git )/m).filter((c) => c.startsWith('diff --git '));
  for (const chunk of chunks) {
    const plus = /^\+\+\+ b\/(.*)$/m.exec(chunk);
    const minus = /^--- a\/(.*)$/m.exec(chunk);
    const header = /^diff --git a\/(.*) b\/(.*)$/m.exec(chunk);
    const file = plus?.[1] ?? minus?.[1] ?? header?.[2] ?? '';
    let additions = 0;
    let deletions = 0;
    for (const line of chunk.split('\n')) {
      if (line.startsWith('+') && !line.startsWith('+++ ')) additions++;
      else if (line.startsWith('-') && !line.startsWith('--- ')) deletions++;
    }
    const status: VcsFile['status'] = /^new file mode/m.test(chunk)
      ? 'added'
      : /^deleted file mode/m.test(chunk)
        ? 'deleted'
        : 'modified';
    out.push({ file, patch: chunk, additions, deletions, status });
  }
  for (const e of entries.filter((x) => x.untracked)) {
    try {
      const abs = join(dir, e.local);
      const st = await fs.stat(abs);
      out.push(untrackedPatch(e.local, await fs.readFile(abs), (st.mode & 0o111) !== 0));
    } catch {
      // vanished meanwhile
    }
  }
  return out.sort(byFile);
}

export interface ProjectInfo {
  worktree: string;
  projectID: string;
}

const projectIds = new Map<string, Promise<string>>();

/** The project of a directory: its git worktree and root commit hash, or `/` and `global`. */
export async function projectInfo(dir: string): Promise<ProjectInfo> {
  const worktree = isDirectory(dir) ? findWorktree(dir) : undefined;
  if (!worktree) return { worktree: '/', projectID: 'global' };
  let id = projectIds.get(worktree);
  if (!id) {
    id = git(worktree, ['rev-list', '--max-parents=0', 'HEAD']).then((r) =>
      r.code === 0 && r.stdout.trim() ? r.stdout.trim().split('\n').sort()[0] : 'global',
    );
    projectIds.set(worktree, id);
    void id.then((v) => {
      if (v === 'global') projectIds.delete(worktree);
    });
  }
  return { worktree, projectID: await id };
}

/** Seeds the project-id cache (the fake knows the root commit it just made). */
export function rememberProject(worktree: string, projectID: string): void {
  projectIds.set(worktree, Promise.resolve(projectID));
}
