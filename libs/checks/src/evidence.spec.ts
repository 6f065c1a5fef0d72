import { createHash } from 'node:crypto';
import { FileEvidence, WorkspaceGitEvidence } from './check.types';
import { EvidenceSnapshot, compareEvidence, evaluationFiles, sha256Hex } from './evidence';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const file = (sha256: string): FileEvidence => ({ exists: true, type: 'file', sha256, bytes: 1 });
const NONE: FileEvidence = { exists: false };
const DIR: FileEvidence = { exists: true, type: 'directory' };
const LOOKED: FileEvidence = { exists: true, type: 'file' }; // file_exists: no content read

const git = (over: Partial<WorkspaceGitEvidence> = {}): WorkspaceGitEvidence => ({
  head: { commit: A, branch: 'main' },
  dirty: false,
  readAt: '2031-01-01T00:00:00.000Z',
  ...over,
});
const snap = (files: Record<string, FileEvidence>, g: WorkspaceGitEvidence | undefined = git()): EvidenceSnapshot => ({
  results: [{ files }],
  git: g,
});

describe('sha256Hex', () => {
  it('is the sha256 of the UTF-8 (strings) or of the bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('é')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
    expect(sha256Hex(Buffer.from([0, 255]))).toBe(
      createHash('sha256')
        .update(Buffer.from([0, 255]))
        .digest('hex'),
    );
  });
});

describe('compareEvidence: files', () => {
  it.each<
    [
      string,
      Record<string, FileEvidence>,
      Record<string, FileEvidence>,
      keyof ReturnType<typeof compareEvidence>['files'],
    ]
  >([
    ['same digest', { 'a.ts': file('1') }, { 'a.ts': file('1') }, 'unchanged'],
    ['other digest', { 'a.ts': file('1') }, { 'a.ts': file('2') }, 'changed'],
    ['absent, then a file', { 'a.ts': NONE }, { 'a.ts': file('1') }, 'appeared'],
    ['a file, then absent', { 'a.ts': file('1') }, { 'a.ts': NONE }, 'vanished'],
    ['absent both times', { 'a.ts': NONE }, { 'a.ts': NONE }, 'unchanged'],
    ['absent, then a directory', { d: NONE }, { d: DIR }, 'appeared'],
    ['a directory, then absent', { d: DIR }, { d: NONE }, 'vanished'],
    ['a directory both times', { d: DIR }, { d: DIR }, 'unchanged'],
    ['a file, then a directory', { d: file('1') }, { d: DIR }, 'changed'],
    ['looked at only (no digest), then read', { 'a.ts': LOOKED }, { 'a.ts': file('1') }, 'notCompared'],
    ['looked at only, then absent', { 'a.ts': LOOKED }, { 'a.ts': NONE }, 'vanished'],
    ['read only before', { 'a.ts': file('1') }, {}, 'notCompared'],
    ['read only after', {}, { 'a.ts': file('1') }, 'notCompared'],
  ])('%s → %s', (_name, before, after, bucket) => {
    const drift = compareEvidence(snap(before), snap(after));
    const path = Object.keys({ ...before, ...after })[0]!;
    for (const [name, paths] of Object.entries(drift.files)) {
      expect([name, paths]).toEqual([name, name === bucket ? [path] : []]);
    }
    expect(drift.drifted).toBe(['changed', 'appeared', 'vanished'].includes(bucket));
  });

  it('sorts paths and spreads them over the buckets', () => {
    const drift = compareEvidence(
      snap({ 'z.md': file('1'), 'b.md': file('1'), 'gone.md': file('3'), 'same.md': file('4') }),
      snap({ 'z.md': file('2'), 'b.md': file('9'), 'new.md': file('5'), 'gone.md': NONE, 'same.md': file('4') }),
    );
    expect(drift.files).toEqual({
      changed: ['b.md', 'z.md'],
      appeared: [],
      vanished: ['gone.md'],
      unchanged: ['same.md'],
      notCompared: ['new.md'],
    });
  });
});

describe('compareEvidence: HEAD and dirty state', () => {
  it.each<[string, WorkspaceGitEvidence | undefined, WorkspaceGitEvidence | undefined, object, boolean]>([
    ['same commit and branch', git(), git(), { moved: false, branchChanged: false }, false],
    ['a new commit', git(), git({ head: { commit: B, branch: 'main' } }), { moved: true, branchChanged: false }, true],
    [
      'another branch at the same commit',
      git(),
      git({ head: { commit: A, branch: 'feature' } }),
      { moved: false, branchChanged: true },
      true,
    ],
    [
      'detached at the same commit',
      git(),
      git({ head: { commit: A, branch: null } }),
      { moved: false, branchChanged: true },
      true,
    ],
    ['HEAD unknown after', git(), git({ head: null, reason: 'x' }), { moved: null, branchChanged: null }, false],
    ['no git state stored before', undefined, git(), { moved: null, branchChanged: null }, false],
  ])('%s', (_name, g0, g1, head, drifted) => {
    const drift = compareEvidence({ results: [], git: g0 }, { results: [], git: g1 });
    expect(drift.head).toMatchObject({ before: g0?.head ?? null, after: g1?.head ?? null, ...head });
    expect(drift.drifted).toBe(drifted);
  });

  it.each<[boolean | null, boolean | null, boolean | null]>([
    [false, false, false],
    [false, true, true],
    [true, false, true],
    [true, true, false],
    [null, true, null],
  ])('dirty %s → %s: changed %s', (d0, d1, changed) => {
    const drift = compareEvidence({ git: git({ dirty: d0 }) }, { git: git({ dirty: d1 }) });
    expect(drift.dirty).toEqual({ before: d0, after: d1, changed });
    expect(drift.drifted).toBe(changed === true);
  });
});

describe('evaluationFiles / stored JSON', () => {
  it('merges the checks of one evaluation: later reads win, a look without content keeps a digest', () => {
    const files = evaluationFiles({
      results: [
        { files: { 'a.ts': file('1'), 'b.ts': file('1') } },
        { files: { 'a.ts': LOOKED, 'b.ts': file('2') } },
        {},
        { files: { 'c.ts': LOOKED } },
      ],
    });
    expect(Object.fromEntries(files)).toEqual({ 'a.ts': file('1'), 'b.ts': file('2'), 'c.ts': LOOKED });
  });

  it('tolerates what the harness stored: results without files, malformed entries, nulls', () => {
    const stored = JSON.parse(
      JSON.stringify({
        results: [
          { kind: 'weak', evidence: { files: ['x'] } },
          { files: { 'a.ts': file('1'), bad: 'nope', worse: null } },
          7,
        ],
        git: { head: { commit: A }, dirty: 'yes' },
      }),
    ) as EvidenceSnapshot;
    const drift = compareEvidence(stored, snap({ 'a.ts': file('1') }));
    expect(drift.files.unchanged).toEqual(['a.ts']);
    expect(drift.head).toMatchObject({ before: { commit: A, branch: null }, moved: false, branchChanged: true });
    expect(drift.dirty.before).toBeNull();
    expect(compareEvidence(null, undefined)).toEqual({
      drifted: false,
      files: { changed: [], appeared: [], vanished: [], unchanged: [], notCompared: [] },
      head: { before: null, after: null, moved: null, branchChanged: null },
      dirty: { before: null, after: null, changed: null },
    });
  });
});
