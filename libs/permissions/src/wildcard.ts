/**
 * OpenCode's permission wildcards (its `util/wildcard.ts`, as 1.18.34 evaluates session rulesets),
 * so that Heddle judges a request exactly as the host would:
 *
 * - `*` matches any run of characters, `/` and newlines included; `?` matches one character;
 *   everything else is literal; the whole value must match.
 * - A pattern ending in ` *` (space, star) also matches without the tail: `git *` matches `git`
 *   as well as `git status`.
 *
 * Deliberately not minimatch: in a shell command `*` must cross `/` (`rm *` covers `rm a/b`), and
 * `**`, braces and character classes mean nothing to OpenCode.
 */
export function wildcardMatch(pattern: string, value: string): boolean {
  return compile(pattern).test(value);
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 1000;

function compile(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  if (source.endsWith(' .*')) source = `${source.slice(0, -3)}( .*)?`;
  re = new RegExp(`^${source}$`, 's');
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, re);
  return re;
}
