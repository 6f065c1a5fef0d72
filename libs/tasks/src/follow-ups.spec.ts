import {
  DEFAULT_FOLLOW_UP_POLICY,
  FollowUpPolicy,
  MAX_MESSAGE_TEXT,
  QueuedItem,
  applyCap,
  composePrompt,
  excerpt,
  mergeTexts,
  orderForDelivery,
  readyAt,
  resolveFollowUpPolicy,
  truncate,
} from './follow-ups';

const at = (second: number) => new Date(Date.UTC(2026, 11, 5, 10, 0, second));
const msg = (id: string, lane: string, second: number): QueuedItem => ({ id, lane, createdAt: at(second) });
const policy = (
  over: Partial<Omit<FollowUpPolicy, 'lanePriority'>> & { lanePriority?: readonly string[] } = {},
): FollowUpPolicy => ({ ...DEFAULT_FOLLOW_UP_POLICY, ...over }) as FollowUpPolicy;
const ids = (items: readonly QueuedItem[]) => items.map((m) => m.id);

describe('resolveFollowUpPolicy', () => {
  it.each([
    ['nothing anywhere: Heddle defaults', undefined, undefined, DEFAULT_FOLLOW_UP_POLICY],
    ['null task and team', null, null, DEFAULT_FOLLOW_UP_POLICY],
    [
      "the task's own fields",
      { cap: 96, dropPolicy: 'summarize', debounceMs: 50, lanePriority: ['control', 'handoff', 'advice', 'default'] },
      { cap: 3 },
      { cap: 96, dropPolicy: 'summarize', debounceMs: 50, lanePriority: ['control', 'handoff', 'advice', 'default'] },
    ],
    [
      'field by field: task, then team, then default',
      { cap: 5 },
      { cap: 7, dropPolicy: 'drop_oldest' },
      {
        cap: 5,
        dropPolicy: 'drop_oldest',
        debounceMs: 2000,
        lanePriority: ['control', 'handoff', 'advice', 'default'],
      },
    ],
    [
      'lanes left out follow in the default order',
      { lanePriority: ['default', 'advice'] },
      undefined,
      { ...DEFAULT_FOLLOW_UP_POLICY, lanePriority: ['default', 'advice', 'control', 'handoff'] },
    ],
    [
      'invalid stored values fall through (out of range, not integers, unknown lanes and policies)',
      { cap: 0, debounceMs: 1.5, dropPolicy: 'explode', lanePriority: ['control', 'nope'] },
      { cap: 101, debounceMs: 600_001, lanePriority: [] },
      DEFAULT_FOLLOW_UP_POLICY,
    ],
    [
      'the bounds themselves are valid',
      { cap: 1, debounceMs: 0 },
      { cap: 100 },
      { ...DEFAULT_FOLLOW_UP_POLICY, cap: 1, debounceMs: 0 },
    ],
    ['a stored array or string is no policy', ['cap'], 'cap', DEFAULT_FOLLOW_UP_POLICY],
  ])('%s', (_name, task, team, expected) => {
    expect(resolveFollowUpPolicy(task, team)).toEqual(expected);
  });

  it('returns a fresh lane list each time (callers may not change the defaults)', () => {
    resolveFollowUpPolicy(null, null).lanePriority.reverse();
    expect(DEFAULT_FOLLOW_UP_POLICY.lanePriority).toEqual(['control', 'handoff', 'advice', 'default']);
  });
});

