import { INITIAL_STALE, StalePolicy, StaleState, observeStale } from './stale-busy';

const POLL = 100;
const policy: StalePolicy = { observations: 3 };

/** Looks at the session every POLL ms: a marker per look, null for idle. */
function run(markers: Array<string | null>, p = policy) {
  let state: StaleState = { ...INITIAL_STALE };
  const decisions: string[] = [];
  markers.forEach((m, i) => {
    const r = observeStale(state, m !== null, m ?? '', p, 1_000_000 + i * POLL, POLL);
    state = r.state;
    decisions.push(r.rearmed ? `${r.decision}+rearmed` : r.decision);
  });
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

  it('reports before it aborts, even when a late look finds the abort already due', () => {
    let state: StaleState = { ...INITIAL_STALE };
    const at = (ms: number) => {
      const r = observeStale(state, true, 'a', { observations: 3, autoAbortAfter: 5 }, 1_000_000 + ms, POLL);
      state = r.state;
      return r.decision;
    };
    expect([at(0), at(900), at(1000), at(1100)]).toEqual(['none', 'report', 'abort', 'none']);
  });

  it('counts time, not looks: extra looks in between (wake-ups) do not hurry the report', () => {
    let state: StaleState = { ...INITIAL_STALE };
    const at = (ms: number) => {
      const r = observeStale(state, true, 'a', policy, 1_000_000 + ms, POLL);
      state = r.state;
      return r.decision;
    };
    expect([at(0), at(10), at(20), at(30), at(150)]).toEqual(['none', 'none', 'none', 'none', 'none']);
    expect(at(200)).toBe('report');
  });

  it('leaves the state untouched while nothing changes (nothing to write)', () => {
    const first = observeStale({ ...INITIAL_STALE }, true, 'a', policy, 0, POLL);
    const second = observeStale(first.state, true, 'a', policy, POLL, POLL);
    expect(second.state).toBe(first.state);
  });

  describe('the clock starts when the progress happened (progressAt), within bounds', () => {
    const T = 1_000_000;
    const cases: [string, number | null, number, string, number][] = [
      // [name, progressAt, look time, decision, observations] — the marker changed from 'a' (since T) to 'b'
      ['no time from the host: the look', null, T + 1000, 'none', 1],
      ['progress long before the look: counted from it', T + 800, T + 1000, 'report', 3],
      ['progress between looks, recent: not stale yet', T + 950, T + 1000, 'none', 1],
      ['a host clock ahead: never later than the look', T + 5000, T + 1000, 'none', 1],
      ['a host clock behind: never before the previous progress', T - 50_000, T + 1000, 'report', 11],
    ];
    it.each(cases)('%s', (_name, progressAt, now, decision, observations) => {
      const before: StaleState = { since: new Date(T).toISOString(), marker: 'a', reported: false };
      const r = observeStale(before, true, 'b', { observations: 3, autoAbortAfter: 11 }, now, POLL, progressAt);
      expect([r.decision, r.observations]).toEqual([decision, observations]);
    });

    it('the first look at a busy session counts from the look, whatever the host says', () => {
      const r = observeStale({ ...INITIAL_STALE }, true, 'a', policy, 5000, POLL, 0);
      expect(r.state.since).toBe(new Date(5000).toISOString());
    });
  });
});
