import { CHECK_LIMITS } from './check.types';

/** A fenced code block of a markdown text. */
export interface FencedBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word, lowercased (`json`); '' for an unlabelled fence. */
  lang: string;
  /** The lines between the fences (the opening fence's indentation removed), joined with `\n`. */
  content: string;
  /** False when the text ended before a closing fence (the block then runs to the end, as in CommonMark). */
  closed: boolean;
}

const OPENING = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^\n]*)$/;

/**
 * Every fenced code block (``` or ~~~, three or more), in order. Lenient about indentation (blocks
 * inside list items count); a closing fence is the same character, at least as long, alone on its
 * line. Linear in the text's length.
 */
export function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const out: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    // A backtick fence's info string may not contain backticks (that is inline code).
    if (fence[0] === '`' && info.includes('`')) continue;
    const closing = new RegExp(`^[ \\t]*${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
    const body: string[] = [];
    let j = i + 1;
    let closed = false;
    for (; j < lines.length; j++) {
      if (closing.test(lines[j]!)) {
        closed = true;
        break;
      }
      body.push(stripIndent(lines[j]!, indent.length));
    }
    out.push({
      line: i + 1,
      lang: (info.trim().split(/[\s{]/, 1)[0] ?? '').toLowerCase(),
      content: body.join('\n'),
      closed,
    });
    i = j;
  }
  return out;
}

function stripIndent(line: string, n: number): string {
  let k = 0;
  while (k < n && k < line.length && (line[k] === ' ' || line[k] === '\t')) k++;
  return line.slice(k);
}

export type ReplyJsonExtraction =
  | { ok: true; value: unknown; block: FencedBlock; blocks: number; bytes: number }
  | {
      ok: false;
      /**
       * `no_block`: no ```json block and no unlabelled block that parses (`block`/`parseError` then
       * describe the last unlabelled one, if any); `parse_error`: the last ```json block is not JSON;
       * `too_large`: the block is over {@link CHECK_LIMITS.maxResultBytes}.
       */
      problem: 'no_block' | 'parse_error' | 'too_large';
      blocks: number;
      block?: FencedBlock;
      bytes?: number;
      parseError?: string;
    };

type Attempt =
  { ok: true; value: unknown; bytes: number } | { ok: false; bytes: number; tooLarge: boolean; error: string };

function attempt(block: FencedBlock, maxBytes: number): Attempt {
  const bytes = Buffer.byteLength(block.content, 'utf8');
  if (bytes > maxBytes)
    return { ok: false, bytes, tooLarge: true, error: `the block is ${bytes} bytes (at most ${maxBytes})` };
  if (block.content.trim() === '') return { ok: false, bytes, tooLarge: false, error: 'the block is empty' };
  try {
    return { ok: true, value: JSON.parse(block.content) as unknown, bytes };
  } catch (err) {
    return { ok: false, bytes, tooLarge: false, error: (err as Error).message };
  }
}

/**
 * The JSON value of a reply (structured output): the LAST fenced block labelled `json` (any case);
 * when there is none, the last unlabelled fenced block whose content parses. Other languages never
 * count. Blocks over `maxBytes` UTF-8 bytes (default {@link CHECK_LIMITS.maxResultBytes}) are refused.
 */
export function extractReplyJson(reply: string, maxBytes: number = CHECK_LIMITS.maxResultBytes): ReplyJsonExtraction {
  const all = fencedBlocks(reply);
  const blocks = all.length;
  const labelled = all.filter((b) => b.lang === 'json');
  if (labelled.length > 0) {
    const block = labelled[labelled.length - 1]!;
    const r = attempt(block, maxBytes);
    if (r.ok) return { ok: true, value: r.value, block, blocks, bytes: r.bytes };
    return {
      ok: false,
      problem: r.tooLarge ? 'too_large' : 'parse_error',
      blocks,
      block,
      bytes: r.bytes,
      ...(r.tooLarge ? {} : { parseError: r.error }),
    };
  }
  const bare = all.filter((b) => b.lang === '');
  let last: { block: FencedBlock; r: Extract<Attempt, { ok: false }> } | undefined;
  for (let i = bare.length - 1; i >= 0; i--) {
    const block = bare[i]!;
    const r = attempt(block, maxBytes);
    if (r.ok) return { ok: true, value: r.value, block, blocks, bytes: r.bytes };
    last ??= { block, r };
  }
  if (last?.r.tooLarge) return { ok: false, problem: 'too_large', blocks, block: last.block, bytes: last.r.bytes };
  return {
    ok: false,
    problem: 'no_block',
    blocks,
    ...(last ? { block: last.block, bytes: last.r.bytes, parseError: last.r.error } : {}),
  };
}
