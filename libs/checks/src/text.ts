import { createContext, runInContext } from 'node:vm';
import { RE2 } from 're2-wasm';

/** Texts of the check's own definition (patterns, commands) are shown up to this many characters. */
export const EXCERPT_CHARS = 1024;
/**
 * Default bound (UTF-8 bytes) of every excerpt of the workspace a check stores as evidence — file
 * heads, matched lines, command output… (`evidenceMaxBytes`; Heddle's `CHECK_EVIDENCE_MAX_BYTES`).
 */
export const EVIDENCE_MAX_BYTES = 1024;

/** The head of `text`, at most `max` characters (an ellipsis marks a cut). */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The head of `text` in at most `maxBytes` UTF-8 bytes, the ellipsis marking a cut included; never
 * cuts a character in two. '' when `maxBytes` is 0.
 */
export function headBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  const mark = maxBytes >= 3 ? '…' : '';
  let end = maxBytes - Buffer.byteLength(mark, 'utf8');
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8') + mark;
}

/** The last `maxBytes` UTF-8 bytes of `text`, never cutting a character in two ('' for 0). */
export function tailBytes(text: string, maxBytes = EVIDENCE_MAX_BYTES): string {
  if (maxBytes <= 0) return '';
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let start = buf.length - maxBytes;
  while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString('utf8');
}

/** 1-based line number and the whole line around `index`. */
export function lineAt(text: string, index: number): { lineNumber: number; line: string } {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  let end = text.indexOf('\n', index);
  if (end < 0) end = text.length;
  let lineNumber = 1;
  for (let i = 0; i < start; i++) if (text.charCodeAt(i) === 10) lineNumber++;
  return { lineNumber, line: text.slice(start, end).replace(/\r$/, '') };
}

/** A regular expression or schema validation ran longer than its budget. */
export class PatternTimeoutError extends Error {
  override name = 'PatternTimeoutError';
}

let guardContext: ReturnType<typeof createContext> | undefined;

/**
 * Runs synchronous `fn` with a time budget. User-supplied regular expressions and JSON Schemas
 * (`pattern`) can backtrack catastrophically and would block the worker's event loop for every
 * team; V8 stops any JavaScript running under `vm`'s `timeout`, functions of this realm included.
 */
export function runGuarded<T>(fn: () => T, timeoutMs: number, what: string): T {
  guardContext ??= createContext({ job: undefined });
  guardContext.job = fn;
  try {
    return runInContext('job()', guardContext, { timeout: Math.max(1, Math.round(timeoutMs)) }) as T;
  } catch (err) {
    if ((err as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new PatternTimeoutError(`${what} took longer than ${timeoutMs} ms (catastrophic backtracking?)`);
    }
    throw err;
  } finally {
    guardContext.job = undefined;
  }
}

/** Escapes `text` for use as a literal inside a pattern (RE2 reads `\\` before punctuation as that character). */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Pattern flags a check may use: each of `imsu` at most once. */
export const PATTERN_FLAGS = /^(?!.*(.).*\1)[imsu]*$/;

/** A compiled pattern: JavaScript's `exec` shape, run by RE2. */
export type Pattern = Pick<RE2, 'exec' | 'test' | 'source'>;

/**
 * Compiles a pattern with RE2 (re2-wasm), a linear-time engine: matching cannot backtrack, so a
 * hostile pattern such as `^(a+)+$` costs as little as any other and never holds the worker's event
 * loop. RE2 has no lookaround or backreferences; patterns using them are refused when the task is
 * created. Always Unicode (re2-wasm requires `u`). Literal text is escaped. Throws SyntaxError.
 */
export function patternRegExp(pattern: string, regex = false, flags = ''): Pattern {
  if (!PATTERN_FLAGS.test(flags)) throw new SyntaxError(`flags must be letters from "imsu", each once; got "${flags}"`);
  return re2(regex ? pattern : escapeRegExp(pattern), flags);
}

/** RE2 with JavaScript's flags (`u` added when missing); also Ajv's engine for `pattern` keywords. */
export function re2(source: string, flags = ''): RE2 {
  try {
    return new RE2(source, flags.includes('u') ? flags : `${flags}u`);
  } catch (err) {
    throw new SyntaxError((err as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

/** The first match of `re` in `text`, or null: linear in the text's length. */
export function firstMatch(text: string, re: Pattern): { index: number; text: string } | null {
  const m = re.exec(text);
  return m ? { index: m.index, text: m[0] ?? '' } : null;
}
