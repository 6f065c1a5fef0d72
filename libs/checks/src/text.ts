import { createContext, runInContext } from 'node:vm';

/** Excerpts stored as evidence stay around this size. */
export const EXCERPT_CHARS = 1024;
/** `command` keeps at most this much of its output (UTF-8 bytes). */
export const OUTPUT_TAIL_BYTES = 4096;

/** The head of `text`, at most `max` characters (an ellipsis marks a cut). */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The last `maxBytes` UTF-8 bytes of `text`, never cutting a character in two. */
export function tailBytes(text: string, maxBytes = OUTPUT_TAIL_BYTES): string {
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

/** Escapes `text` for use as a literal inside a RegExp (valid with and without the `u` flag). */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** RegExp flags a check may use: each of `imsu` at most once. */
export const PATTERN_FLAGS = /^(?!.*(.).*\1)[imsu]*$/;

/** The RegExp a pattern check means: literal text is escaped; flags from `imsu`. Throws SyntaxError. */
export function patternRegExp(pattern: string, regex = false, flags = ''): RegExp {
  if (!PATTERN_FLAGS.test(flags)) throw new SyntaxError(`flags must be letters from "imsu", each once; got "${flags}"`);
  return new RegExp(regex ? pattern : escapeRegExp(pattern), flags);
}

/** The first match of `re` in `text`, or null, within the time budget. */
export function firstMatch(text: string, re: RegExp, timeoutMs: number): { index: number; text: string } | null {
  const m = runGuarded(() => re.exec(text), timeoutMs, `matching /${excerpt(re.source, 80)}/`);
  return m ? { index: m.index, text: m[0] } : null;
}
