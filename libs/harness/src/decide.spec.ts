import { Command, Snapshot, decide, refuseTurn } from './decide';

const NOW = 1_000_000;
const BUDGETS = { maxTurns: 5, maxTokens: 1000, maxCostUsd: 1, maxWallSeconds: 600, maxNoProgressIterations: 3 };
const USE = { turns: 1, tokens: 10, costUsd: 0.01, wallSeconds: 5, noProgressStreak: 0 };

type Patch = {
  task?: Partial<Snapshot['task']>;
  turn?: Partial<NonNullable<Snapshot['turn']>> | null;
  session?: Snapshot['session'] | Record<string, unknown>;
} & Partial<Omit<Snapshot, 'task' | 'turn' | 'session'>>;

/** A running single-mode task whose turn 1 was sent 10 s ago, with nothing observed yet. */
function snap(patch: Patch = {}): Snapshot {
  const { task, turn, session, ...rest } = patch;
  return {
    task: {
      status: 'running',
      pendingAction: null,
      mode: 'single',
      hasSession: true,
      checks: 1,
      checkIntervalSeconds: 30,
      budgets: BUDGETS,
      use: USE,
      replyRepairs: 0,
      lastCheckAtMs: NOW - 1000,
      ...task,
    },
    hostMissing: false,
    turn: turn === null ? null : { number: 1, outcome: 'sent', error: null, sentAtMs: NOW - 10_000, ...turn },
    ...(session ? { session: session as Snapshot['session'] } : {}),
    followUps: { queued: 0, readyAtMs: null },
    nowMs: NOW,
    config: { pollMs: 2000, turnStartGraceMs: 5000, watchedPollMs: 15000 },
    ...rest,
  };
}

/** The session as a look saw it: idle after one finished reply, unless told otherwise. */
function seen(over: Record<string, unknown> = {}) {
  return {
    seen: true,
    lost: false,
    busy: false,
    promptFound: true,
    replies: 1,
    lastReplyCompleted: true,
    error: null,
    ...over,
  };
}

