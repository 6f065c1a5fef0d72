import { claimsComplete, itemsClosed, parsePlan, planProgress } from './plan';

describe('parsePlan', () => {
  it('reads the pyocloop grammar: open, done, manual, blocked', () => {
    const plan = parsePlan(
      [
        '# Plan',
        '',
        '- [x] **1** What is the capital of Austria?',
        '- [ ] **2** What is the capital of Belgium?',
        '- [MANUAL] Deploy by hand',
        '- [BLOCKED: no network] Fetch the data',
        '- [ ] **3** What is the capital of France?',
      ].join('\n'),
    );
    expect(plan.items).toEqual([
      { line: 3, text: '**1** What is the capital of Austria?', state: 'done' },
      { line: 4, text: '**2** What is the capital of Belgium?', state: 'open' },
      { line: 5, text: 'Deploy by hand', state: 'manual' },
      { line: 6, text: 'Fetch the data', state: 'blocked', reason: 'no network' },
      { line: 7, text: '**3** What is the capital of France?', state: 'open' },
    ]);
    expect(plan.counts).toEqual({ total: 5, done: 1, open: 2, manual: 1, blocked: 1 });
    expect(plan.percent).toBe(25); // 1 ÷ (5 − 1)
    expect(plan.current).toEqual(plan.items[1]);
    expect(plan.complete).toBe(false);
    expect(plan.completeReason).toBeNull();
    expect(plan.tag).toBeNull();
  });

  it('takes indented items, [X], CRLF and a BOM', () => {
    const plan = parsePlan('\uFEFF- [X] one\r\n    - [ ] nested two\r\n\t- [x] three\r\n');
    expect(plan.items.map((i) => [i.line, i.state, i.text])).toEqual([
      [1, 'done', 'one'],
      [2, 'open', 'nested two'],
      [3, 'done', 'three'],
    ]);
    expect(plan.percent).toBeCloseTo(66.7);
  });

  it('counts only lines starting with "- ["', () => {
    const plan = parsePlan(
      [
        '* [ ] star bullet',
        '+ [ ] plus bullet',
        '1. [ ] numbered',
        'text - [ ] in the middle',
        '-[ ] no space',
        '- [README](README.md) a link',
        '- [some longer words] not a marker',
        '- [ ] real',
      ].join('\n'),
    );
    expect(plan.items).toEqual([{ line: 8, text: 'real', state: 'open' }]);
  });

  it('treats blocked without a reason, odd case and unknown single-character markers', () => {
    const plan = parsePlan('- [BLOCKED] a\n- [blocked:  waits on infra ] b\n- [manual] c\n- [~] d\n- [] e');
    expect(plan.items).toEqual([
      { line: 1, text: 'a', state: 'blocked' },
      { line: 2, text: 'b', state: 'blocked', reason: 'waits on infra' },
      { line: 3, text: 'c', state: 'manual' },
      { line: 4, text: 'd', state: 'open', marker: '~' },
      { line: 5, text: 'e', state: 'open' },
    ]);
  });

  it('is complete when no item is open', () => {
    const plan = parsePlan('- [x] a\n- [MANUAL] b\n- [BLOCKED: why] c');
    expect(plan.complete).toBe(true);
    expect(plan.completeReason).toBe('no_open_items');
    expect(plan.current).toBeNull();
    expect(plan.percent).toBe(50); // blocked stays in the denominator
  });

  it('an empty plan is complete with reason "empty" and 100 %', () => {
    for (const text of ['', '# Just a title\n\nSome prose.']) {
      const plan = parsePlan(text);
      expect(plan.counts).toEqual({ total: 0, done: 0, open: 0, manual: 0, blocked: 0 });
      expect(plan.percent).toBe(100);
      expect(plan.complete).toBe(true);
      expect(plan.completeReason).toBe('empty');
    }
  });

  it('100 % when every item is manual', () => {
    expect(parsePlan('- [MANUAL] a').percent).toBe(100);
  });

  it('completes on a line-anchored <plan-complete> even with open items; its text is the summary', () => {
    const plan = parsePlan('- [ ] left over\n\n<plan-complete>All capitals answered.</plan-complete>\n');
    expect(plan.complete).toBe(true);
    expect(plan.completeReason).toBe('tag');
    expect(plan.tag).toEqual({ line: 3, summary: 'All capitals answered.' });
  });

  it('ignores <plan-complete> that is not at the start of a line', () => {
    const plan = parsePlan(
      [
        '- [ ] open',
        'Append <plan-complete>SUMMARY</plan-complete> when done.',
        '> <plan-complete>quoted</plan-complete>',
        '`<plan-complete>` in code',
      ].join('\n'),
    );
    expect(plan.tag).toBeNull();
    expect(plan.complete).toBe(false);
  });

  it('accepts leading blanks before the tag', () => {
    expect(parsePlan('- [ ] a\n   <plan-complete>ok</plan-complete>').tag).toEqual({ line: 2, summary: 'ok' });
  });

  it('the last tag wins; a multi-line summary runs to </plan-complete>, or to the end without one', () => {
    const plan = parsePlan(
      '<plan-complete>first</plan-complete>\n- [x] a\n<plan-complete>\nDid a.\nDid b.\n</plan-complete>\ntrailing',
    );
    expect(plan.tag).toEqual({ line: 3, summary: 'Did a.\nDid b.' });
    expect(parsePlan('- [x] a\n<plan-complete>no closing tag\nmore').tag).toEqual({
      line: 2,
      summary: 'no closing tag\nmore',
    });
    expect(parsePlan('<plan-complete></plan-complete>').tag).toEqual({ line: 1, summary: '' });
  });
});

