import { randomUUID } from 'node:crypto';
import { mkdir, open, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** File-name prefixes: letters, digits, `.`, `_`, `-` — never a path. */
export const FILE_PREFIX_PATTERN = /^[A-Za-z0-9._-]+$/;

/** `2026-11-23T15:30:00.123Z` → `20261123T153000Z`. */
export function utcStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** `<prefix>-<TYPE>-<UTC timestamp>-<seq>.json`: unique per team and prefix (seq is per team). */
export function fileSinkName(prefix: string, type: string, at: Date, seq: number | bigint): string {
  return `${prefix}-${type}-${utcStamp(at)}-${seq}.json`;
}

/** A file sink path that would leave the team's directory under the root: never retried. */
export class FileSinkRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileSinkRefusedError';
  }
}

export interface ConfinedPath {
  /** `<root>/<teamId>`, resolved. */
  teamDir: string;
  /** `<root>/<teamId>/<fileName>`, resolved. */
  file: string;
}

const isSingleSegment = (value: string) =>
  value !== '' &&
  value !== '.' &&
  value !== '..' &&
  !value.includes('/') &&
  !value.includes('\\') &&
  !value.includes('\0');

/**
 * Where a file sink writes `fileName` for a team, by string alone: the team's directory must be
 * exactly one level under the root and the file exactly one level under that. Throws
 * FileSinkRefusedError for anything else (`..`, slashes, absolute names, NUL).
 */
export function confinedPath(root: string, teamId: string, fileName: string): ConfinedPath {
  if (!isAbsolute(root)) throw new FileSinkRefusedError('the file sink root is not an absolute path');
  if (!isSingleSegment(teamId)) throw new FileSinkRefusedError('the team directory would escape the file sink root');
  if (!isSingleSegment(fileName)) throw new FileSinkRefusedError('the file name would escape the team directory');
  const base = resolve(root);
  const teamDir = resolve(base, teamId);
  const file = resolve(teamDir, fileName);
  const fromRoot = relative(base, teamDir);
  const rootPrefix = base.endsWith(sep) ? base : base + sep;
  if (fromRoot !== teamId || !teamDir.startsWith(rootPrefix)) {
    throw new FileSinkRefusedError('the team directory would escape the file sink root');
  }
  if (dirname(file) !== teamDir || basename(file) !== fileName) {
    throw new FileSinkRefusedError('the file name would escape the team directory');
  }
  return { teamDir, file };
}

export interface WrittenFile {
  /** `<teamId>/<fileName>`: what a team may be told (never the operator's root). */
  relativePath: string;
}

/**
 * Writes one file atomically under `<root>/<teamId>/`: a temp file in the same directory (a hidden
 * `.…tmp` name, created exclusively, so an existing file or symlink there is never followed),
 * flushed, then renamed over the final name — readers see the whole file or none. The team's
 * directory is created when missing (the root is not: a missing root is the operator's to fix) and
 * must resolve, symlinks followed, to `<realpath(root)>/<teamId>`; a symlinked team directory
 * pointing elsewhere is refused. Throws FileSinkRefusedError for confinement, fs errors otherwise.
 */
export async function writeConfinedFile(
  root: string,
  teamId: string,
  fileName: string,
  content: string,
): Promise<WrittenFile> {
  const { teamDir } = confinedPath(root, teamId, fileName);
  try {
    await mkdir(teamDir, { mode: 0o750 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const [realRoot, realTeamDir] = await Promise.all([realpath(root), realpath(teamDir)]);
  if (realTeamDir !== join(realRoot, teamId)) {
    throw new FileSinkRefusedError(`the team directory resolves outside the file sink root (a symlink?)`);
  }
  const target = join(realTeamDir, fileName);
  const temp = join(realTeamDir, `.${fileName}.${randomUUID()}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, 'wx', 0o640);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return { relativePath: `${teamId}/${fileName}` };
}