const cases: [string, Snapshot, Command | Command['do']][] = [
  // user actions come first, whatever the harness was doing
  ['recheck asked', snap({ task: { status: 'completed', pendingAction: 'recheck' } }), 'recheck'],
  ['abort asked', snap({ task: { status: 'aborted', pendingAction: 'abort' } }), 'cleanup'],
  ['finished with an action left', snap({ task: { status: 'failed', pendingAction: 'resume' } }), 'cleanup'],
  [
    'takeover with a session',
    snap({ task: { pendingAction: 'takeover' } }),
    {
      do: 'takeover',
      then: { do: 'start_turn', prompt: { kind: 'goal' }, freshBudget: true },
    },
  ],
  ['takeover before a session', snap({ task: { pendingAction: 'takeover', hasSession: false } }), 'requeue_takeover'],
  ['takeover, host deleted', snap({ task: { pendingAction: 'takeover' }, hostMissing: true }), 'requeue_takeover'],
  ['resumed while queued', snap({ task: { status: 'queued', pendingAction: 'resume' } }), 'requeue_resumed'],
  ['paused before dispatch', snap({ task: { status: 'paused', hasSession: false }, turn: null }), 'stop'],
  ['queued', snap({ task: { status: 'queued', hasSession: false }, turn: null }), 'dispatch'],
  ['dispatching', snap({ task: { status: 'dispatching', hasSession: false }, turn: null }), 'dispatch'],
  ['completed, nothing asked', snap({ task: { status: 'completed' } }), 'stop'],
  // watching
  [
    'host deleted',
    snap({ hostMissing: true }),
    {
      do: 'fail',
      reason: 'session.lost',
      detail: 'the host this task ran on was deleted',
    },
  ],
  ['running without a turn', snap({ turn: null }), { do: 'start_turn', prompt: { kind: 'goal' } }],
  [
    'resumed after the turn ended',
    snap({ task: { pendingAction: 'resume' }, turn: { outcome: 'finished' } }),
    {
      do: 'start_turn',
      prompt: { kind: 'last_failures' },
      freshBudget: true,
      handlesResume: true,
    },
  ],
  ['not looked yet', snap(), 'observe'],
  [
    'session gone',
    snap({ session: { seen: true, lost: true, detail: 'session s no longer exists' } }),
    {
      do: 'fail',
      reason: 'session.lost',
      detail: 'session s no longer exists',
    },
  ],
  [
    'turn recorded failed (a step died after)',
    snap({ turn: { outcome: 'failed', error: 'boom' }, session: seen() }),
    {
      do: 'fail',
      reason: 'agent.error',
      detail: 'the agent failed: boom',
    },
  ],
  [
    'turn recorded over, not judged (a step died after)',
    snap({ turn: { outcome: 'finished' }, session: seen() }),
    'verify',
  ],
  ['prompt never arrived, idle', snap({ session: seen({ promptFound: false }) }), 'resend'],
  [
    'prompt never arrived, busy with something else',
    snap({ session: seen({ promptFound: false, busy: true }) }),
    {
      do: 'wait',
      ms: 2000,
    },
  ],
  // idle
  [
    'idle, no reply yet, within the grace',
    snap({ turn: { sentAtMs: NOW - 1000 }, session: seen({ replies: 0 }) }),
    {
      do: 'wait',
      ms: 500,
    },
  ],
  [
    'idle, reply unfinished, within the grace',
    snap({ turn: { sentAtMs: NOW - 1000 }, session: seen({ lastReplyCompleted: false }) }),
    {
      do: 'wait',
      ms: 500,
    },
  ],
  [
    'idle, never answered after the grace',
    snap({ session: seen({ replies: 0 }) }),
    {
      do: 'end_turn',
      outcome: 'failed',
      error: 'the session went idle without answering',
      then: {
        do: 'fail',
        reason: 'agent.error',
        detail: 'the session went idle without answering the prompt (unknown model or agent?)',
      },
    },
  ],
  [
    'idle, the agent failed',
    snap({ session: seen({ error: { message: 'rate limited', aborted: false } }) }),
    {
      do: 'end_turn',
      outcome: 'failed',
      error: 'rate limited',
      then: { do: 'fail', reason: 'agent.error', detail: 'the agent failed: rate limited' },
    },
  ],
  [
    'idle, aborted on the host',
    snap({ session: seen({ error: { message: 'aborted', aborted: true } }) }),
    {
      do: 'end_turn',
      outcome: 'aborted',
      error: 'aborted',
    },
  ],
  ['idle, finished', snap({ session: seen() }), { do: 'end_turn', outcome: 'finished' }],
  // after the turn
  ['turn over: judge it', snap({ turn: { outcome: 'finished' }, session: seen() }), 'verify'],
  [
    'judged: pass',
    snap({ turn: { outcome: 'finished' }, session: seen(), verdict: { allPassed: true, replyFailing: false } }),
    'complete',
  ],
  [
    'judged: fail',
    snap({ turn: { outcome: 'finished' }, session: seen(), verdict: { allPassed: false, replyFailing: false } }),
    {
      do: 'start_turn',
      prompt: { kind: 'failing' },
    },
  ],
  [
    'judged: fail while paused',
    snap({
      task: { status: 'paused' },
      turn: { outcome: 'finished' },
      session: seen(),
      verdict: { allPassed: false, replyFailing: false },
    }),
    'stop',
  ],
  [
    'paused, turn over: still judged (a pass completes)',
    snap({ task: { status: 'paused' }, turn: { outcome: 'finished' }, session: seen() }),
    'verify',
  ],
  [
    'reply JSON invalid: one repair turn',
    snap({ turn: { outcome: 'finished' }, session: seen(), verdict: { allPassed: false, replyFailing: true } }),
    {
      do: 'start_turn',
      prompt: { kind: 'failing' },
    },
  ],
  [
    'reply JSON invalid after the repair',
    snap({
      task: { replyRepairs: 1 },
      turn: { outcome: 'finished' },
      session: seen(),
      verdict: { allPassed: false, replyFailing: true },
    }),
    {
      do: 'fail',
      reason: 'checks.failed',
      detail: 'the reply still holds no JSON that validates against the schema after one repair turn',
    },
  ],
  // follow-ups go before the verdict
  [
    'turn over, follow-up ready',
    snap({ turn: { outcome: 'finished' }, session: seen(), followUps: { queued: 2, readyAtMs: NOW - 1 } }),
    {
      do: 'start_turn',
      prompt: { kind: 'follow_up' },
    },
  ],
  [
    'turn over, follow-up in its debounce',
    snap({ turn: { outcome: 'finished' }, session: seen(), followUps: { queued: 1, readyAtMs: NOW + 700 } }),
    {
      do: 'wait',
      ms: 700,
    },
  ],
  [
    'paused with a follow-up: judged, not prompted',
    snap({
      task: { status: 'paused' },
      turn: { outcome: 'finished' },
      session: seen(),
      followUps: { queued: 1, readyAtMs: NOW - 1 },
      verdict: { allPassed: false, replyFailing: false },
    }),
    'stop',
  ],
  // plan mode
  [
    'plan: iteration read, not complete',
    snap({
      task: { mode: 'plan' },
      turn: { outcome: 'finished' },
      session: seen(),
      verdict: { allPassed: false, replyFailing: false, planComplete: false },
    }),
    {
      do: 'start_turn',
      prompt: { kind: 'goal' },
    },
  ],
  [
    'plan: not complete, no progress for too long',
    snap({
      task: { mode: 'plan', use: { ...USE, noProgressStreak: 3 } },
      turn: { outcome: 'finished' },
      session: seen(),
      verdict: { allPassed: false, replyFailing: false, planComplete: false },
    }),
    'fail',
  ],
  [
    'plan: complete and checks pass',
    snap({
      task: { mode: 'plan' },
      turn: { outcome: 'finished' },
      session: seen(),
      verdict: { allPassed: true, replyFailing: false, planComplete: true },
    }),
    'complete',
  ],
  [
    'plan: complete, checks fail',
    snap({
      task: { mode: 'plan' },
      turn: { outcome: 'finished' },
      session: seen(),
      verdict: { allPassed: false, replyFailing: false, planComplete: true },
    }),
    {
      do: 'start_turn',
      prompt: { kind: 'failing' },
    },
  ],
  [
    'plan: paused after an iteration',
    snap({
      task: { mode: 'plan', status: 'paused' },
      turn: { outcome: 'finished' },
      session: seen(),
      verdict: { allPassed: false, replyFailing: false, planComplete: false },
    }),
    'stop',
  ],
  // busy
  [
    'busy: tokens over budget',
    snap({ task: { use: { ...USE, tokens: 1001 } }, session: seen({ busy: true }) }),
    {
      do: 'end_turn',
      outcome: 'aborted',
      error: 'aborted: used 1001 tokens, over the budget of 1000',
      abort: true,
      then: { do: 'fail', reason: 'budget.tokens', detail: 'used 1001 tokens, over the budget of 1000' },
    },
  ],
  [
    'busy: stale, policy aborts',
    snap({ session: seen({ busy: true }), stale: 'abort' }),
    {
      do: 'end_turn',
      outcome: 'aborted',
      error: 'aborted by the stale-busy policy',
      abort: true,
      then: { do: 'start_turn', prompt: { kind: 'stalled' } },
    },
  ],
  [
    'busy: checks due',
    snap({ task: { lastCheckAtMs: NOW - 31_000 }, session: seen({ busy: true }) }),
    'check_mid_turn',
  ],
  [
    'busy: checks due but a follow-up waits',
    snap({
      task: { lastCheckAtMs: NOW - 31_000 },
      session: seen({ busy: true }),
      followUps: { queued: 1, readyAtMs: NOW },
    }),
    { do: 'note_busy', stale: 'none', ms: 2000 },
  ],
  [
    'busy: checks due, no checks',
    snap({ task: { checks: 0, lastCheckAtMs: 0 }, session: seen({ busy: true }) }),
    { do: 'note_busy', stale: 'none', ms: 2000 },
  ],
  [
    'busy: plan mode never checks mid-turn',
    snap({ task: { mode: 'plan', lastCheckAtMs: 0 }, session: seen({ busy: true }) }),
    { do: 'note_busy', stale: 'none', ms: 2000 },
  ],
  [
    'busy: checks ran, failing',
    snap({
      task: { lastCheckAtMs: 0 },
      session: seen({ busy: true }),
      verified: true,
      verdict: { allPassed: false, replyFailing: false },
    }),
    { do: 'note_busy', stale: 'none', ms: 2000 },
  ],
  [
    'busy: checks ran and passed',
    snap({ session: seen({ busy: true }), verified: true, verdict: { allPassed: true, replyFailing: false } }),
    {
      do: 'end_turn',
      outcome: 'finished',
      error: 'checks passed while the turn ran; the turn was cut',
      abort: true,
      then: { do: 'complete' },
    },
  ],
  [
    'busy: stale reported',
    snap({ session: seen({ busy: true }), stale: 'report' }),
    { do: 'note_busy', stale: 'report', ms: 2000 },
  ],
  // busy, with the host's events reaching the worker: polling is the fallback, deadlines still come
  [
    'watched: the fallback poll',
    snap({ task: { checks: 0 }, session: seen({ busy: true }), watched: true }),
    {
      do: 'note_busy',
      stale: 'none',
      ms: 15000,
    },
  ],
  [
    'watched: the stale report falls due first',
    snap({ task: { checks: 0 }, session: seen({ busy: true }), watched: true, staleAtMs: NOW + 4000 }),
    {
      do: 'note_busy',
      stale: 'none',
      ms: 4000,
    },
  ],
  [
    'watched: the next mid-turn check falls due first',
    snap({ task: { lastCheckAtMs: NOW - 25_000 }, session: seen({ busy: true }), watched: true }),
    {
      do: 'note_busy',
      stale: 'none',
      ms: 5000,
    },
  ],
  [
    'watched: the wall budget ends first',
    snap({ task: { checks: 0, use: { ...USE, wallSeconds: 597 } }, session: seen({ busy: true }), watched: true }),
    {
      do: 'note_busy',
      stale: 'none',
      ms: 3001,
    },
  ],
  [
    'watched: never sooner than the poll',
    snap({ task: { checks: 0 }, session: seen({ busy: true }), watched: true, staleAtMs: NOW + 10 }),
    {
      do: 'note_busy',
      stale: 'none',
      ms: 2000,
    },
  ],
  ['busy: nothing to do', snap({ session: seen({ busy: true }) }), { do: 'note_busy', stale: 'none', ms: 2000 }],
];

