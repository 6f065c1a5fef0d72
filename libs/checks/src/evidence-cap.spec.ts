import { OpencodeClient } from '@heddle/opencode-client';
import { FakeOpencode, startFakeOpencode } from '@heddle/testing';
import { Check, CheckContext, CheckEvidence, CheckResult } from './check.types';
import { describeFailures } from './describe';
import { evaluateChecks } from './evaluate';
import { EVIDENCE_MAX_BYTES, headBytes, tailBytes } from './text';

// CHECK_EVIDENCE_MAX_BYTES: every excerpt of the workspace (or of command output) a check stores as
// evidence, or quotes in a summary or in the next prompt, fits the configured number of UTF-8 bytes;
// 0 stores none. Files are large and multi-byte so that a cut by characters would overshoot.

const BIG = 6000;
const FILES: Record<string, string> = {
  'big.txt': `${'é'.repeat(BIG)}\n${'x'.repeat(BIG)}`,
  'long-line.txt': `start ${'ü'.repeat(BIG)} needle ${'z'.repeat(BIG)}\nsecond line`,
  'list.md': `- [ ] ${'ö'.repeat(BIG)}\n- [x] done\n`,
  'no-items.md': 'ä'.repeat(BIG),
  'plan-done.md': `- [x] a\n<plan-complete>${'ß'.repeat(BIG)}</plan-complete>\n`,
  'plan-open.md': `- [ ] a\n${'ñ'.repeat(BIG)}`,
  'broken.json': `{"${'k'.repeat(BIG)}": tru`,
  'invalid.json': JSON.stringify({ [`${'q'.repeat(BIG)}`]: 'ÿ'.repeat(BIG), ok: 'not a boolean' }),
};

const CHECKS: Check[] = [
  { kind: 'file_contains', path: 'big.txt', pattern: 'absent' },
  { kind: 'file_contains', path: 'long-line.txt', pattern: 'needle' },
  { kind: 'file_contains', path: 'long-line.txt', pattern: 'start.*needle.*z', regex: true },
  { kind: 'file_not_contains', path: 'long-line.txt', pattern: 'needle' },
  { kind: 'checklist_complete', path: 'list.md' },
  { kind: 'checklist_complete', path: 'no-items.md' },
  { kind: 'plan_complete_tag', path: 'plan-done.md' },
  { kind: 'plan_complete_tag', path: 'plan-open.md' },
  {
    kind: 'command',
    // Prints "line-<i>-ééé" (the command's own text holds no é: only the output does).
    command: `e=$(printf '\\303\\251'); i=0; while [ $i -lt 800 ]; do echo "line-$i-$e$e$e"; i=$((i+1)); done; exit 3`,
    timeoutSeconds: 60,
  },
  { kind: 'json_schema', path: 'broken.json', schema: { type: 'object' } },
  {
    kind: 'json_schema',
    path: 'invalid.json',
    schema: { type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false },
  },
];