describe('itemsClosed', () => {
  it('counts items that left the open state, even when new ones were added', () => {
    const before = parsePlan('- [ ] a\n- [ ] b');
    expect(itemsClosed(before, parsePlan('- [x] a\n- [ ] b'))).toBe(1);
    expect(itemsClosed(before, parsePlan('- [x] a\n- [ ] a2\n- [ ] a3\n- [ ] b'))).toBe(1);
    expect(itemsClosed(before, parsePlan('- [ ] a\n- [BLOCKED: x] b'))).toBe(1);
    expect(itemsClosed(before, before)).toBe(0);
  });
});

describe('planProgress', () => {
  it('averages iteration times and estimates ETA = average × open items', () => {
    const p = planProgress(
      [
        { durationMs: 1000, closed: 1, tokens: 100 },
        { durationMs: 3000, closed: 0, tokens: 50 },
        { durationMs: 2000, closed: 0 },
      ],
      parsePlan('- [x] a\n- [ ] b\n- [ ] c\n- [MANUAL] d'),
    );
    expect(p).toEqual({
      iterations: 3,
      totalMs: 6000,
      lastMs: 2000,
      averageMs: 2000,
      open: 2,
      etaMs: 4000,
      tokens: 150,
      noProgressTotal: 2,
      noProgressStreak: 2,
    });
  });

  it('has no average or ETA before the first iteration, and ETA 0 when nothing is open', () => {
    expect(planProgress([], 3)).toMatchObject({ iterations: 0, averageMs: null, etaMs: null, lastMs: null });
    expect(planProgress([{ durationMs: 500, closed: 2 }], 0)).toMatchObject({ etaMs: 0, noProgressStreak: 0 });
  });
});

describe('claimsComplete', () => {
  it('needs a line that is exactly TASK COMPLETE (trimmed)', () => {
    expect(claimsComplete('Done.\n  TASK COMPLETE  \n')).toBe(true);
    expect(claimsComplete('TASK COMPLETE')).toBe(true);
    expect(claimsComplete('The TASK COMPLETE marker')).toBe(false);
    expect(claimsComplete('task complete')).toBe(false);
    expect(claimsComplete('TASK COMPLETE.')).toBe(false);
    expect(claimsComplete('')).toBe(false);
    expect(claimsComplete(undefined)).toBe(false);
  });
});
