import { createHash } from 'node:crypto';
import { OpencodeClient } from '@heddle/opencode-client';
import { FakeOpencode, startFakeOpencode } from '@heddle/testing';
import { Check, CheckContext, CheckResult, ReplyJsonCheck } from './check.types';
import { describeCheck, describeChecks, describeFailures } from './describe';
import { evaluateCheck, evaluateChecks } from './evaluate';

// reply_json (structured output): the final reply comes from the harness through ctx.finalReply.

const F = '```';
const SCHEMA = {
  type: 'object',
  required: ['summary', 'files'],
  properties: { summary: { type: 'string' }, files: { type: 'array', items: { type: 'string' } } },
  additionalProperties: false,
};
const CHECK: ReplyJsonCheck = { kind: 'reply_json', schema: SCHEMA, name: 'result' };
const GOOD = { summary: 'added /health', files: ['src/health.ts'] };
const reply = (json: string, lang = 'json') => `I added the route.\n\n${F}${lang}\n${json}\n${F}\n`;

let fake: FakeOpencode;
let client: OpencodeClient;

beforeAll(async () => {
  fake = await startFakeOpencode({ files: { 'README.md': '# x\n' } });
  client = new OpencodeClient({ baseUrl: fake.baseUrl, directory: fake.workspace, timeoutMs: 5_000 });
});

afterAll(async () => {
  await fake?.stop();
});

/** A context whose finalReply answers `text` and counts its calls. */
function withReply(text: string | undefined | Error, over: Partial<CheckContext> = {}) {
  const calls = { n: 0 };
  const ctx: CheckContext = {
    host: client,
    finalReply: async () => {
      calls.n++;
      if (text instanceof Error) throw text;
      return text;
    },
    ...over,
  };
  return { ctx, calls };
}

