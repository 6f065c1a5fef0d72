import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpencodeClient } from '@heddle/opencode-client';
import { FakeOpencode, startFakeOpencode } from '@heddle/testing';
import { Check, CheckContext } from './check.types';
import { evaluateCheck, evaluateChecks } from './evaluate';
import { compareEvidence } from './evidence';

// Evidence that proves itself: every check records the sha256 of what it judged, every evaluation the
// workspace's HEAD and dirty state — through the real OpencodeClient against the fake host, which
// serves a real git repository (its fidelity for these routes is held by the contract suite).

const FILES: Record<string, string> = {
  'README.md': '# Demo\n',
  'src/a.ts': '\n\n  export const answer = 42;\n// TODO\n\n',
  'data/good.json': '{"ok": true}\n',
  'PLAN.md': '- [x] a\n<plan-complete>done</plan-complete>\n',
  'bin/blob.dat': 'head\u0000 binary \n\n',
};

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const gitIn = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@x.invalid', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    stdio: 'pipe',
  })
    .toString()
    .trim();

let fake: FakeOpencode;
let client: OpencodeClient;
let ctx: CheckContext;

beforeAll(async () => {
  fake = await startFakeOpencode({ files: FILES });
  client = new OpencodeClient({ baseUrl: fake.baseUrl, directory: fake.workspace, timeoutMs: 5_000 });
  ctx = { host: client, session: async () => (await client.createSession({ title: 'checks' })).id };
});

afterAll(async () => {
  await fake?.stop();
});

describe('file digests on each result', () => {
  const trimmed = FILES['src/a.ts']!.trim();

  it.each<[string, Check, Record<string, unknown> | undefined]>([
    [
      'file_contains: the sha256 of the text as the host returned it (trimmed), not of the file on disk',
      { kind: 'file_contains', path: 'src/a.ts', pattern: 'answer' },
      { 'src/a.ts': { exists: true, type: 'file', sha256: sha(trimmed), bytes: Buffer.byteLength(trimmed) } },
    ],
    [
      'file_not_contains (./ normalised)',
      { kind: 'file_not_contains', path: './src/a.ts', pattern: 'nope' },
      { 'src/a.ts': { exists: true, type: 'file', sha256: sha(trimmed), bytes: Buffer.byteLength(trimmed) } },
    ],
    [
      'json_schema',
      { kind: 'json_schema', path: 'data/good.json', schema: { type: 'object' } },
      { 'data/good.json': { exists: true, type: 'file', sha256: sha('{"ok": true}'), bytes: 12 } },
    ],
    [
      'plan_complete_tag',
      { kind: 'plan_complete_tag', path: 'PLAN.md' },
      { 'PLAN.md': expect.objectContaining({ sha256: sha(FILES['PLAN.md']!.trim()) }) },
    ],
    [
      'a binary file: the sha256 of its bytes (base64-decoded, untrimmed)',
      { kind: 'file_contains', path: 'bin/blob.dat', pattern: 'binary' },
      { 'bin/blob.dat': { exists: true, type: 'file', sha256: sha(Buffer.from(FILES['bin/blob.dat']!)), bytes: 15 } },
    ],
    ['a missing file: says so', { kind: 'checklist_complete', path: 'tasks.md' }, { 'tasks.md': { exists: false } }],
    ['a directory', { kind: 'file_contains', path: 'src', pattern: 'x' }, { src: { exists: true, type: 'directory' } }],
    [
      'file_exists only looks: existence and type, no digest',
      { kind: 'file_exists', path: 'README.md' },
      { 'README.md': { exists: true, type: 'file' } },
    ],
    ['file_absent on a missing path', { kind: 'file_absent', path: 'tmp/x.log' }, { 'tmp/x.log': { exists: false } }],
    ['git_changed reads no file', { kind: 'git_changed' }, undefined],
    ['command reads no file', { kind: 'command', command: 'cat README.md' }, undefined],
    ['a check that could not be evaluated read nothing', { kind: 'file_exists', path: '../etc' }, undefined],
  ])('%s', async (_name, check, files) => {
    const r = await evaluateCheck(ctx, check);
    // Only the escaping path is an error; every other row was judged (pass or fail).
    expect(r.status === 'error').toBe(files === undefined && check.kind === 'file_exists');
    expect(r.files).toEqual(files);
  });

  it('the digest of a trimmed text differs from the file on disk when it has surrounding blanks', () => {
    expect(sha(readFileSync(join(fake.workspace, 'src/a.ts')))).not.toBe(sha(trimmed));
  });
});

