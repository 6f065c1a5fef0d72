import type { MessageWithParts } from '@heddle/opencode-client';
import { observeTurn } from './turn-observation';

const user = (id: string): MessageWithParts =>
  ({ info: { id, role: 'user', sessionID: 's', time: { created: 1 } }, parts: [] }) as unknown as MessageWithParts;

function assistant(
  id: string,
  parentID: string,
  parts: unknown[],
  extra: Record<string, unknown> = {},
): MessageWithParts {
  return {
    info: {
      id,
      parentID,
      role: 'assistant',
      sessionID: 's',
      cost: 0.01,
      tokens: { input: 100, output: 10, reasoning: 5, cache: { read: 20, write: 1 } },
      time: { created: 2, completed: 3 },
      ...extra,
    },
    parts,
  } as unknown as MessageWithParts;
}

describe('observeTurn', () => {
  const history = [
    user('msg_001'),
    assistant('msg_002', 'msg_001', [{ type: 'text', text: 'TASK COMPLETE' }]), // old turn: ignored
    user('msg_010'),
    assistant('msg_011', 'msg_010', [
      { type: 'tool', tool: 'write', state: { status: 'completed', output: 'SECRET OUTPUT' } },
      { type: 'step-finish' },
      { type: 'patch', files: ['/ws/a.txt'] },
    ]),
    assistant('msg_012', 'msg_010', [{ type: 'text', text: 'All done.\nTASK COMPLETE', time: { start: 1, end: 2 } }]),
  ];

  it('counts only the replies to Heddle’s own prompt: tokens, cost, claim, changed files', () => {
    const obs = observeTurn(history, 'msg_010');
    expect(obs).toMatchObject({
      promptFound: true,
      replies: 2,
      tokens: { input: 200, output: 20, reasoning: 10, cacheRead: 40, cacheWrite: 2 },
      error: null,
      lastReplyCompleted: true,
      claimedComplete: true,
      changedFiles: ['/ws/a.txt'],
      activity: { texts: ['All done.\nTASK COMPLETE'], tools: ['write'] },
    });
    expect(obs.costUsd).toBeCloseTo(0.02);
    expect(JSON.stringify(obs.activity)).not.toContain('SECRET');
  });

  it('an attached session never completes on old history: no reply to our prompt yet', () => {
    const obs = observeTurn(history.slice(0, 3), 'msg_010');
    expect(obs).toMatchObject({ promptFound: true, replies: 0, claimedComplete: false, lastText: null });
    expect(observeTurn(history.slice(0, 2), 'msg_010').promptFound).toBe(false);
  });

  it('reports the newest reply’s error, telling an abort from a failure', () => {
    const aborted = observeTurn(
      [user('u'), assistant('a', 'u', [], { error: { name: 'MessageAbortedError', data: { message: 'Aborted' } } })],
      'u',
    );
    expect(aborted.error).toEqual({ name: 'MessageAbortedError', message: 'Aborted', aborted: true });
    const failed = observeTurn(
      [user('u'), assistant('a', 'u', [], { error: { name: 'APIError', data: { message: 'rate limited' } } })],
      'u',
    );
    expect(failed.error).toEqual({ name: 'APIError', message: 'rate limited', aborted: false });
  });

  it('moves the progress marker when a part finishes or a reply completes, not otherwise', () => {
    const running = [
      user('u'),
      assistant('a', 'u', [{ type: 'tool', tool: 'bash', state: { status: 'running' } }], {
        time: { created: 1 },
      }),
    ];
    const same = observeTurn(running, 'u').progressMarker;
    expect(observeTurn(running, 'u').progressMarker).toBe(same);
    const finished = [
      user('u'),
      assistant('a', 'u', [{ type: 'tool', tool: 'bash', state: { status: 'completed' } }], {
        time: { created: 1 },
      }),
    ];
    expect(observeTurn(finished, 'u').progressMarker).not.toBe(same);
  });

  it('says when the newest progress happened: a reply created or completed, a part finished (not one running)', () => {
    const messages = [
      user('u'),
      assistant(
        'a',
        'u',
        [
          { type: 'tool', tool: 'bash', state: { status: 'completed', time: { start: 10, end: 40 } } },
          { type: 'tool', tool: 'read', state: { status: 'running', time: { start: 90 } } },
          { type: 'text', text: 'thinking', time: { start: 20, end: 30 } },
        ],
        { time: { created: 5 } },
      ),
    ];
    expect(observeTurn(messages, 'u').progressAt).toBe(40);
    expect(observeTurn([user('u')], 'u').progressAt).toBeNull();
    const completed = [user('u'), assistant('a', 'u', [], { time: { created: 5, completed: 70 } })];
    expect(observeTurn(completed, 'u').progressAt).toBe(70);
  });
});
