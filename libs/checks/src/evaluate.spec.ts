import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpencodeClient } from '@heddle/opencode-client';
import { FakeOpencode, startFakeOpencode } from '@heddle/testing';
import { Check, CheckContext, CheckResult } from './check.types';
import { describeChecks, describeFailures } from './describe';
import { evaluateCheck, evaluateChecks } from './evaluate';

// Every check runs through the real OpencodeClient against the in-process fake OpenCode host, which
// serves a real git workspace on disk and runs `/shell` commands for real with `sh -c`.

const FILES: Record<string, string> = {
  'README.md': '# Demo\n\nNo checklist here.\n',
  'src/a.ts': 'export const answer = 42;\n// TODO: find me\nconst Greeting = "Hello";\n',
  'tasks.md': '## Tasks\n- [x] 1.1 write it\n- [ ] 1.2 test it\n- [MANUAL] 1.3 deploy\n',
  'done.md': '- [x] one\n  - [X] two\n- [BLOCKED: no credentials] three\n- [MANUAL] four\n',
  'PLAN.md': '- [x] a\n- [ ] b\n\n<plan-complete>Did a; b is moot.</plan-complete>\n',
  'PLAN-open.md': '- [x] a\n- [ ] b\nWhen done, append <plan-complete>SUMMARY</plan-complete>\n',
  'data/good.json': '{"ok": true, "items": [1, 2]}',
  'data/bad.json': '{"ok": "yes", "items": ["x"]}',
  'data/broken.json': '{"ok": tru',
  'data/aaa.txt': `${'a'.repeat(32)}!`,
  'data/aaa.json': JSON.stringify({ name: `${'a'.repeat(100_000)}!` }),
  'bin/blob.dat': 'head\u0000 binary needle tail',
};

const SCHEMA = {
  type: 'object',
  required: ['ok', 'items'],
  properties: { ok: { type: 'boolean' }, items: { type: 'array', items: { type: 'integer' } } },
};

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

const one = (check: Check, over: Partial<CheckContext> = {}) => evaluateCheck({ ...ctx, ...over }, check);

function expectResult(r: CheckResult, status: CheckResult['status']) {
  if (r.status !== status) throw new Error(`expected ${status}, got ${JSON.stringify(r, null, 2)}`);
  expect(r.passed).toBe(status === 'pass');
  expect(r.durationMs).toBeGreaterThanOrEqual(0);
}

describe('file_exists / file_absent', () => {
  it('passes and fails by what is on disk (files and directories)', async () => {
    const exists = await one({ kind: 'file_exists', path: 'src/a.ts', name: 'source' });
    expectResult(exists, 'pass');
    expect(exists).toMatchObject({
      kind: 'file_exists',
      name: 'source',
      index: 0,
      summary: 'src/a.ts exists (file)',
      evidence: { path: 'src/a.ts', exists: true, entryType: 'file' },
    });
    expectResult(await one({ kind: 'file_exists', path: 'src' }), 'pass');
    const missing = await one({ kind: 'file_exists', path: 'src/missing.ts' });
    expectResult(missing, 'fail');
    expect(missing.evidence).toEqual({ path: 'src/missing.ts', exists: false });
    expectResult(await one({ kind: 'file_exists', path: 'nowhere/deep/x.ts' }), 'fail');

    expectResult(await one({ kind: 'file_absent', path: 'src/missing.ts' }), 'pass');
    expectResult(await one({ kind: 'file_absent', path: 'README.md' }), 'fail');
  });

  it('an empty file exists (OpenCode reads it as "", like a missing one)', async () => {
    writeFileSync(join(fake.workspace, 'empty.txt'), '');
    expectResult(await one({ kind: 'file_exists', path: 'empty.txt' }), 'pass');
    expectResult(await one({ kind: 'file_absent', path: 'empty.txt' }), 'fail');
  });

  it('confines paths at evaluation time: escaping or outside is an error, absolute inside is fine', async () => {
    for (const path of ['../outside.txt', '/etc/hostname', 'a/../../x', 'x\0y']) {
      const r = await one({ kind: 'file_exists', path });
      expectResult(r, 'error');
      expect(r.error).toMatch(/^WorkspacePathError: path /);
    }
    expectResult(await one({ kind: 'file_exists', path: join(fake.workspace, 'src/a.ts') }), 'pass');
    expectResult(await one({ kind: 'file_absent', path: '../x' }), 'error'); // never "absent" by escaping
  });
});