describe('applyCap', () => {
  const incoming = { lane: 'default', createdAt: at(59) };
  const full = [msg('a', 'control', 1), msg('b', 'default', 2), msg('c', 'advice', 3), msg('d', 'default', 4)];

  it.each(['reject', 'drop_oldest', 'summarize'] as const)('does nothing under the cap (%s)', (dropPolicy) => {
    expect(applyCap(full.slice(0, 3), policy({ cap: 4, dropPolicy }), incoming)).toEqual({ reject: false, drop: [] });
  });

  it('reject: refuses at the cap', () => {
    expect(applyCap(full, policy({ cap: 4 }), incoming)).toEqual({ reject: true, drop: [] });
  });

  it.each([
    ['the oldest of the lowest-priority lane present', full, DEFAULT_FOLLOW_UP_POLICY.lanePriority, ['b']],
    [
      'a lane missing from the queue is skipped',
      [msg('a', 'control', 1), msg('c', 'advice', 3), msg('e', 'advice', 2), msg('f', 'handoff', 0)],
      DEFAULT_FOLLOW_UP_POLICY.lanePriority,
      ['e'],
    ],
    ['under another lane order', full, ['default', 'advice', 'handoff', 'control'], ['a']],
    ['only control messages: the oldest of them', [msg('x', 'control', 5), msg('y', 'control', 4)], undefined, ['y']],
  ])('drop_oldest: %s', (_name, queue, lanePriority, dropped) => {
    const decision = applyCap(
      queue,
      policy({
        cap: queue.length,
        dropPolicy: 'drop_oldest',
        ...(lanePriority ? { lanePriority: [...lanePriority] } : {}),
      }),
      incoming,
    );
    expect({ reject: decision.reject, drop: ids(decision.drop), merge: decision.merge }).toEqual({
      reject: false,
      drop: dropped,
      merge: undefined,
    });
  });

  it('drop_oldest: a queue over the cap (a smaller cap) is brought back to it', () => {
    expect(ids(applyCap(full, policy({ cap: 2, dropPolicy: 'drop_oldest' }), incoming).drop)).toEqual(['b', 'd', 'c']);
  });

  it('summarize: merges the two oldest, in the higher lane of the two, at the older one’s time', () => {
    const decision = applyCap(full, policy({ cap: 4, dropPolicy: 'summarize' }), incoming);
    expect(decision.drop).toEqual([]);
    expect({ ...decision.merge, messages: ids(decision.merge!.messages) }).toEqual({
      messages: ['a', 'b'],
      withIncoming: false,
      lane: 'control',
      createdAt: at(1),
    });
  });

  it('summarize: with a cap of 1, the queued message and the incoming one', () => {
    const decision = applyCap([msg('a', 'advice', 1)], policy({ cap: 1, dropPolicy: 'summarize' }), {
      lane: 'handoff',
      createdAt: at(9),
    });
    expect({ ...decision.merge, messages: ids(decision.merge!.messages) }).toEqual({
      messages: ['a'],
      withIncoming: true,
      lane: 'handoff',
      createdAt: at(1),
    });
  });

  it('summarize: age is by time, then id, whatever the order given', () => {
    const queue = [msg('z', 'default', 3), msg('b', 'default', 1), msg('a', 'default', 1)];
    expect(ids(applyCap(queue, policy({ cap: 3, dropPolicy: 'summarize' }), incoming).merge!.messages)).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('mergeTexts', () => {
  it('joins the parts oldest first, each prefixed by its time to the second', () => {
    expect(
      mergeTexts([
        { text: 'second', createdAt: new Date('2026-12-05T10:00:02.345Z') },
        { text: 'first', createdAt: new Date('2026-12-05T10:00:01.000Z') },
      ]),
    ).toBe('[2026-12-05T10:00:01Z] first\n\n[2026-12-05T10:00:02Z] second');
  });

  it('does not prefix a part that is itself a summary (its parts carry their times)', () => {
    expect(
      mergeTexts([
        { text: '[2026-12-05T10:00:01Z] a\n\n[2026-12-05T10:00:02Z] b', createdAt: at(1), summary: true },
        { text: 'c', createdAt: at(3) },
      ]),
    ).toBe('[2026-12-05T10:00:01Z] a\n\n[2026-12-05T10:00:02Z] b\n\n[2026-12-05T10:00:03Z] c');
  });

  it(`cuts the result to ${MAX_MESSAGE_TEXT} characters, marking the cut`, () => {
    const merged = mergeTexts([
      { text: 'x'.repeat(MAX_MESSAGE_TEXT), createdAt: at(1) },
      { text: 'y'.repeat(MAX_MESSAGE_TEXT), createdAt: at(2) },
    ]);
    expect(merged).toHaveLength(MAX_MESSAGE_TEXT);
    expect(merged.startsWith('[2026-12-05T10:00:01Z] xxx')).toBe(true);
    expect(merged.endsWith('x…')).toBe(true);
  });
});

describe('truncate and excerpt', () => {
  it.each([
    ['short text stays', 'abc', 5, 'abc', 'abc'],
    ['cut with a mark', 'abcdefgh', 5, 'abcd…', 'abcde'],
    ['never splits a surrogate pair', 'abc😀😀', 5, 'abc…', 'abc😀'],
    ['never splits a pair at the excerpt edge', 'abcd😀', 5, 'abcd…', 'abcd'],
  ])('%s', (_name, text, max, truncated, excerpted) => {
    expect(truncate(text, max)).toBe(truncated);
    expect(excerpt(text, max)).toBe(excerpted);
  });
});

describe('delivery order and prompt', () => {
  const queue = [
    { ...msg('d1', 'default', 1), text: 'default, oldest' },
    { ...msg('a1', 'advice', 2), text: 'advice' },
    { ...msg('c2', 'control', 4), text: 'control, newer' },
    { ...msg('c1', 'control', 3), text: 'control, older' },
    { ...msg('h1', 'handoff', 5), text: 'handoff' },
  ];

  it.each([
    ['default lane priority, then oldest first', DEFAULT_FOLLOW_UP_POLICY.lanePriority, ['c1', 'c2', 'h1', 'a1', 'd1']],
    ['another lane priority', ['default', 'advice', 'handoff', 'control'], ['d1', 'a1', 'h1', 'c1', 'c2']],
  ])('orders by %s', (_name, lanes, expected) => {
    expect(ids(orderForDelivery(queue, lanes))).toEqual(expected);
  });

  it('a single message is its text as sent', () => {
    expect(composePrompt([{ text: 'Also update the README.\nThanks.' }])).toBe('Also update the README.\nThanks.');
  });

  it('several are numbered in the order given, separated by a blank line', () => {
    expect(composePrompt([{ text: 'Stop editing tests.' }, { text: 'Use the existing router.' }])).toBe(
      '1. Stop editing tests.\n\n2. Use the existing router.',
    );
  });

  it.each([
    ['debounce still running: the time it ends', 2000, at(6), at(7)],
    ['debounce over: null (now)', 2000, at(7), null],
    ['no debounce', 0, at(5), null],
  ])('readyAt: %s', (_name, debounceMs, now, expected) => {
    expect(readyAt(queue, debounceMs, now)).toEqual(expected);
  });
});
