import { createHash } from 'node:crypto';
import { FileEvidence, GitHead, WorkspaceGitEvidence } from './check.types';

/** sha256 (lowercase hex) of a string's UTF-8 or of bytes. */
export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * What {@link compareEvidence} reads from an evaluation: its results' `files` and its `git` state. A
 * `ChecksEvaluation` is one; so is what the harness stored (`{results, git}` as JSON), including
 * results written before evidence hashes existed (they simply have no `files`).
 */
export interface EvidenceSnapshot {
  results?: readonly { files?: Record<string, FileEvidence> | null }[] | null;
  git?: WorkspaceGitEvidence | null;
}

export interface EvidenceDrift {
  /** Something the checks depend on differs: a file changed, appeared or vanished, HEAD moved, the branch or the dirty state changed. */
  drifted: boolean;
  files: {
    /** Existed both times with different content (sha256), or turned from file into directory or back. */
    changed: string[];
    /** Nothing was there before; something is now. */
    appeared: string[];
    /** Something was there before; nothing is now. */
    vanished: string[];
    unchanged: string[];
    /** Seen by only one of the two evaluations, or without content on one side: not compared. */
    notCompared: string[];
  };
  head: {
    before: GitHead | null;
    after: GitHead | null;
    /** The commit differs; null when either side is unknown. */
    moved: boolean | null;
    /** The branch differs (detached counts as a branch of its own); null when either side is unknown. */
    branchChanged: boolean | null;
  };
  dirty: {
    before: boolean | null;
    after: boolean | null;
    /** null when either side is unknown. */
    changed: boolean | null;
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function asFileEvidence(v: unknown): FileEvidence | undefined {
  if (!isRecord(v) || typeof v.exists !== 'boolean') return undefined;
  return {
    exists: v.exists,
    ...(v.type === 'file' || v.type === 'directory' ? { type: v.type } : {}),
    ...(typeof v.sha256 === 'string' ? { sha256: v.sha256 } : {}),
    ...(typeof v.bytes === 'number' ? { bytes: v.bytes } : {}),
  };
}

/**
 * Every path an evaluation's checks looked at, merged: a later read replaces an earlier one, except
 * that a look without content (`file_exists`) does not hide a read with a digest of the same state.
 */
export function evaluationFiles(snapshot: EvidenceSnapshot | null | undefined): Map<string, FileEvidence> {
  const out = new Map<string, FileEvidence>();
  for (const result of Array.isArray(snapshot?.results) ? snapshot.results : []) {
    const files = isRecord(result) ? result.files : undefined;
    if (!isRecord(files)) continue;
    for (const [path, raw] of Object.entries(files)) {
      const next = asFileEvidence(raw);
      if (!next) continue;
      const prev = out.get(path);
      const keepPrev =
        prev?.sha256 !== undefined &&
        next.sha256 === undefined &&
        prev.exists === next.exists &&
        prev.type === next.type;
      if (!keepPrev) out.set(path, next);
    }
  }
  return out;
}

function asHead(v: unknown): GitHead | null {
  if (!isRecord(v) || typeof v.commit !== 'string') return null;
  return { commit: v.commit, branch: typeof v.branch === 'string' ? v.branch : null };
}

function asGit(v: unknown): { head: GitHead | null; dirty: boolean | null } {
  if (!isRecord(v)) return { head: null, dirty: null };
  return { head: asHead(v.head), dirty: typeof v.dirty === 'boolean' ? v.dirty : null };
}

/** The kind of thing at a path: `none`, `file` or `directory` (`file` when only existence is known). */
const shape = (f: FileEvidence) => (!f.exists ? 'none' : (f.type ?? 'file'));

/**
 * What changed between two evaluations of the same task (`POST /api/tasks/{id}/recheck`): files whose
 * digest changed, that appeared or vanished, whether HEAD moved, the branch or the dirty state changed.
 * Pure; tolerant of stored JSON (unknown fields ignored, malformed entries skipped).
 */
export function compareEvidence(
  before: EvidenceSnapshot | null | undefined,
  after: EvidenceSnapshot | null | undefined,
): EvidenceDrift {
  const a = evaluationFiles(before);
  const b = evaluationFiles(after);
  const files: EvidenceDrift['files'] = { changed: [], appeared: [], vanished: [], unchanged: [], notCompared: [] };
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (!x || !y) {
      files.notCompared.push(path);
      continue;
    }
    const [sx, sy] = [shape(x), shape(y)];
    if (sx === 'none' && sy === 'none') files.unchanged.push(path);
    else if (sx === 'none') files.appeared.push(path);
    else if (sy === 'none') files.vanished.push(path);
    else if (sx !== sy) files.changed.push(path);
    else if (sx === 'directory') files.unchanged.push(path);
    else if (x.sha256 === undefined || y.sha256 === undefined) files.notCompared.push(path);
    else if (x.sha256 !== y.sha256) files.changed.push(path);
    else files.unchanged.push(path);
  }
  const g0 = asGit(before?.git);
  const g1 = asGit(after?.git);
  const known = g0.head !== null && g1.head !== null;
  const head: EvidenceDrift['head'] = {
    before: g0.head,
    after: g1.head,
    moved: known ? g0.head!.commit !== g1.head!.commit : null,
    branchChanged: known ? g0.head!.branch !== g1.head!.branch : null,
  };
  const dirty: EvidenceDrift['dirty'] = {
    before: g0.dirty,
    after: g1.dirty,
    changed: g0.dirty === null || g1.dirty === null ? null : g0.dirty !== g1.dirty,
  };
  const drifted =
    files.changed.length > 0 ||
    files.appeared.length > 0 ||
    files.vanished.length > 0 ||
    head.moved === true ||
    head.branchChanged === true ||
    dirty.changed === true;
  return { drifted, files, head, dirty };
}