describe('the git state of each evaluation', () => {
  it('records HEAD (commit, branch) and the dirty state, once per evaluation', async () => {
    const g = await startFakeOpencode({ files: { 'README.md': '# x\n' }, branch: 'trunk' });
    try {
      const gc = new OpencodeClient({ baseUrl: g.baseUrl, directory: g.workspace });
      const clean = await evaluateChecks({ host: gc }, [{ kind: 'file_exists', path: 'README.md' }]);
      expect(clean.git).toEqual({
        head: { commit: gitIn(g.workspace, 'rev-parse', 'HEAD'), branch: 'trunk' },
        dirty: false,
        changedCount: 0,
        changedFiles: [],
        readAt: expect.any(String),
      });
      expect(Date.parse(clean.git!.readAt)).toBeGreaterThanOrEqual(Date.parse(clean.startedAt));

      writeFileSync(join(g.workspace, 'new.txt'), 'x\n');
      g.clear();
      const dirty = await evaluateChecks({ host: gc }, [
        { kind: 'file_exists', path: 'README.md' },
        { kind: 'file_exists', path: 'new.txt' },
      ]);
      expect(dirty.git).toMatchObject({ dirty: true, changedCount: 1, changedFiles: ['new.txt'] });
      // Read once, not per check: HEAD, its ref and one status.
      const paths = g.requests().map((r) => `${r.path} ${(r.query as Record<string, string>).path ?? ''}`.trim());
      expect(paths.filter((p) => p.startsWith('/file/content .git/'))).toEqual([
        '/file/content .git/HEAD',
        '/file/content .git/refs/heads/trunk',
      ]);
      expect(paths.filter((p) => p === '/vcs/status')).toHaveLength(1);
    } finally {
      await g.stop();
    }
  });

  it('not a git repository: head null with the reason; the checks are judged as ever', async () => {
    const plain = await startFakeOpencode({ git: false });
    try {
      const pc = new OpencodeClient({ baseUrl: plain.baseUrl, directory: plain.workspace });
      const run = await evaluateChecks({ host: pc }, [{ kind: 'file_exists', path: 'README.md' }]);
      expect(run).toMatchObject({ status: 'pass', allPassed: true });
      expect(run.git).toEqual({ head: null, dirty: null, reason: 'not a git repository', readAt: expect.any(String) });
    } finally {
      await plain.stop();
    }
  });

  it('host down: head and dirty unknown with the reasons, never an error of the evaluation itself', async () => {
    const down = await startFakeOpencode({ git: false });
    const dc = new OpencodeClient({ baseUrl: down.baseUrl, directory: down.workspace, timeoutMs: 2_000 });
    try {
      await down.setUnreachable(true);
      const run = await evaluateChecks({ host: dc }, []);
      expect(run).toMatchObject({ status: 'pass', git: { head: null, dirty: null } });
      expect(run.git!.reason).toMatch(/^could not read \.git\/HEAD: .*; could not read \/vcs\/status: /);
    } finally {
      await down.stop();
    }
  });
});

describe('drift between two evaluations (compareEvidence over real results)', () => {
  it('names the files that changed, appeared or vanished, and whether HEAD moved', async () => {
    const d = await startFakeOpencode({
      files: { 'a.md': 'one\n', 'b.md': 'two\n', 'c.md': 'three\n', 'd.md': 'four\n' },
    });
    try {
      const dc = new OpencodeClient({ baseUrl: d.baseUrl, directory: d.workspace });
      const checks: Check[] = [
        { kind: 'file_contains', path: 'a.md', pattern: 'o' },
        { kind: 'file_contains', path: 'b.md', pattern: 't' },
        { kind: 'file_exists', path: 'c.md' },
        { kind: 'file_absent', path: 'new.md' },
        { kind: 'file_contains', path: 'd.md', pattern: 'f' },
      ];
      const before = await evaluateChecks({ host: dc }, checks);
      expect(before.allPassed).toBe(true);

      // Nothing happened: no drift.
      const again = await evaluateChecks({ host: dc }, checks);
      expect(compareEvidence(before, again)).toMatchObject({ drifted: false, head: { moved: false } });

      writeFileSync(join(d.workspace, 'a.md'), 'one, edited\n');
      writeFileSync(join(d.workspace, 'd.md'), '\n\nfour\n\n\n'); // only blanks around: OpenCode trims them
      rmSync(join(d.workspace, 'c.md'));
      writeFileSync(join(d.workspace, 'new.md'), 'new\n');
      gitIn(d.workspace, 'add', '-A');
      gitIn(d.workspace, 'commit', '-q', '-m', 'edits');
      const after = await evaluateChecks({ host: dc }, checks);

      const drift = compareEvidence(before, after);
      expect(drift.files).toEqual({
        changed: ['a.md'],
        appeared: ['new.md'],
        vanished: ['c.md'],
        unchanged: ['b.md', 'd.md'],
        notCompared: [],
      });
      expect(drift.head).toEqual({
        before: before.git!.head,
        after: { commit: gitIn(d.workspace, 'rev-parse', 'HEAD'), branch: 'main' },
        moved: true,
        branchChanged: false,
      });
      expect(drift.dirty).toEqual({ before: false, after: false, changed: false });
      expect(drift.drifted).toBe(true);
    } finally {
      await d.stop();
    }
  });
});
