import { extractReplyJson, fencedBlocks } from './reply-json';

const F = '```';

describe('fencedBlocks', () => {
  it.each<[string, string, { line: number; lang: string; content: string; closed: boolean }[]]>([
    ['no fence', 'just text\n`inline` code', []],
    [
      'one json block',
      `a\n${F}json\n{"a": 1}\n${F}\nb`,
      [{ line: 2, lang: 'json', content: '{"a": 1}', closed: true }],
    ],
    [
      'info string: first word, any case',
      `${F}JSON title="x"\n1\n${F}`,
      [{ line: 1, lang: 'json', content: '1', closed: true }],
    ],
    [
      'tildes, longer fences',
      `~~~~\n${F}\nx\n${F}\n~~~~`,
      [{ line: 1, lang: '', content: `${F}\nx\n${F}`, closed: true }],
    ],
    [
      'a shorter or different closing fence does not close',
      `${F}${F[0]}json\n${F}\n~~~~\n${F}${F[0]}${F[0]}`,
      [{ line: 1, lang: 'json', content: `${F}\n~~~~`, closed: true }],
    ],
    [
      'indented (inside a list item): the opening indentation is removed from the content',
      `1. result:\n   ${F}json\n   {\n     "a": 1\n   }\n   ${F}`,
      [{ line: 2, lang: 'json', content: '{\n  "a": 1\n}', closed: true }],
    ],
    ['CRLF line ends', `${F}json\r\n[1]\r\n${F}\r\n`, [{ line: 1, lang: 'json', content: '[1]', closed: true }]],
    [
      'unclosed: runs to the end',
      `${F}json\n{"a":\n1}`,
      [{ line: 1, lang: 'json', content: '{"a":\n1}', closed: false }],
    ],
    ['backticks in a backtick info string: inline code, not a fence', `${F}a${F}\nx`, []],
    [
      'several blocks in order',
      `${F}ts\nx\n${F}\n${F}\n[]\n${F}\n${F}json\n{}\n${F}`,
      [
        { line: 1, lang: 'ts', content: 'x', closed: true },
        { line: 4, lang: '', content: '[]', closed: true },
        { line: 7, lang: 'json', content: '{}', closed: true },
      ],
    ],
  ])('%s', (_name, text, expected) => {
    expect(fencedBlocks(text)).toEqual(expected);
  });

  it('is linear: a huge reply of fence-like lines is scanned at once', () => {
    const text = `${'```x\n'.repeat(50_000)}${'~'.repeat(100_000)}`;
    const started = Date.now();
    expect(fencedBlocks(text).length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('extractReplyJson', () => {
  it.each<[string, string, unknown]>([
    ['the json block', `Done.\n${F}json\n{"ok": true}\n${F}`, { ok: true }],
    ['the LAST json block wins', `${F}json\n{"v": 1}\n${F}\nthen\n${F}json\n{"v": 2}\n${F}`, { v: 2 }],
    ['json beats a later unlabelled block', `${F}json\n{"v": 1}\n${F}\n${F}\n{"v": 2}\n${F}`, { v: 1 }],
    [
      'an unlabelled block that parses, when there is no json block',
      `${F}sh\nnpm test\n${F}\n${F}\n[1, 2]\n${F}`,
      [1, 2],
    ],
    [
      'the last unlabelled block that parses (later prose blocks skipped)',
      `${F}\n{"v": 1}\n${F}\n${F}\nnot json\n${F}`,
      { v: 1 },
    ],
    ['any JSON value', `${F}json\n"text"\n${F}`, 'text'],
    ['an unclosed json block at the end', `${F}json\n{"cut": false}`, { cut: false }],
  ])('%s', (_name, reply, value) => {
    const r = extractReplyJson(reply);
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.value).toEqual(value);
  });

  it.each<[string, string, object]>([
    ['no fence at all', 'All done, the result is {"ok": true}.', { problem: 'no_block', blocks: 0 }],
    ['only other languages', `${F}ts\nconst a = {};\n${F}`, { problem: 'no_block', blocks: 1 }],
    [
      'the last json block does not parse (no fallback to an earlier one)',
      `${F}json\n{"v": 1}\n${F}\n${F}json\n{"v": tru}\n${F}`,
      {
        problem: 'parse_error',
        blocks: 2,
        block: expect.objectContaining({ line: 4 }),
        parseError: expect.any(String),
      },
    ],
    [
      'an empty json block',
      `${F}json\n\n${F}`,
      { problem: 'parse_error', parseError: 'the block is empty', block: expect.objectContaining({ line: 1 }) },
    ],
    [
      'unlabelled blocks that do not parse: the last one is named',
      `${F}\n{a: 1}\n${F}\ntext\n${F}\nnope\n${F}`,
      { problem: 'no_block', blocks: 2, block: expect.objectContaining({ line: 5 }), parseError: expect.any(String) },
    ],
  ])('%s', (_name, reply, expected) => {
    expect(extractReplyJson(reply)).toMatchObject({ ok: false, ...expected });
  });

  it('refuses a block over the size limit (json-labelled or unlabelled)', () => {
    const big = `${F}json\n{"a": "${'x'.repeat(200)}"}\n${F}`;
    expect(extractReplyJson(big, 100)).toMatchObject({ ok: false, problem: 'too_large', bytes: 209 });
    expect(extractReplyJson(big, 1000)).toMatchObject({ ok: true });
    expect(extractReplyJson(`${F}\n[${'1,'.repeat(100)}1]\n${F}`, 50)).toMatchObject({
      ok: false,
      problem: 'too_large',
    });
  });
});