describe('file_contains / file_not_contains', () => {
  it('literal text (the default) with the matched line as evidence', async () => {
    const r = await one({ kind: 'file_contains', path: 'src/a.ts', pattern: 'TODO: find' });
    expectResult(r, 'pass');
    expect(r.evidence).toMatchObject({
      path: 'src/a.ts',
      pattern: 'TODO: find',
      regex: false,
      match: { lineNumber: 2, line: '// TODO: find me', text: 'TODO: find' },
    });
    // Regex metacharacters are literal unless regex: true.
    expectResult(await one({ kind: 'file_contains', path: 'src/a.ts', pattern: 'answer = 4.' }), 'fail');
  });

  it('fails with an excerpt of the file when the text is missing', async () => {
    const r = await one({ kind: 'file_contains', path: 'src/a.ts', pattern: 'health' });
    expectResult(r, 'fail');
    expect(r.summary).toBe('src/a.ts does not contain "health"');
    expect(r.evidence.excerpt).toContain('export const answer = 42;');
  });

  it('regular expressions and flags', async () => {
    const r = await one({ kind: 'file_contains', path: 'src/a.ts', pattern: 'answer = \\d+;', regex: true });
    expectResult(r, 'pass');
    expect(r.evidence.match).toEqual({ lineNumber: 1, line: 'export const answer = 42;', text: 'answer = 42;' });
    expectResult(await one({ kind: 'file_contains', path: 'src/a.ts', pattern: 'greeting', flags: 'i' }), 'pass');
    expectResult(await one({ kind: 'file_contains', path: 'src/a.ts', pattern: 'greeting' }), 'fail');
    expectResult(
      await one({ kind: 'file_contains', path: 'src/a.ts', pattern: '^const', regex: true, flags: 'm' }),
      'pass',
    );
  });

  it('file_not_contains passes on absence and fails naming the line found', async () => {
    expectResult(await one({ kind: 'file_not_contains', path: 'src/a.ts', pattern: 'console.log' }), 'pass');
    const r = await one({ kind: 'file_not_contains', path: 'src/a.ts', pattern: 'TODO' });
    expectResult(r, 'fail');
    expect(r.summary).toBe('src/a.ts contains "TODO" at line 2');
    expect(r.evidence.match?.line).toBe('// TODO: find me');
  });

  it('a missing file or a directory fails both kinds (absence of a file is not absence of text)', async () => {
    for (const kind of ['file_contains', 'file_not_contains'] as const) {
      const missing = await one({ kind, path: 'nope.txt', pattern: 'x' });
      expectResult(missing, 'fail');
      expect(missing.summary).toBe('nope.txt does not exist');
      const dir = await one({ kind, path: 'src', pattern: 'x' });
      expectResult(dir, 'fail');
      expect(dir.summary).toBe('src is a directory, not a file');
    }
  });

  it('binary files are decoded as UTF-8', async () => {
    const r = await one({ kind: 'file_contains', path: 'bin/blob.dat', pattern: 'binary needle' });
    expectResult(r, 'pass');
    expect(r.evidence.binary).toBe(true);
  });

  it('an invalid regular expression is an error, not a verdict', async () => {
    const bad = await one({ kind: 'file_contains', path: 'src/a.ts', pattern: '(', regex: true });
    expectResult(bad, 'error');
    expect(bad.error).toMatch(/invalid pattern/);
    const lookahead = await one({ kind: 'file_contains', path: 'src/a.ts', pattern: 'a(?=n)', regex: true });
    expectResult(lookahead, 'error');
    expect(lookahead.error).toMatch(/invalid pattern/);
  });

  it('a pattern that backtracks catastrophically in JavaScript is judged at once (RE2, linear time)', async () => {
    const slow = await one({ kind: 'file_not_contains', path: 'data/aaa.txt', pattern: '^(a+)+$', regex: true });
    expectResult(slow, 'pass');
    expect(slow.summary).toBe('data/aaa.txt does not match /^(a+)+$/');
  });
});

