import { BadRequestError } from '@heddle/common';
import { assertJsonShape, assertNoNul } from './json-shape';

const LIMITS = { maxDepth: 32, maxNodes: 10_000 };

/** `levels` objects inside each other, as JSON.parse builds them (no recursion to make it). */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function thrown(fn: () => void): BadRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BadRequestError) return err;
    throw err;
  }
  throw new Error('nothing was thrown');
}

describe('assertJsonShape', () => {
  it.each([
    ['an object of scalars', { name: 'ci', scopes: ['tasks:read'], n: 1, ok: true, none: null }],
    ['nesting at the limit (the body is level 1)', nested(32)],
    ['exactly maxNodes fields', Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]))],
    ['scalars', 'text'],
    ['null', null],
  ])('accepts %s', (_what, value) => {
    expect(() => assertJsonShape(value, LIMITS)).not.toThrow();
  });

  it('refuses nesting deeper than maxDepth, naming where, even 10,000 levels deep (no stack overflow)', () => {
    for (const value of [nested(33), nested(10_000), { name: nested(5_000) }, [[[nested(40)]]]]) {
      const err = thrown(() => assertJsonShape(value, LIMITS));
      expect(err.code).toBe('request/too_complex');
      expect(err.message).toContain('deeper than 32 levels');
    }
    expect(thrown(() => assertJsonShape({ goal: nested(40) }, LIMITS)).details).toEqual([
      // The body is level 1 and goal level 2: the 33rd level is 31 `a`s below goal.
      { field: `goal${'.a'.repeat(31)}`, errors: ['nesting deeper than 32 levels'] },
    ]);
  });

  it('counts array items with keys, anywhere in the body', () => {
    const keys = Object.fromEntries(Array.from({ length: 85_000 }, (_, i) => [`k${i}`, 1]));
    expect(thrown(() => assertJsonShape(keys, LIMITS)).code).toBe('request/too_complex');
    const items = { checks: Array.from({ length: 6_000 }, () => ({ kind: 'x' })) };
    expect(thrown(() => assertJsonShape(items, LIMITS)).message).toContain('more than 10000 fields and array items');
  });

  it('refuses NUL in any string or key, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'a\u0000b' }, 'name'],
      [{ settings: { defaultBudgets: { note: '\u0000' } } }, 'settings.defaultBudgets.note'],
      [{ steps: ['ok', 'bad\u0000'] }, 'steps[1]'],
      [{ 'k\u0000': 1 }, 'k\\u0000'],
      ['\u0000', '(body)'],
    ];
    for (const [value, field] of cases) {
      const err = thrown(() => assertJsonShape(value, LIMITS));
      expect(err.code).toBe('request/validation_failed');
      expect(err.details).toEqual([{ field, errors: [`${field} must not contain NUL (\\u0000) characters`] }]);
    }
  });
});

describe('assertNoNul', () => {
  it('passes query values without NUL and refuses one with it, in lists too', () => {
    expect(() => assertNoNul({ status: 'queued', type: ['A', 'B'] })).not.toThrow();
    expect(() => assertNoNul(undefined)).not.toThrow();
    expect(thrown(() => assertNoNul({ label: ['x', 'y\u0000'] })).details).toEqual([
      { field: 'label', errors: ['label must not contain NUL (\\u0000) characters'] },
    ]);
  });
});