describe('decide', () => {
  it.each(cases)('%s', (_name, snapshot, expected) => {
    const command = decide(snapshot);
    if (typeof expected === 'string') expect(command.do).toBe(expected);
    else expect(command).toEqual(expected);
  });
});

describe('refuseTurn', () => {
  const cases: [string, Parameters<typeof refuseTurn>, ReturnType<typeof refuseTurn>][] = [
    ['within budgets', [BUDGETS, USE, false, 'single'], null],
    [
      'turns out, first prompt',
      [BUDGETS, { ...USE, turns: 5 }, false, 'single'],
      {
        do: 'fail',
        reason: 'budget.turns',
        detail: expect.any(String),
      },
    ],
    [
      'turns out after failing checks: the checks failed',
      [BUDGETS, { ...USE, turns: 5 }, true, 'single'],
      {
        do: 'fail',
        reason: 'checks.failed',
        detail: expect.stringMatching(/^checks still failing when the turn budget ran out/),
      },
    ],
    [
      'turns out in plan mode',
      [BUDGETS, { ...USE, turns: 5 }, true, 'plan'],
      {
        do: 'fail',
        reason: 'budget.turns',
        detail: expect.any(String),
      },
    ],
    [
      'cost out',
      [BUDGETS, { ...USE, costUsd: 1.5 }, true, 'single'],
      {
        do: 'fail',
        reason: 'budget.cost',
        detail: expect.any(String),
      },
    ],
  ];
  it.each(cases)('%s', (_name, args, expected) => {
    expect(refuseTurn(...args)).toEqual(expected);
  });
});