describe('checklist_complete', () => {
  it('fails while a "- [ ]" item is open, listing it', async () => {
    const r = await one({ kind: 'checklist_complete', path: 'tasks.md' });
    expectResult(r, 'fail');
    expect(r.evidence).toMatchObject({
      items: { total: 3, done: 1, open: 1, manual: 1, blocked: 0 },
      percent: 50,
      openItems: [{ line: 3, text: '1.2 test it' }],
    });
    expect(r.summary).toContain('1 open item(s) of 3');
  });

  it('passes when every item is [x]/[X], [MANUAL] or [BLOCKED: …] (indented items count)', async () => {
    const r = await one({ kind: 'checklist_complete', path: 'done.md' });
    expectResult(r, 'pass');
    expect(r.evidence.items).toEqual({ total: 4, done: 2, open: 0, manual: 1, blocked: 1 });
  });

  it('fails for a file without items and for a missing file', async () => {
    const none = await one({ kind: 'checklist_complete', path: 'README.md' });
    expectResult(none, 'fail');
    expect(none.summary).toMatch(/no checklist items/);
    expectResult(await one({ kind: 'checklist_complete', path: 'openspec/tasks.md' }), 'fail');
  });
});

describe('plan_complete_tag', () => {
  it('passes on a line-anchored tag, with its summary', async () => {
    const r = await one({ kind: 'plan_complete_tag', path: 'PLAN.md' });
    expectResult(r, 'pass');
    expect(r.evidence.tag).toEqual({ line: 4, summary: 'Did a; b is moot.' });
  });

  it('fails when the tag is only mentioned mid-line, or the file is missing', async () => {
    const r = await one({ kind: 'plan_complete_tag', path: 'PLAN-open.md' });
    expectResult(r, 'fail');
    expect(r.summary).toBe('PLAN-open.md has no line starting with <plan-complete>');
    expectResult(await one({ kind: 'plan_complete_tag', path: 'NOPLAN.md' }), 'fail');
  });
});

describe('json_schema', () => {
  it('valid, invalid (with Ajv errors), unparsable, missing', async () => {
    expectResult(await one({ kind: 'json_schema', path: 'data/good.json', schema: SCHEMA }), 'pass');

    const invalid = await one({ kind: 'json_schema', path: 'data/bad.json', schema: SCHEMA });
    expectResult(invalid, 'fail');
    expect(invalid.evidence.schemaErrors).toEqual([
      expect.objectContaining({ instancePath: '/ok', keyword: 'type', message: 'must be boolean' }),
      expect.objectContaining({ instancePath: '/items/0', keyword: 'type', message: 'must be integer' }),
    ]);
    expect(invalid.summary).toBe('data/bad.json does not validate: /ok must be boolean; /items/0 must be integer');

    const broken = await one({ kind: 'json_schema', path: 'data/broken.json', schema: SCHEMA });
    expectResult(broken, 'fail');
    expect(broken.summary).toBe('data/broken.json is not valid JSON');
    expect(broken.evidence.parseError).toBeTruthy();
    expect(broken.evidence.excerpt).toBe('{"ok": tru');

    expectResult(await one({ kind: 'json_schema', path: 'data/none.json', schema: SCHEMA }), 'fail');
  });

  it('2020-12 schemas by $schema; an invalid schema is an error', async () => {
    const s2020 = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { items: { type: 'array', prefixItems: [{ const: 1 }] } },
    };
    expectResult(await one({ kind: 'json_schema', path: 'data/good.json', schema: s2020 }), 'pass');
    const r = await one({ kind: 'json_schema', path: 'data/good.json', schema: { type: 'nope' } });
    expectResult(r, 'error');
    expect(r.error).toMatch(/invalid JSON Schema/);
  });

  it('runs `pattern` keywords on RE2 too: a catastrophic pattern is judged at once', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
    const r = await one({ kind: 'json_schema', path: 'data/aaa.json', schema });
    expectResult(r, 'fail');
    expect(r.evidence.schemaErrors).toEqual([expect.objectContaining({ instancePath: '/name', keyword: 'pattern' })]);
  });
});

