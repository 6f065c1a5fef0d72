import { PatternTimeoutError, excerpt, firstMatch, lineAt, patternRegExp, runGuarded, tailBytes } from './text';

describe('text helpers', () => {
  it('excerpt keeps the head and marks a cut', () => {
    expect(excerpt('short', 10)).toBe('short');
    expect(excerpt('0123456789abc', 10)).toBe('012345678…');
    expect(excerpt('0123456789abc', 10)).toHaveLength(10);
  });

  it('tailBytes keeps the last bytes without splitting a character', () => {
    expect(tailBytes('abc', 10)).toBe('abc');
    expect(tailBytes('abcdef', 3)).toBe('def');
    const s = `x${'é'.repeat(10)}`; // é is 2 bytes
    const t = tailBytes(s, 5);
    expect(t).toBe('éé');
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(5);
    expect(tailBytes('😀😀', 5)).toBe('😀'); // 4-byte characters
  });

  it('lineAt gives 1-based line numbers and the whole line', () => {
    const text = 'one\r\ntwo words\nthree';
    expect(lineAt(text, 0)).toEqual({ lineNumber: 1, line: 'one' });
    expect(lineAt(text, text.indexOf('words'))).toEqual({ lineNumber: 2, line: 'two words' });
    expect(lineAt(text, text.length - 1)).toEqual({ lineNumber: 3, line: 'three' });
  });

  it('literal patterns are escaped, also with the u flag', () => {
    for (const flags of ['', 'u', 'iu']) {
      const re = patternRegExp('a.b*(c)[d]{1}|/\\^$?+', false, flags);
      expect(re.test('x a.b*(c)[d]{1}|/\\^$?+ y')).toBe(true);
      expect(re.test('aXb')).toBe(false);
    }
    expect(() => patternRegExp('x', false, 'g')).toThrow(SyntaxError);
    expect(() => patternRegExp('(', true)).toThrow(SyntaxError);
  });

  it('matches in linear time: a pattern that backtracks catastrophically in JavaScript answers at once', () => {
    // With JavaScript's engine this line would not finish in the test's lifetime.
    expect(firstMatch(`${'a'.repeat(100_000)}!`, patternRegExp('^(a+)+$', true))).toBeNull();
    expect(firstMatch(`${'a'.repeat(30)}!\n${'a'.repeat(30)}`, patternRegExp('^(a+)+$', true, 'm'))).toEqual({
      index: 32,
      text: 'a'.repeat(30),
    });
    expect(firstMatch('hello world', patternRegExp('wor', true))).toEqual({ index: 6, text: 'wor' });
  });

  it('refuses what RE2 cannot run in linear time (lookaround, backreferences) as a SyntaxError', () => {
    for (const pattern of ['(?=x)y', '(?<!a)b', '(a)\\1']) {
      expect(() => patternRegExp(pattern, true)).toThrow(SyntaxError);
    }
  });

  it('keeps JavaScript flags: i, m, s and Unicode', () => {
    expect(patternRegExp('é', true, 'i').test('xÉ')).toBe(true);
    expect(patternRegExp('^b', true, 'm').test('a\nb')).toBe(true);
    expect(patternRegExp('^b', true).test('a\nb')).toBe(false);
    expect(patternRegExp('a.b', true, 's').test('a\nb')).toBe(true);
    expect(patternRegExp('a.b', true).test('a\nb')).toBe(false);
  });

  it('runGuarded stops runaway code and leaves the realm usable', () => {
    expect(() => runGuarded(() => /^(a+)+$/.exec(`${'a'.repeat(40)}!`), 50, 'matching')).toThrow(PatternTimeoutError);
    // A budget no busy machine can exhaust: what is checked is that the realm still works.
    expect(runGuarded(() => 41 + 1, 10_000, 'adding')).toBe(42);
    expect(() =>
      runGuarded(
        () => {
          throw new RangeError('boom');
        },
        10_000,
        'x',
      ),
    ).toThrow(RangeError);
  });
});