/** Every field of an evidence object that holds an excerpt of the workspace or of command output. */
function excerpts(e: CheckEvidence): [string, string][] {
  const out: [string, string][] = [];
  const add = (name: string, value: string | undefined) => value !== undefined && out.push([name, value]);
  add('excerpt', e.excerpt);
  add('match.line', e.match?.line);
  add('match.text', e.match?.text);
  e.openItems?.forEach((item, i) => add(`openItems[${i}].text`, item.text));
  add('tag.summary', e.tag?.summary);
  add('outputTail', e.outputTail);
  add('note', e.note);
  add('parseError', e.parseError);
  e.schemaErrors?.forEach((s, i) => {
    add(`schemaErrors[${i}].instancePath`, s.instancePath);
    add(`schemaErrors[${i}].message`, s.message);
    if (s.params) add(`schemaErrors[${i}].params`, JSON.stringify(s.params));
  });
  add('schemaErrorsText', e.schemaErrorsText);
  return out;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/** Bytes of the longest run of a fixture's filler character in `text` (how much file content it quotes). */
const longestRun = (text: string) => Math.max(0, ...[...text.matchAll(/([éüöäßñkqÿz])\1+/g)].map((m) => bytes(m[0])));

let fake: FakeOpencode;
let client: OpencodeClient;
let base: CheckContext;

beforeAll(async () => {
  fake = await startFakeOpencode({ files: FILES });
  client = new OpencodeClient({ baseUrl: fake.baseUrl, directory: fake.workspace, timeoutMs: 20_000 });
  base = { host: client, session: async () => (await client.createSession({ title: 'evidence' })).id };
});

afterAll(async () => {
  await fake?.stop();
});

describe('evidence excerpts never exceed evidenceMaxBytes', () => {
  let byMax: Map<number | undefined, CheckResult[]>;

  beforeAll(async () => {
    byMax = new Map();
    for (const max of [undefined, 100, 7, 0]) {
      const run = await evaluateChecks({ ...base, ...(max !== undefined ? { evidenceMaxBytes: max } : {}) }, CHECKS);
      byMax.set(max, run.results);
    }
  }, 60_000);

  it('every kind was evaluated (nothing errored) and the fixtures are far bigger than the bound', () => {
    for (const results of byMax.values()) {
      expect(results.map((r) => [r.kind, r.status])).toEqual([
        ['file_contains', 'fail'],
        ['file_contains', 'pass'],
        ['file_contains', 'pass'],
        ['file_not_contains', 'fail'],
        ['checklist_complete', 'fail'],
        ['checklist_complete', 'fail'],
        ['plan_complete_tag', 'pass'],
        ['plan_complete_tag', 'fail'],
        ['command', 'fail'],
        ['json_schema', 'fail'],
        ['json_schema', 'fail'],
      ]);
    }
    const results = byMax.get(undefined)!;
    expect(results[8]!.evidence.outputBytes).toBeGreaterThan(8 * EVIDENCE_MAX_BYTES);
    expect(results[0]!.evidence.chars).toBeGreaterThan(2 * EVIDENCE_MAX_BYTES);
  });

  it.each([
    [undefined, EVIDENCE_MAX_BYTES],
    [100, 100],
    [7, 7],
  ])('evidenceMaxBytes %s: each excerpt is at most %i UTF-8 bytes, and there is one', (max, limit) => {
    const results = byMax.get(max)!;
    for (const r of results) {
      const found = excerpts(r.evidence);
      for (const [name, value] of found) {
        if (bytes(value) > limit) throw new Error(`${r.kind} #${r.index} ${name}: ${bytes(value)} bytes > ${limit}`);
      }
    }
    const names = (i: number) => excerpts(results[i]!.evidence).map(([n]) => n);
    expect(names(0)).toContain('excerpt'); // head of a file
    expect(names(1)).toEqual(['match.line', 'match.text']);
    expect(names(3)).toEqual(['match.line', 'match.text']);
    expect(names(4)).toEqual(['openItems[0].text']);
    expect(names(5)).toEqual(['excerpt']);
    expect(names(6)).toEqual(['tag.summary']);
    expect(names(7)).toEqual(['excerpt']); // end of the file
    expect(names(8)).toEqual(['outputTail']);
    expect(names(9)).toEqual(['excerpt', 'parseError']);
    expect(names(10)).toEqual(expect.arrayContaining(['excerpt', 'schemaErrorsText', 'schemaErrors[0].message']));
    // Cut, not dropped: as full as the bound allows (an ellipsis marks the cut of a head).
    expect(bytes(results[0]!.evidence.excerpt!)).toBeGreaterThan(limit - 4);
    expect(results[0]!.evidence.excerpt!.startsWith(limit >= 5 ? 'é' : '')).toBe(true);
    expect(bytes(results[8]!.evidence.outputTail!)).toBeGreaterThan(limit - 4);
    expect(results[8]!.evidence.outputTail).toMatch(/line-799-ééé\n$|\n$/);
  });

  it('the command output keeps its end (where failures are reported)', () => {
    expect(byMax.get(100)![8]!.evidence.outputTail).toMatch(/line-799-ééé\n$/);
    expect(byMax.get(undefined)![8]!.evidence.outputTail).toMatch(/^[^\n]*\n(line-\d+-ééé\n)+$/);
  });

  it('summaries quote no more of the file than the bound', () => {
    for (const max of [100, 7, 0]) {
      for (const r of byMax.get(max)!) {
        const run = longestRun(r.summary);
        if (run > max) throw new Error(`${r.kind} #${r.index} summary quotes ${run} bytes: ${r.summary}`);
      }
    }
  });

  it('0 stores no excerpt of the workspace or of the output at all', () => {
    for (const r of byMax.get(0)!) {
      const nonEmpty = excerpts(r.evidence).filter(([, value]) => value !== '');
      if (nonEmpty.length) throw new Error(`${r.kind} #${r.index} still holds ${nonEmpty.map(([n]) => n).join(', ')}`);
      expect(r.evidence.excerpt).toBeUndefined();
      expect(r.evidence.outputTail).toBeUndefined();
      expect(r.evidence.parseError).toBeUndefined();
    }
    // What is not an excerpt remains: where, how much, exit codes, line numbers.
    const [missing, found, , , list, , , , command] = byMax.get(0)!;
    expect(missing!.evidence).toMatchObject({ path: 'big.txt', chars: expect.any(Number) });
    expect(found!.evidence.match).toEqual({ lineNumber: 1, line: '', text: '' });
    expect(list!.evidence.items).toMatchObject({ open: 1, done: 1 });
    expect(command!.evidence).toMatchObject({ exitCode: 3, outputBytes: expect.any(Number) });
  });
});

describe('describeFailures quotes within evidenceMaxBytes', () => {
  it('caps every quote of file content and output, also of evidence stored with a larger bound', async () => {
    const large = await evaluateChecks({ ...base, evidenceMaxBytes: 4096 }, CHECKS);
    expect(longestRun(describeFailures(large.results, { evidenceMaxBytes: 4096 }))).toBeGreaterThan(1000);
    // Evidence lines (the summary on each title line was bounded when the check ran).
    const evidenceLines = (text: string) =>
      text
        .split('\n')
        .filter((line) => !/^\d+\. \[/.test(line))
        .join('\n');
    expect(longestRun(evidenceLines(describeFailures(large.results, { evidenceMaxBytes: 50 })))).toBeLessThanOrEqual(
      50,
    );
    expect(longestRun(evidenceLines(describeFailures(large.results)))).toBeLessThanOrEqual(EVIDENCE_MAX_BYTES);

    for (const max of [50, 0]) {
      const run = await evaluateChecks({ ...base, evidenceMaxBytes: max }, CHECKS);
      const text = describeFailures(run.results, { evidenceMaxBytes: max });
      expect(longestRun(text)).toBeLessThanOrEqual(max);
      // Still says which checks fail and why.
      expect(text).toContain('[file_contains] — FAILED: big.txt does not contain "absent"');
      expect(text).toContain('[command] — FAILED');
      if (max > 0) expect(text).toContain('line-799-ééé');
      else expect(text).not.toContain('line-799');
    }
  }, 60_000);
});

describe('reply_json: excerpts of the reply within evidenceMaxBytes', () => {
  const fence = '```';
  const REPLIES: [string, string][] = [
    ['no block (the end of the reply is quoted)', `${'é'.repeat(BIG)} and no block`],
    ['a parse error', `${fence}json\n{"${'ü'.repeat(BIG)}": tru\n${fence}`],
    [
      'schema errors',
      `${fence}json\n${JSON.stringify({ [`${'ö'.repeat(BIG)}`]: 'ñ'.repeat(BIG), ok: 'no' })}\n${fence}`,
    ],
  ];
  const check: Check = {
    kind: 'reply_json',
    schema: { type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false },
  };

  it.each(REPLIES)('%s', async (_name, reply) => {
    for (const [max, limit] of [
      [undefined, EVIDENCE_MAX_BYTES],
      [100, 100],
      [7, 7],
      [0, 0],
    ] as const) {
      const run = await evaluateChecks(
        { ...base, finalReply: async () => reply, ...(max !== undefined ? { evidenceMaxBytes: max } : {}) },
        [check],
      );
      const r = run.results[0]!;
      expect(r.status).toBe('fail');
      const found = excerpts(r.evidence);
      if (limit > 0) expect(found.map(([n]) => n)).toContain('excerpt');
      for (const [name, value] of found) {
        if (bytes(value) > limit) throw new Error(`${name}: ${bytes(value)} bytes > ${limit}`);
      }
      if (limit === 0) expect(found.filter(([, v]) => v !== '')).toEqual([]);
      expect(longestRun(r.summary)).toBeLessThanOrEqual(limit);
      expect(longestRun(describeFailures(run.results, { evidenceMaxBytes: limit }))).toBeLessThanOrEqual(limit);
    }
  });
});

describe('headBytes / tailBytes', () => {
  it('never exceed the bound and never split a character', () => {
    const text = 'aé€😀'.repeat(50);
    for (let max = 0; max <= 40; max++) {
      const head = headBytes(text, max);
      const tail = tailBytes(text, max);
      expect(bytes(head)).toBeLessThanOrEqual(max);
      expect(bytes(tail)).toBeLessThanOrEqual(max);
      expect(head).not.toContain('\ufffd');
      expect(tail).not.toContain('\ufffd');
      if (max >= 3) expect(head.endsWith('…')).toBe(true);
      expect(text.endsWith(tail)).toBe(true);
    }
    expect(headBytes('short', 10)).toBe('short');
    expect(headBytes('short', 0)).toBe('');
    expect(tailBytes('short', 0)).toBe('');
  });
});