describe('reply_json', () => {
  it('passes on a valid block: the value is the result, with where it came from', async () => {
    const text = reply(JSON.stringify(GOOD, null, 2));
    const r = await evaluateCheck(withReply(text).ctx, CHECK);
    expect(r).toMatchObject({
      kind: 'reply_json',
      name: 'result',
      status: 'pass',
      passed: true,
      result: GOOD,
      summary: 'the JSON block of the final reply (line 3) validates against the schema',
      evidence: {
        replyChars: text.length,
        replySha256: createHash('sha256').update(text).digest('hex'),
        blocks: 1,
        block: { line: 3, lang: 'json', bytes: Buffer.byteLength(JSON.stringify(GOOD, null, 2)) },
      },
    });
    expect(r.files).toBeUndefined(); // the reply is not the workspace
  });

  it.each<[string, string | undefined, RegExp, object]>([
    ['an empty reply', undefined, /^the final reply is empty: no fenced JSON block$/, { replyChars: 0, blocks: 0 }],
    [
      'no block',
      'Done! {"summary": "x"}',
      /^the final reply has no fenced JSON block \(0 fenced block\(s\) in another language\)$/,
      { blocks: 0, excerpt: 'Done! {"summary": "x"}' },
    ],
    [
      'the last json block does not parse',
      `${reply(JSON.stringify(GOOD))}\nOops:\n${F}json\n{"summary": "x",}\n${F}`,
      /^the last ```json block of the final reply \(line 8\) is not valid JSON$/,
      { blocks: 2, block: { line: 8, lang: 'json' }, parseError: expect.any(String), excerpt: '{"summary": "x",}' },
    ],
    [
      'an unlabelled block that is not JSON',
      reply('summary: x', ''),
      /^the final reply has no ```json block, and its last unlabelled fenced block \(line 3\) is not valid JSON$/,
      { block: { line: 3, lang: '' }, parseError: expect.any(String) },
    ],
    [
      'schema errors, each named by its instance path',
      reply(JSON.stringify({ summary: 3, files: 'a', extra: true })),
      /^the JSON block of the final reply \(line 3\) does not validate: \(root\) must NOT have additional properties; \/summary must be string; \/files must be array$/,
      {
        schemaErrors: [
          expect.objectContaining({
            instancePath: '',
            keyword: 'additionalProperties',
            params: { additionalProperty: 'extra' },
          }),
          expect.objectContaining({ instancePath: '/summary', keyword: 'type', message: 'must be string' }),
          expect.objectContaining({ instancePath: '/files', keyword: 'type' }),
        ],
        schemaErrorsText: expect.any(String),
      },
    ],
  ])('fails with evidence: %s', async (_name, text, summary, evidence) => {
    const r = await evaluateCheck(withReply(text).ctx, CHECK);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(summary);
    expect(r.evidence).toMatchObject(evidence);
    expect(r).not.toHaveProperty('result');
  });

  it('at most 20 schema errors, each excerpt within evidenceMaxBytes', async () => {
    const schema = { type: 'array', items: { type: 'string', minLength: 5 } };
    const value = Array.from({ length: 40 }, (_, i) => i);
    const r = await evaluateCheck(withReply(reply(JSON.stringify(value)), { evidenceMaxBytes: 12 }).ctx, {
      kind: 'reply_json',
      schema,
    });
    expect(r.status).toBe('fail');
    expect(r.evidence.schemaErrors).toHaveLength(20);
    for (const e of r.evidence.schemaErrors!) {
      expect(Buffer.byteLength(e.message)).toBeLessThanOrEqual(12);
      expect(Buffer.byteLength(e.instancePath)).toBeLessThanOrEqual(12);
    }
    expect(Buffer.byteLength(r.evidence.excerpt!)).toBeLessThanOrEqual(12);
    expect(Buffer.byteLength(r.evidence.schemaErrorsText!)).toBeLessThanOrEqual(12);
  });

  it('a block over the result limit fails', async () => {
    const r = await evaluateCheck(
      withReply(reply(JSON.stringify({ summary: 'x'.repeat(300_000), files: [] }))).ctx,
      CHECK,
    );
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/is 300\d+ bytes, over the 262144 allowed$/);
  });

  it.each<[string, CheckContext | undefined, Check, RegExp]>([
    ['no finalReply in the context', { host: undefined as never }, CHECK, /^CheckSetupError: no reply to read$/],
    ['finalReply throws', undefined, CHECK, /^boom$/],
    [
      'an invalid schema',
      undefined,
      { kind: 'reply_json', schema: { type: 'nope' } },
      /^CheckSetupError: invalid JSON Schema: /,
    ],
  ])('error (cannot be evaluated): %s', async (name, over, check, error) => {
    const { ctx, calls } = withReply(name === 'finalReply throws' ? new Error('boom') : reply('{}'));
    const r = await evaluateCheck(over ? { host: client } : ctx, check);
    expect(r.status).toBe('error');
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(error);
    if (name === 'an invalid schema') expect(calls.n).toBe(0); // the task's fault: the reply is not even read
  });

  it('evaluateChecks reads the reply lazily, at most once, and surfaces the value as the evaluation result', async () => {
    const { ctx, calls } = withReply(reply(JSON.stringify(GOOD)));
    const none = await evaluateChecks(ctx, [{ kind: 'file_exists', path: 'README.md' }]);
    expect(calls.n).toBe(0);
    expect(none).not.toHaveProperty('result');

    const run = await evaluateChecks(ctx, [
      { kind: 'file_exists', path: 'README.md' },
      CHECK,
      { kind: 'reply_json', schema: { type: 'object', required: ['summary'] } },
    ]);
    expect(calls.n).toBe(1);
    expect(run).toMatchObject({ allPassed: true, result: GOOD });
    expect(run.results.map((r) => r.result)).toEqual([undefined, GOOD, GOOD]);
  });

  it('the evaluation has no result when the reply does not validate', async () => {
    const run = await evaluateChecks(withReply(reply('{"summary": 1}')).ctx, [CHECK]);
    expect(run).toMatchObject({ allPassed: false, status: 'fail' });
    expect(run).not.toHaveProperty('result');
  });
});