describe('command (through the fake host shell)', () => {
  it('exit 0 passes, exit 1 fails with the output tail and exit code', async () => {
    const ok = await one({ kind: 'command', command: 'test -f src/a.ts && echo found' });
    expectResult(ok, 'pass');
    expect(ok.evidence).toMatchObject({ exitCode: 0, timedOut: false, outputTail: 'found\n', timeoutSeconds: 600 });

    const bad = await one({ kind: 'command', command: 'echo "out"; echo "err" >&2; exit 1', timeoutSeconds: 30 });
    expectResult(bad, 'fail');
    expect(bad.evidence).toMatchObject({ exitCode: 1, timedOut: false, timeoutSeconds: 30 });
    expect(bad.evidence.outputTail).toContain('out\n');
    expect(bad.evidence.outputTail).toContain('err\n');
    expect(bad.summary).toBe('`echo "out"; echo "err" >&2; exit 1` exited 1');
  });

  it('keeps at most 4 KB of output', async () => {
    const r = await one({
      kind: 'command',
      command: 'i=0; while [ $i -lt 1000 ]; do echo line-$i-padding; i=$((i+1)); done',
    });
    expectResult(r, 'pass');
    expect(Buffer.byteLength(r.evidence.outputTail!, 'utf8')).toBeLessThanOrEqual(4096);
    expect(r.evidence.outputBytes).toBeGreaterThan(15_000);
    expect(r.evidence.outputTail).toMatch(/line-999-padding\n$/);
  });

  it('a command that outlives its timeout fails as timed out', async () => {
    const started = Date.now();
    const r = await one({ kind: 'command', command: 'echo started; sleep 20', timeoutSeconds: 0.5 });
    expectResult(r, 'fail');
    expect(r.evidence).toMatchObject({ exitCode: null, timedOut: true });
    expect(r.summary).toBe('`echo started; sleep 20` did not finish within 0.5 s');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the session is created lazily, once per evaluation; no session or a team ban is an error', async () => {
    let calls = 0;
    const session = async () => {
      calls++;
      return (await client.createSession()).id;
    };
    const run = await evaluateChecks({ host: client, session }, [
      { kind: 'file_exists', path: 'README.md' },
      { kind: 'command', command: 'true' },
      { kind: 'command', command: 'false' },
    ]);
    expect(calls).toBe(1);
    expect(run.results.map((r) => r.status)).toEqual(['pass', 'pass', 'fail']);
    const noFileChecks = await evaluateChecks({ host: client, session }, [{ kind: 'file_exists', path: 'README.md' }]);
    expect(noFileChecks.allPassed).toBe(true);
    expect(calls).toBe(1);

    const none = await evaluateCheck({ host: client }, { kind: 'command', command: 'true' });
    expectResult(none, 'error');
    expect(none.error).toMatch(/no session/);
    const banned = await one({ kind: 'command', command: 'true' }, { allowCommands: false });
    expectResult(banned, 'error');
    expect(banned.error).toMatch(/not allowed/);
  });
});

