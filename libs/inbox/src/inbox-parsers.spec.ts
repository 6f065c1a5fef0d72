import { zipSync, strToU8 } from 'fflate';
import { InboxDocumentError, InboxProblem } from './inbox-document';
import { parseInboxDocument, formatOfContentType, formatOfFileName, InboxFormat } from './inbox-formats';
import { toCreateTaskDto } from './inbox-validation';

const md = (s: string) => s.replace(/^\n/, '');

async function parse(format: InboxFormat, text: string | Buffer) {
  return parseInboxDocument(typeof text === 'string' ? Buffer.from(text) : text, format);
}

async function problemsOf(format: InboxFormat, text: string | Buffer): Promise<InboxProblem[]> {
  try {
    await toCreateTaskDto(await parse(format, text));
  } catch (err) {
    expect(err).toBeInstanceOf(InboxDocumentError);
    return (err as InboxDocumentError).problems;
  }
  throw new Error('the document was accepted');
}

/** A minimal .docx: one paragraph per line. */
export function docx(lines: string[]): Buffer {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = lines.map((l) => `<w:p><w:r><w:t xml:space="preserve">${esc(l)}</w:t></w:r></w:p>`).join('');
  return Buffer.from(
    zipSync({
      '[Content_Types].xml': strToU8(
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      ),
      '_rels/.rels': strToU8(
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
      ),
      'word/document.xml': strToU8(
        `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
      ),
    }),
  );
}

const FULL_MD = md(`
# Implement retry policy
workspace: /srv/repos/api
labels: linux, fast
session: ses_abc123
abort: true
model: anthropic/claude-sonnet-4-5
agent: build

## goal
Add exponential backoff
to the SDK's HTTP client.

## steps
- write the backoff
- test it

## acceptance
- file_exists: src/retry.ts
- file_contains: src/retry.ts "backoff"
- file_not_contains: src/retry.ts /TODO|FIXME/i
- git_changed
- command: npm test
`);

describe('inbox parsers', () => {
  describe('good documents', () => {
    it.each<[string, InboxFormat, string | Buffer, Record<string, unknown>, boolean]>([
      [
        'markdown, every section',
        'markdown',
        FULL_MD,
        {
          name: 'Implement retry policy',
          workspace: '/srv/repos/api',
          labels: ['linux', 'fast'],
          sessionId: 'ses_abc123',
          abortSession: true,
          model: 'anthropic/claude-sonnet-4-5',
          agent: 'build',
          goal: "Add exponential backoff\nto the SDK's HTTP client.",
          steps: ['write the backoff', 'test it'],
          checks: [
            { kind: 'file_exists', path: 'src/retry.ts' },
            { kind: 'file_contains', path: 'src/retry.ts', pattern: 'backoff' },
            { kind: 'file_not_contains', path: 'src/retry.ts', pattern: 'TODO|FIXME', regex: true, flags: 'i' },
            { kind: 'git_changed' },
            { kind: 'command', command: 'npm test' },
          ],
        },
        true,
      ],
      [
        "markdown, OpenLoom's README example",
        'markdown',
        "# Implement retry policy\nworkspace: /Users/you/project\n## goal\nAdd exponential backoff to the SDK's HTTP client.\n",
        {
          name: 'Implement retry policy',
          workspace: '/Users/you/project',
          goal: "Add exponential backoff to the SDK's HTTP client.",
        },
        false,
      ],
      [
        'markdown, host and plan (plan mode implied)',
        'markdown',
        '# n\nhost: 7f1c0a4e-5d7b-4d8e-9a60-0d6a1f3a2b11\nworkspace: /w\nplan: docs/PLAN.md\n## goal\ng',
        {
          name: 'n',
          workspace: '/w',
          hostId: '7f1c0a4e-5d7b-4d8e-9a60-0d6a1f3a2b11',
          planFile: 'docs/PLAN.md',
          mode: 'plan',
          goal: 'g',
        },
        false,
      ],
      [
        "yaml, OpenLoom's openloom.yaml",
        'yaml',
        'name: Fix SSE reconnect\nworkspace: /path/to/project\ncheck_interval_minutes: 5 # minimum 5\ngoal: |\n  Fix SSE reconnect after network drop.\nsteps:\n  - Investigate current SSE implementation\n  - Implement reconnect with backoff\n',
        {
          name: 'Fix SSE reconnect',
          workspace: '/path/to/project',
          checkIntervalSeconds: 300,
          goal: 'Fix SSE reconnect after network drop.',
          steps: ['Investigate current SSE implementation', 'Implement reconnect with backoff'],
        },
        false,
      ],
      [
        'yaml, header keys, acceptance lines and objects',
        'yaml',
        'name: n\nworkspace: /w\nsession: ses_x1\nabort: yes\nlabels: [a, b]\ngoal: g\nacceptance:\n  - file_exists: src/x.ts\n  - "file_absent: tmp.txt"\n  - { kind: checklist_complete, path: PLAN.md }\n',
        {
          name: 'n',
          workspace: '/w',
          sessionId: 'ses_x1',
          abortSession: true,
          labels: ['a', 'b'],
          goal: 'g',
          checks: [
            { kind: 'file_exists', path: 'src/x.ts' },
            { kind: 'file_absent', path: 'tmp.txt' },
            { kind: 'checklist_complete', path: 'PLAN.md' },
          ],
        },
        true,
      ],
      [
        'plain text: first line name, header lines, the rest the goal',
        'text',
        'Fix the flaky test\nworkspace: /srv/repos/api\n\nThe test in x.spec.ts fails one run in ten.\nNote: only on CI.\n',
        {
          name: 'Fix the flaky test',
          workspace: '/srv/repos/api',
          goal: 'The test in x.spec.ts fails one run in ten.\nNote: only on CI.',
        },
        false,
      ],
      [
        '.docx read as Markdown',
        'docx',
        docx(['# From Word', 'workspace: /srv/w', '## goal', 'Do the thing.', '## acceptance', '- file_exists: a.txt']),
        {
          name: 'From Word',
          workspace: '/srv/w',
          goal: 'Do the thing.',
          checks: [{ kind: 'file_exists', path: 'a.txt' }],
        },
        false,
      ],
    ])('%s', async (_title, format, text, expected, abort) => {
      const doc = await parse(format, text);
      const dto = await toCreateTaskDto(doc);
      expect({ ...dto }).toEqual(expected);
      expect(doc.abort).toBe(abort);
    });
  });

  describe('bad documents name the line and the field', () => {
    it.each<[string, InboxFormat, string | Buffer, Partial<InboxProblem>[]]>([
      ['markdown without "# name"', 'markdown', 'workspace: /w\n## goal\ng', [{ line: 1, field: 'name' }]],
      [
        'markdown, unknown header key',
        'markdown',
        '# n\nworkspace: /w\ncolour: red\n## goal\ng',
        [{ line: 3, field: 'colour' }],
      ],
      [
        'markdown, free text in the header',
        'markdown',
        '# n\nworkspace: /w\njust words\n## goal\ng',
        [{ line: 3, field: 'header' }],
      ],
      [
        'markdown, abort not a boolean',
        'markdown',
        '# n\nworkspace: /w\nsession: ses_a\nabort: maybe\n## goal\ng',
        [{ line: 4, field: 'abort' }],
      ],
      [
        'markdown, abort without session',
        'markdown',
        '# n\nworkspace: /w\nabort: true\n## goal\ng',
        [{ line: 3, field: 'abort' }],
      ],
      ['markdown, no goal', 'markdown', '# n\nworkspace: /w\n', [{ field: 'goal' }]],
      [
        'markdown, empty goal',
        'markdown',
        '# n\nworkspace: /w\n## goal\n\n## steps\n- a',
        [{ line: 3, field: 'goal' }],
      ],
      [
        'markdown, unknown section',
        'markdown',
        '# n\nworkspace: /w\n## goal\ng\n## notes\nx',
        [{ line: 5, field: 'notes' }],
      ],
      [
        'markdown, relative workspace (CreateTaskDto)',
        'markdown',
        '# n\n\nworkspace: srv/w\n## goal\ng',
        [{ line: 3, field: 'workspace' }],
      ],
      ['markdown, missing workspace', 'markdown', '# n\n## goal\ng', [{ line: 1, field: 'workspace' }]],
      [
        'markdown, bad session id',
        'markdown',
        '# n\nworkspace: /w\nsession: abc\n## goal\ng',
        [{ line: 3, field: 'session' }],
      ],
      [
        'markdown, bad host id',
        'markdown',
        '# n\nworkspace: /w\nhost: box-1\n## goal\ng',
        [{ line: 2 + 1, field: 'host' }],
      ],
      ['markdown, bad mode', 'markdown', '# n\nworkspace: /w\nmode: loop\n## goal\ng', [{ line: 3, field: 'mode' }]],
      [
        'markdown, unknown check kind',
        'markdown',
        '# n\nworkspace: /w\n## goal\ng\n## acceptance\n- file_exists: a\n- smells_good: a',
        [{ line: 7, field: 'acceptance[1]' }],
      ],
      [
        'markdown, check escaping the workspace',
        'markdown',
        '# n\nworkspace: /w\n## goal\ng\n## acceptance\n- file_exists: a\n- file_exists: ../etc/passwd',
        [{ line: 7, field: 'acceptance[1].path' }],
      ],
      [
        'markdown, not a list in steps',
        'markdown',
        '# n\nworkspace: /w\n## goal\ng\n## steps\n- a\nb',
        [{ line: 7, field: 'steps[1]' }],
      ],
      [
        'markdown, field twice',
        'markdown',
        '# n\nworkspace: /w\nworkspace: /v\n## goal\ng',
        [{ line: 3, field: 'workspace' }],
      ],
      ['yaml syntax error', 'yaml', 'name: n\ngoal: [unclosed\n', [{ field: 'yaml' }]],
      ['yaml, not a mapping', 'yaml', '- a\n- b\n', [{ line: 1, field: 'document' }]],
      ['yaml, unknown key', 'yaml', 'name: n\nworkspace: /w\ngoal: g\ncolour: red\n', [{ line: 4, field: 'colour' }]],
      [
        'yaml, steps not a list',
        'yaml',
        'name: n\nworkspace: /w\ngoal: g\nsteps: one\n',
        [{ line: 4, field: 'steps' }],
      ],
      [
        'yaml, a bad check line',
        'yaml',
        'name: n\nworkspace: /w\ngoal: g\nchecks:\n  - file_exists: a\n  - nope\n',
        [{ line: 6, field: 'checks[1]' }],
      ],
      [
        'yaml, interval below the minimum',
        'yaml',
        'name: n\nworkspace: /w\ngoal: g\ncheck_interval_seconds: 1\n',
        [{ line: 4, field: 'check_interval' }],
      ],
      ['yaml, missing goal', 'yaml', 'name: n\nworkspace: /w\n', [{ field: 'goal' }]],
      [
        'yaml, abort without session',
        'yaml',
        'name: n\nworkspace: /w\ngoal: g\nabort: true\n',
        [{ line: 4, field: 'abort' }],
      ],
      ['text, empty', 'text', '\n\n', [{ line: 1, field: 'name' }]],
      ['text, name only', 'text', '\n\nJust a name\nworkspace: /w\n', [{ line: 3, field: 'goal' }]],
      ['text, no workspace', 'text', 'Name\nthe goal', [{ line: 1, field: 'workspace' }]],
      ['text with NUL bytes', 'text', 'a\0b', [{ line: 1, field: 'document' }]],
      ['docx that is not a zip', 'docx', Buffer.from('not a zip'), [{ line: 1, field: 'document' }]],
      [
        'docx, a bad field on its 2nd paragraph',
        'docx',
        docx(['# n', 'workspace: relative', '## goal', 'g']),
        [{ line: 2, field: 'workspace' }],
      ],
    ])('%s', async (_title, format, text, expected) => {
      const problems = await problemsOf(format, text);
      expect(problems).toEqual(expect.arrayContaining(expected.map((e) => expect.objectContaining(e))));
    });
  });

  it.each([
    ['task.md', 'markdown'],
    ['openloom.yaml', 'yaml'],
    ['x.YML', 'yaml'],
    ['note.txt', 'text'],
    ['spec.docx', 'docx'],
    ['image.png', undefined],
    ['README', undefined],
  ])('format of file %s is %s', (name, format) => {
    expect(formatOfFileName(name)).toBe(format);
  });

  it.each([
    ['text/markdown; charset=utf-8', 'markdown'],
    ['application/yaml', 'yaml'],
    ['text/plain', 'text'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
    ['application/json', undefined],
    [undefined, undefined],
  ])('format of content type %s is %s', (type, format) => {
    expect(formatOfContentType(type)).toBe(format);
  });
});
