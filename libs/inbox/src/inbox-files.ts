import { randomBytes, randomUUID } from 'node:crypto';
import { lstat, open, readdir, realpath, rename, unlink, utimes } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { formatOfFileName } from './inbox-formats';

/**
 * The watched directory's files, confined to one team's folder: `<root>/<teamId>/<name>`. Names
 * come from readdir (one segment) and are checked again; the team folder must resolve (symlinks
 * followed) to exactly `<realpath(root)>/<teamId>`, and only regular files (never symlinks) are read.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLAIMED = /^\.(.+)\.([0-9a-f]{32})\.processing$/;
const PROCESSED = /^processed-([0-9a-f-]{36})-(.+)$/;
const SIDE_FILE = /\.(status\.json|result\.md|error\.txt|tmp)$/;

export function isTeamFolderName(name: string): boolean {
  return UUID.test(name);
}

export function isSingleSegment(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && basename(name) === name;
}

/** A document waiting to be taken: a known extension, not one of the inbox's own names. */
export function isPendingDocument(name: string): boolean {
  return (
    isSingleSegment(name) &&
    !name.startsWith('.') &&
    !name.startsWith('processed-') &&
    !name.startsWith('failed-') &&
    !SIDE_FILE.test(name) &&
    formatOfFileName(name) !== undefined
  );
}

/** `.task.md.<claim>.processing` → `task.md`. */
export function claimedName(name: string): { original: string; claim: string } | undefined {
  const m = CLAIMED.exec(name);
  return m && isSingleSegment(m[1]!) ? { original: m[1]!, claim: m[2]! } : undefined;
}

export function claimFileName(original: string, claim: string): string {
  return `.${original}.${claim}.processing`;
}

/** `processed-<taskId>-<name>` → its task and original name. */
export function processedName(name: string): { taskId: string; original: string } | undefined {
  const m = PROCESSED.exec(name);
  return m ? { taskId: m[1]!, original: m[2]! } : undefined;
}

export function newClaimId(): string {
  return randomBytes(16).toString('hex');
}

/** The team's folder, resolved, or undefined when it is missing, not a directory, or escapes the root. */
export async function teamFolder(root: string, teamId: string): Promise<string | undefined> {
  if (!isAbsolute(root) || !isTeamFolderName(teamId)) return undefined;
  try {
    const st = await lstat(join(root, teamId));
    if (!st.isDirectory()) return undefined; // a symlinked team folder is never followed
    const [realRoot, realTeam] = await Promise.all([realpath(root), realpath(join(root, teamId))]);
    return realTeam === join(realRoot, teamId) ? realTeam : undefined;
  } catch {
    return undefined;
  }
}

/** Names in a team folder (regular files only, never symlinks), with their mtimes. */
export async function listFiles(dir: string): Promise<{ name: string; mtimeMs: number; size: number }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: { name: string; mtimeMs: number; size: number }[] = [];
  for (const e of entries) {
    if (!e.isFile() || !isSingleSegment(e.name)) continue;
    try {
      const st = await lstat(join(dir, e.name));
      if (st.isFile()) out.push({ name: e.name, mtimeMs: st.mtimeMs, size: st.size });
    } catch {
      // gone meanwhile (another worker took it)
    }
  }
  return out;
}

/**
 * Renames `from` to `to` inside `dir`; false when `from` is gone (another worker renamed it first —
 * rename is atomic, so exactly one of them wins).
 */
export async function renameIn(dir: string, from: string, to: string): Promise<boolean> {
  if (!isSingleSegment(from) || !isSingleSegment(to)) throw new Error(`inbox: refusing a path name ${from} → ${to}`);
  try {
    await rename(join(dir, from), join(dir, to));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Marks a claimed file as alive (its mtime is the claim's heartbeat). */
export async function touch(dir: string, name: string): Promise<void> {
  const now = new Date();
  await utimes(join(dir, name), now, now).catch(() => undefined);
}

/** Reads a regular file of the folder, refusing symlinks and anything over `max` bytes. */
export async function readConfined(dir: string, name: string, max: number): Promise<Buffer> {
  if (!isSingleSegment(name)) throw new Error(`inbox: refusing a path name ${name}`);
  const { constants } = await import('node:fs');
  const handle = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${name} is not a regular file`);
    if (st.size > max) throw new Error(`${name} is ${st.size} bytes, over the ${max}-byte limit`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `name` in the folder atomically: an exclusive hidden temp file (never following a symlink
 * planted there), flushed, then renamed over the final name.
 */
export async function writeAtomic(dir: string, name: string, content: string): Promise<void> {
  if (!isSingleSegment(name)) throw new Error(`inbox: refusing a path name ${name}`);
  const temp = join(dir, `.${name}.${randomUUID()}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, 'wx', 0o640);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, join(dir, name));
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
