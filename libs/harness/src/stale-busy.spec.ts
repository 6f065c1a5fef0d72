import { INITIAL_STALE, StalePolicy, StaleState, observeStale } from './stale-busy';

const policy: StalePolicy = { observations: 3 };

function run(markers: Array<string | null>, p = policy) {
  let state: StaleState = { ...INITIAL_STALE };
  const decisions: string[] = [];
  for (const m of markers) {
    const r = observeStale(state, m !== null, m ?? '', p);
    state = r.state;
    decisions.push(r.rearmed ? `${r.decision}+rearmed` : r.decision);
  }
  return decisions;
}

describe('observeStale', () => {
  it('reports once after N busy observations without progress, not again in the same episode', () => {
    expect(run(['a', 'a', 'a', 'a', 'a'])).toEqual(['none', 'none', 'report', 'none', 'none']);
  });

  it('re-arms on progress (a new marker) and reports a second episode', () => {
    expect(run(['a', 'a', 'a', 'b', 'b', 'b'])).toEqual(['none', 'none', 'report', 'none+rearmed', 'none', 'report']);
  });

  it('re-arms when the session goes idle', () => {
    expect(run(['a', 'a', 'a', null, 'a', 'a', 'a'])).toEqual([
      'none',
      'none',
      'report',
      'none+rearmed',
      'none',
      'none',
      'report',
    ]);
  });

  it('never reports while progress keeps coming', () => {
    expect(run(['a', 'b', 'c', 'd', 'e'])).toEqual(['none', 'none', 'none', 'none', 'none']);
  });

  it('asks for an abort after autoAbortAfter observations, then starts over', () => {
    expect(run(['a', 'a', 'a', 'a', 'a'], { observations: 2, autoAbortAfter: 4 })).toEqual([
      'none',
      'report',
      'none',
      'abort',
      'none',
    ]);
  });
});
