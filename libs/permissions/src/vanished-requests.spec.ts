import { VanishedRequests } from './vanished-requests';

describe('VanishedRequests', () => {
  const none = new Set<string>();

  it.each([
    // [first listing at, second listing at, grace, due at the second listing]
    [0, 500, 2000, []],
    [0, 2000, 2000, ['a']],
    [0, 5000, 2000, ['a']],
    [0, 0, 0, ['a']],
  ])('missing at %d and %d ms with grace %d → %j', (first, second, grace, expected) => {
    const v = new VanishedRequests();
    const atFirst = v.due('p', ['a'], none, first, grace);
    expect(atFirst).toEqual(grace === 0 ? ['a'] : []);
    if (grace === 0) return;
    expect(v.due('p', ['a'], none, second, grace)).toEqual(expected);
  });

  it('forgets a request listed again, so a later absence starts a new grace', () => {
    const v = new VanishedRequests();
    expect(v.due('p', ['a'], none, 0, 1000)).toEqual([]);
    expect(v.due('p', ['a'], new Set(['a']), 500, 1000)).toEqual([]);
    expect(v.due('p', ['a'], none, 1200, 1000)).toEqual([]);
    expect(v.due('p', ['a'], none, 2200, 1000)).toEqual(['a']);
  });

  it('keeps places apart and never returns a listed request', () => {
    const v = new VanishedRequests();
    v.due('p1', ['a'], none, 0, 1000);
    expect(v.due('p2', ['a'], none, 1500, 1000)).toEqual([]);
    expect(v.due('p1', ['a', 'b'], new Set(['b']), 1500, 1000)).toEqual(['a']);
  });

  it('stays bounded: past its limit it starts over', () => {
    const v = new VanishedRequests(2);
    v.due('p', ['a', 'b'], none, 0, 1000);
    v.due('p', ['c'], none, 0, 1000); // full: forgets a and b
    expect(v.due('p', ['a', 'c'], none, 1500, 1000)).toEqual(['c']);
  });
});
