import type { MessageWithParts, OpencodeClient } from '@heddle/opencode-client';
import { observeTurn } from './turn-observation';
import { TurnReader } from './turn-reader';

/** A session's messages served as OpenCode pages them: the newest `limit` before a cursor, oldest first. */
class Session {
  messages: MessageWithParts[] = [];
  readonly calls: { limit?: number; before?: string; returned: number }[] = [];

  client(): OpencodeClient {
    return {
      listMessages: async (_session: string, query: { limit?: number; before?: string } = {}) => {
        const older = query.before ? this.messages.filter((m) => m.info.id < query.before!) : this.messages;
        const page = query.limit ? older.slice(-query.limit) : older;
        this.calls.push({ ...query, returned: page.length });
        const more = page.length < older.length;
        return { messages: page, ...(more ? { nextCursor: page[0]!.info.id } : {}) };
      },
    } as unknown as OpencodeClient;
  }
}

const user = (id: string) =>
  ({ info: { id, role: 'user', sessionID: 's', time: { created: 1 } }, parts: [] }) as unknown as MessageWithParts;
const reply = (id: string, completed: boolean, text = `reply ${id}`) =>
  ({
    info: {
      id,
      parentID: 'm100',
      role: 'assistant',
      sessionID: 's',
      cost: 0.01,
      tokens: { input: 10, output: 1, reasoning: 0, cache: { read: 0, write: 0 } },
      time: completed ? { created: 2, completed: 3 } : { created: 2 },
    },
    parts: [
      { type: 'text', text, time: { start: 2, end: 3 } },
      {
        type: 'tool',
        tool: `tool-${id}`,
        state: { status: completed ? 'completed' : 'running', time: { start: 2, end: 3 } },
      },
    ],
  }) as unknown as MessageWithParts;
const old = (n: number) => Array.from({ length: n }, (_, i) => user(`m0${String(i).padStart(2, '0')}`));

describe('TurnReader', () => {
  it('reads the whole turn once, then only what came after the settled prefix — observing the same as a full read', async () => {
    const session = new Session();
    session.messages = [...old(60), user('m100'), reply('m101', true), reply('m102', false)];
    const reader = new TurnReader();
    const client = session.client();

    let seen = await reader.observe(client, 's', 'm100');
    expect(seen).toEqual(observeTurn(session.messages, 'm100'));
    expect(session.calls.map((c) => c.limit)).toEqual([50]);

    // m102 completes, m103 starts: the next look asks for the newest 10 only.
    session.messages = [...session.messages.slice(0, -1), reply('m102', true), reply('m103', false)];
    session.calls.length = 0;
    seen = await reader.observe(client, 's', 'm100');
    expect(seen).toEqual(observeTurn(session.messages, 'm100'));
    expect(session.calls).toEqual([{ limit: 10, returned: 10 }]);

    // Many more replies than a page since the last look: it pages back until the settled prefix.
    session.messages = [
      ...session.messages.slice(0, -1),
      ...Array.from({ length: 25 }, (_, i) => reply(`m2${String(i).padStart(2, '0')}`, true)),
      reply('m300', false, 'TASK COMPLETE'),
    ];
    session.calls.length = 0;
    seen = await reader.observe(client, 's', 'm100');
    expect(seen).toEqual(observeTurn(session.messages, 'm100'));
    expect(seen).toMatchObject({ replies: 28, claimedComplete: true, lastReplyCompleted: false });
    expect(session.calls.map((c) => c.limit)).toEqual([10, 50]);
  });

  it('without its prompt in the session, remembers nothing and says so', async () => {
    const session = new Session();
    session.messages = old(3);
    const reader = new TurnReader();
    expect(await reader.observe(session.client(), 's', 'm100')).toMatchObject({ promptFound: false, replies: 0 });
    session.messages = [...old(3), user('m100'), reply('m101', true)];
    expect(await reader.observe(session.client(), 's', 'm100')).toEqual(observeTurn(session.messages, 'm100'));
  });

  it('starts over when the settled prefix is gone from the host (history rewritten)', async () => {
    const session = new Session();
    session.messages = [user('m100'), reply('m101', true), reply('m102', true)];
    const reader = new TurnReader();
    await reader.observe(session.client(), 's', 'm100');
    session.messages = [user('m100'), reply('m105', false)];
    expect(await reader.observe(session.client(), 's', 'm100')).toEqual(observeTurn(session.messages, 'm100'));
  });

  it('forgets a finished turn', async () => {
    const session = new Session();
    session.messages = [user('m100'), reply('m101', true)];
    const reader = new TurnReader();
    await reader.observe(session.client(), 's', 'm100');
    reader.forget('s', 'm100');
    session.calls.length = 0;
    await reader.observe(session.client(), 's', 'm100');
    expect(session.calls.map((c) => c.limit)).toEqual([50]);
  });
});
