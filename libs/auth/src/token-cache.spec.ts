import { TokenCache } from './token-cache';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TokenCache', () => {
  it('answers a value until its TTL has passed, then forgets it', () => {
    const clock = fakeClock();
    const cache = new TokenCache<string>(100, 10, clock.now);

    cache.set('a', 'A');
    expect(cache.get('a')).toEqual({ value: 'A' });
    clock.advance(99);
    expect(cache.get('a')).toEqual({ value: 'A' });
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
    clock.advance(-50); // an expired entry was dropped, not just hidden
    expect(cache.get('a')).toBeUndefined();
  });

  it('caches null (an unknown prefix) as a value, distinct from a miss', () => {
    const cache = new TokenCache<string | null>(100, 10, fakeClock().now);
    expect(cache.get('x')).toBeUndefined();
    cache.set('x', null);
    expect(cache.get('x')).toEqual({ value: null });
  });

  it('restarts the TTL when a key is set again', () => {
    const clock = fakeClock();
    const cache = new TokenCache<string>(100, 10, clock.now);
    cache.set('a', 'old');
    clock.advance(80);
    cache.set('a', 'new');
    clock.advance(80);
    expect(cache.get('a')).toEqual({ value: 'new' });
    clock.advance(20);
    expect(cache.get('a')).toBeUndefined();
  });

  it('stores nothing with a TTL of 0', () => {
    const cache = new TokenCache<string>(0, 10, fakeClock().now);
    cache.set('a', 'A');
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts the oldest entry when full', () => {
    const clock = fakeClock();
    const cache = new TokenCache<number>(1000, 3, clock.now);
    for (const key of ['a', 'b', 'c']) {
      cache.set(key, 1);
      clock.advance(1);
    }
    cache.set('d', 4);

    expect(cache.get('a')).toBeUndefined();
    expect(['b', 'c', 'd'].map((k) => cache.get(k)?.value)).toEqual([1, 1, 4]);

    cache.set('e', 5);
    expect(cache.get('b')).toBeUndefined();
    expect(['c', 'd', 'e'].map((k) => cache.get(k) !== undefined)).toEqual([true, true, true]);
  });

  it('does not evict another entry when a key already cached is set again at capacity', () => {
    const cache = new TokenCache<number>(1000, 2, fakeClock().now);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('b', 3);
    expect(cache.get('a')).toEqual({ value: 1 });
    expect(cache.get('b')).toEqual({ value: 3 });
    // 'b' was refreshed, so 'a' is now the oldest
    cache.set('c', 4);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ value: 3 });
  });

  it('deletes one key', () => {
    const cache = new TokenCache<string>(1000, 10, fakeClock().now);
    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.delete('a');
    cache.delete('missing');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ value: 'B' });
  });

  it('deletes every entry whose value matches', () => {
    const cache = new TokenCache<{ teamId: string } | null>(1000, 10, fakeClock().now);
    cache.set('a1', { teamId: 'A' });
    cache.set('b1', { teamId: 'B' });
    cache.set('a2', { teamId: 'A' });
    cache.set('nil', null);

    cache.deleteWhere((row) => row?.teamId === 'A');

    expect(cache.get('a1')).toBeUndefined();
    expect(cache.get('a2')).toBeUndefined();
    expect(cache.get('b1')).toEqual({ value: { teamId: 'B' } });
    expect(cache.get('nil')).toEqual({ value: null });
  });

  it('uses Date.now when no clock is given', () => {
    const cache = new TokenCache<string>(60_000);
    cache.set('a', 'A');
    expect(cache.get('a')).toEqual({ value: 'A' });
  });
});
