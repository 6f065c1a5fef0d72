import { readState } from './harness-state';

const STALE = { since: null, marker: null, reported: false };

describe('readState (the harnessState schema)', () => {
  const cases: [string, unknown, Record<string, unknown>][] = [
    ['nothing stored', null, { stale: STALE }],
    ['not an object', [1, 2], { stale: STALE }],
    [
      'a full valid state',
      {
        queuedSince: '2026-12-05T10:00:00.000Z',
        dispatchAttempts: 2,
        hostErrorSince: null,
        lastHostError: null,
        stale: { since: '2026-12-05T10:00:01.000Z', marker: 'm', reported: true },
        lastCheckAt: '2026-12-05T10:00:02.000Z',
        checkSessionId: 'ses_1',
        base: { turns: 1, tokens: 10, costUsd: 0.5, at: '2026-12-05T10:00:00.000Z' },
        plan: {
          history: [{ durationMs: 10, closed: 1, tokens: 5 }],
          counts: { total: 2, done: 1, open: 1, manual: 0, blocked: 0 },
        },
        stepErrors: 0,
        replyRepairs: 1,
      },
      {
        queuedSince: '2026-12-05T10:00:00.000Z',
        dispatchAttempts: 2,
        hostErrorSince: null,
        lastHostError: null,
        stale: { since: '2026-12-05T10:00:01.000Z', marker: 'm', reported: true },
        lastCheckAt: '2026-12-05T10:00:02.000Z',
        checkSessionId: 'ses_1',
        base: { turns: 1, tokens: 10, costUsd: 0.5, at: '2026-12-05T10:00:00.000Z' },
        plan: {
          history: [{ durationMs: 10, closed: 1, tokens: 5 }],
          counts: { total: 2, done: 1, open: 1, manual: 0, blocked: 0 },
        },
        stepErrors: 0,
        replyRepairs: 1,
      },
    ],
    ['plan without counts', { plan: { history: [] } }, { plan: { history: [] }, stale: STALE }],
    ['a bad time is dropped', { queuedSince: 'yesterday', lastCheckAt: 5 }, { stale: STALE }],
    ['negative or fractional counts are dropped', { dispatchAttempts: -1, stepErrors: 1.5 }, { stale: STALE }],
    ['a malformed stale state takes the initial one', { stale: { since: 'x' } }, { stale: STALE }],
    [
      'a base missing a field is dropped',
      { base: { turns: 1, tokens: 1, at: '2026-12-05T10:00:00.000Z' } },
      { stale: STALE },
    ],
    ['a plan with a bad iteration is dropped', { plan: { history: [{ durationMs: 'long' }] } }, { stale: STALE }],
    ['unknown keys are dropped', { somethingElse: 1, replyRepairs: 0 }, { replyRepairs: 0, stale: STALE }],
  ];
  it.each(cases)('%s', (_name, raw, expected) => {
    expect(readState(raw)).toEqual(expected);
  });
});