describe('describeCheck / describeFailures for reply_json', () => {
  it('describeCheck states the fence and the whole schema, on one line', () => {
    const line = describeCheck(CHECK);
    expect(line).toBe(
      `result: your final reply ends with a fenced block ${F}json … ${F} whose JSON validates against this JSON Schema: ${JSON.stringify(SCHEMA)}`,
    );
    expect(describeChecks([CHECK, { kind: 'reply_json', schema: { description: 'a\nb' } }]).split('\n')).toHaveLength(
      2,
    );
  });

  const failing = async (text: string | undefined, over: Partial<CheckContext> = {}) => {
    const r = await evaluateCheck(withReply(text, over).ctx, CHECK, 1);
    expect(r.status).toBe('fail');
    return r;
  };

  it.each<[string, string | undefined, string[]]>([
    [
      'schema errors: each named, then the instruction',
      reply(JSON.stringify({ summary: 3 })),
      [
        "2. [reply_json] result — FAILED: Your reply's JSON (line 3 of your reply) does not validate against the schema:",
        "   - (root): must have required property 'files'",
        '   - /summary: must be string',
      ],
    ],
    [
      'a parse error, quoted',
      reply('{"summary": tru}'),
      [
        '2. [reply_json] result — FAILED: The last ```json block of your reply (line 3 of your reply) is not valid JSON: Unexpected token',
      ],
    ],
    [
      'no block',
      'All done.',
      [
        '2. [reply_json] result — FAILED: Your reply has no fenced JSON block (the final reply has no fenced JSON block',
      ],
    ],
    [
      'an empty reply',
      undefined,
      ['2. [reply_json] result — FAILED: Your reply has no fenced JSON block (the final reply is empty'],
    ],
    [
      'an unlabelled block that is not JSON',
      reply('summary: x', ''),
      [
        '2. [reply_json] result — FAILED: Your reply has no ```json block, and its last unlabelled fenced block (line 3 of your reply) is not valid JSON',
      ],
    ],
  ])('%s', async (_name, text, starts) => {
    const out = describeFailures([await failing(text)]);
    const lines = out.split('\n');
    expect(lines[0]).toBe(
      '1 acceptance check still fails (judged from the JSON block of your final reply, not from what you say about it):',
    );
    expect(lines.slice(1, 1 + starts.length).map((l, i) => l.slice(0, starts[i]!.length))).toEqual(starts);
    // Every variant ends with the instruction and the expected fence.
    expect(out).toContain(
      [
        '   Reply again with the complete, corrected JSON value as the last fenced block of your reply, labelled json:',
        '   ```json',
        '   { … }',
        '   ```',
      ].join('\n'),
    );
    expect(out).not.toContain('JSON Schema it must validate against');
  });

  it('with the task checks: the schema too; mixed with workspace checks: the header says both', async () => {
    const r = await failing(reply('{}'));
    const fileFail: CheckResult = {
      index: 0,
      kind: 'file_exists',
      status: 'fail',
      passed: false,
      summary: 'a.ts does not exist',
      evidence: {},
      durationMs: 0,
    };
    const out = describeFailures([fileFail, r], { checks: [{ kind: 'file_exists', path: 'a.ts' }, CHECK] });
    expect(out.split('\n')[0]).toBe(
      "2 acceptance checks still fail (judged from the workspace and from your final reply's JSON block, not from what you say):",
    );
    expect(out).toContain(`   The JSON Schema it must validate against: ${JSON.stringify(SCHEMA)}`);
    // Without reply_json failures the header is unchanged.
    expect(describeFailures([fileFail]).split('\n')[0]).toBe(
      '1 acceptance check still fails (judged from the workspace, not from your reply):',
    );
  });

  it('quotes within evidenceMaxBytes; 0 quotes nothing of the reply but still instructs', async () => {
    const long = 'é'.repeat(500);
    const r = await failing(reply(JSON.stringify({ summary: 1, files: [], [long]: 1 })));
    const capped = describeFailures([r], { evidenceMaxBytes: 20 });
    expect(capped).not.toContain('é'.repeat(11));
    const none = describeFailures([r], { evidenceMaxBytes: 0 });
    expect(none).not.toContain('é');
    expect(none).not.toContain('/summary');
    expect(none).toContain('2 error(s)');
    expect(none).toContain('   ```json');
  });

  it('an error is reported as such (the agent cannot fix a missing reply channel)', async () => {
    const r = await evaluateCheck({ host: client }, CHECK);
    expect(describeFailures([r])).toBe(
      '1 acceptance check still fails (judged from the JSON block of your final reply, not from what you say about it):\n1. [reply_json] result — could not be evaluated: CheckSetupError: no reply to read',
    );
  });
});