describe('git_changed (own workspace, so the tree starts clean)', () => {
  let g: FakeOpencode;
  let gc: OpencodeClient;

  beforeAll(async () => {
    g = await startFakeOpencode({ files: { 'README.md': '# x\n', 'src/a.ts': 'export {};\n' } });
    gc = new OpencodeClient({ baseUrl: g.baseUrl, directory: g.workspace });
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('fails on a clean tree, then passes with changes; paths narrow it', async () => {
    const clean = await evaluateCheck({ host: gc }, { kind: 'git_changed' });
    expectResult(clean, 'fail');
    expect(clean.evidence).toEqual({ changedCount: 0, changedFiles: [] });

    mkdirSync(join(g.workspace, 'docs'));
    writeFileSync(join(g.workspace, 'docs/new.md'), 'new\n');
    const any = await evaluateCheck({ host: gc }, { kind: 'git_changed' });
    expectResult(any, 'pass');
    expect(any.evidence).toEqual({ changedCount: 1, changedFiles: [{ file: 'docs/new.md', status: 'added' }] });

    const elsewhere = await evaluateCheck({ host: gc }, { kind: 'git_changed', paths: ['src'] });
    expectResult(elsewhere, 'fail');
    expect(elsewhere.summary).toBe('no changes under src (1 changed file(s) elsewhere)');
    // `src` must not match `srcx/…` nor `docs` match `docs2`.
    writeFileSync(join(g.workspace, 'srcx'), 'x\n');
    expectResult(await evaluateCheck({ host: gc }, { kind: 'git_changed', paths: ['src/'] }), 'fail');

    for (const paths of [['docs'], ['./docs/'], ['docs/new.md'], ['src', 'docs'], ['.']]) {
      const r = await evaluateCheck({ host: gc }, { kind: 'git_changed', paths });
      expectResult(r, 'pass');
      expect(r.evidence.matchedFiles).toContain('docs/new.md');
    }

    writeFileSync(join(g.workspace, 'src/a.ts'), 'export const changed = 1;\n');
    const src = await evaluateCheck({ host: gc }, { kind: 'git_changed', paths: ['src'] });
    expectResult(src, 'pass');
    expect(src.evidence.matchedFiles).toEqual(['src/a.ts']);
    expect(src.evidence.changedFiles).toContainEqual({ file: 'src/a.ts', status: 'modified' });

    expectResult(await evaluateCheck({ host: gc }, { kind: 'git_changed', paths: ['../'] }), 'error');
  });
});

describe('evaluateChecks', () => {
  it('runs every check in order (stops on nothing) and sums them up', async () => {
    const run = await evaluateChecks(ctx, [
      { kind: 'file_exists', path: 'src/a.ts' },
      { kind: 'file_exists', path: 'missing.ts', name: 'the new file' },
      { kind: 'checklist_complete', path: 'done.md' },
    ]);
    expect(run.results.map((r) => [r.index, r.status])).toEqual([
      [0, 'pass'],
      [1, 'fail'],
      [2, 'pass'],
    ]);
    expect(run).toMatchObject({
      allPassed: false,
      status: 'fail',
      counts: { total: 3, passed: 2, failed: 1, errored: 0 },
    });
    expect(Date.parse(run.startedAt)).not.toBeNaN();
  });

  it('an empty list passes vacuously (the weak default is the harness’s call)', async () => {
    expect(await evaluateChecks(ctx, [])).toMatchObject({ allPassed: true, status: 'pass', results: [] });
  });

  it('a client without a directory is an error for every check', async () => {
    const run = await evaluateChecks({ host: new OpencodeClient({ baseUrl: fake.baseUrl }) }, [
      { kind: 'file_exists', path: 'README.md' },
    ]);
    expect(run.status).toBe('error');
    expect(run.results[0]!.error).toMatch(/no absolute workspace directory/);
  });

  it('host down: every check is an error (passed: false), distinct from a failure', async () => {
    const down = await startFakeOpencode({ git: false });
    const dc = new OpencodeClient({ baseUrl: down.baseUrl, directory: down.workspace, timeoutMs: 2_000 });
    try {
      await down.setUnreachable(true);
      const run = await evaluateChecks({ host: dc, session: async () => 'ses_x' }, [
        { kind: 'file_exists', path: 'README.md' },
        { kind: 'file_contains', path: 'README.md', pattern: 'x' },
        { kind: 'git_changed' },
        { kind: 'command', command: 'true' },
        { kind: 'json_schema', path: 'a.json', schema: { type: 'object' } },
      ]);
      expect(run.status).toBe('error');
      expect(run.allPassed).toBe(false);
      expect(run.counts).toEqual({ total: 5, passed: 0, failed: 0, errored: 5 });
      for (const r of run.results) {
        expect(r.passed).toBe(false);
        expect(r.error).toMatch(/^OpencodeUnreachableError: /);
        expect(r.summary).toMatch(/^could not be evaluated: /);
      }
    } finally {
      await down.stop();
    }
  });
});

describe('describeFailures', () => {
  it('names each failing check with its evidence; errors are marked; "" when all pass', async () => {
    const run = await evaluateChecks(ctx, [
      { kind: 'file_exists', path: 'README.md' },
      { kind: 'file_contains', path: 'src/a.ts', pattern: 'health', name: 'health route' },
      { kind: 'checklist_complete', path: 'tasks.md' },
      { kind: 'json_schema', path: 'data/bad.json', schema: SCHEMA },
      { kind: 'command', command: 'echo "3 tests failed"; exit 2' },
      { kind: 'file_exists', path: '../etc' },
    ]);
    const text = describeFailures(run.results);
    expect(text).toContain('5 acceptance checks still fail (judged from the workspace, not from your reply):');
    expect(text).toContain('2. [file_contains] health route — FAILED: src/a.ts does not contain "health"');
    expect(text).toContain('File starts with:\n   ```\n   export const answer = 42;');
    expect(text).toContain('3. [checklist_complete] — FAILED: tasks.md has 1 open item(s) of 3');
    expect(text).toContain('line 3: - [ ] 1.2 test it');
    expect(text).toContain('4. [json_schema] — FAILED: data/bad.json does not validate');
    expect(text).toContain('/ok: must be boolean');
    expect(text).toContain('5. [command] — FAILED: `echo "3 tests failed"; exit 2` exited 2');
    expect(text).toContain('3 tests failed');
    expect(text).toContain('6. [file_exists] — could not be evaluated: WorkspacePathError');
    expect(text).not.toContain('1. [file_exists]');
    expect(describeFailures(run.results, { includeErrors: false })).not.toContain('6. [file_exists]');

    const ok = await evaluateChecks(ctx, [{ kind: 'file_exists', path: 'README.md' }]);
    expect(describeFailures(ok.results)).toBe('');
  });

  it('describeChecks lists what each check requires', () => {
    expect(
      describeChecks([
        { kind: 'file_exists', path: 'src/health.ts' },
        { kind: 'file_contains', path: 'src/health.ts', pattern: 'ok', flags: 'i', name: 'ok' },
        { kind: 'file_not_contains', path: 'a.ts', pattern: 'TODO\\b', regex: true },
        { kind: 'git_changed', paths: ['src'] },
        { kind: 'command', command: 'npm test' },
      ]),
    ).toBe(
      [
        '1. `src/health.ts` exists',
        '2. ok: `src/health.ts` contains the text "ok" (any case)',
        '3. `a.ts` does not match the regular expression /TODO\\b/',
        '4. the working tree has changes under `src`',
        '5. `npm test` exits 0 within 600 s',
      ].join('\n'),
    );
  });
});
