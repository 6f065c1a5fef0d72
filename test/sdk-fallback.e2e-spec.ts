// The SDK's fallback when the event stream cannot be opened at all (a proxy that refuses or buffers
// text/event-stream): streamEvents and waitFor read the log with GET /api/events?after= instead, each
// event once and in seq order, for as long as the server answers — they do not give up after
// `maxFailures` while polling works.
import { createHeddleClient, HeddleEvent } from '@heddle/sdk';
import { FakeHosts, TestApp, TestTeam } from '@heddle/testing';

jest.setTimeout(60_000);

const STREAM_ROUTES = [/^\/api\/events\/stream$/, /^\/api\/tasks\/[^/]+\/events$/];

/** A fetch that answers 502 for the SSE routes (as a proxy that refuses streams would) and counts calls. */
function streamBlockingFetch() {
  const calls = { refusedStreams: 0, polls: 0 };
  const fetchFn: typeof fetch = (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    if (STREAM_ROUTES.some((r) => r.test(path))) {
      calls.refusedStreams += 1;
      return Promise.resolve(new Response('bad gateway', { status: 502 }));
    }
    if (path === '/api/events') calls.polls += 1;
    return fetch(request);
  };
  return { fetchFn, calls };
}

describe('@heddle/sdk poll fallback (e2e, real server, fake host)', () => {
  let t: TestApp;
  let url: string;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '200' },
    });
    url = await t.baseUrl();
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  async function slowTask(team: TestTeam, name: string) {
    const { fake, hostId } = await hosts.forTeam(team);
    const client = createHeddleClient({ baseUrl: url, token: team.token });
    const { task } = await client.tasks.create({
      name,
      workspace: fake.workspace,
      // Long enough that the stream fails more than maxFailures times before the task ends.
      goal: 'SLOW:2000 FILE:r.txt',
      hostId,
      checks: [{ kind: 'file_exists', path: 'r.txt' }],
    });
    return { client, task };
  }

  it('streamEvents reads the log when the stream never opens: every event once, in seq order', async () => {
    const team = await t.createTeam();
    const { client, task } = await slowTask(team, 'sdk-poll');
    const { fetchFn, calls } = streamBlockingFetch();
    const blocked = createHeddleClient({ baseUrl: url, token: team.token, fetch: fetchFn });

    const seen: HeddleEvent[] = [];
    const reconnects: number[] = [];
    const abort = new AbortController();
    for await (const event of blocked.streamEvents({
      taskId: task.id,
      signal: abort.signal,
      reconnectDelayMs: 50,
      maxReconnectDelayMs: 200,
      maxFailures: 2,
      onReconnect: ({ attempt }) => reconnects.push(attempt),
    })) {
      seen.push(event);
      if (event.type === 'TASK_COMPLETED') break;
    }

    const log = await client.events.list({ taskId: task.id, limit: 100 });
    expect(seen.map((e) => e.seq)).toEqual(log.items.map((e) => e.seq));
    expect(seen.map((e) => e.type)).toEqual(expect.arrayContaining(['TASK_CREATED', 'TURN_STARTED', 'TASK_COMPLETED']));
    // Far more refused streams than maxFailures: polling kept it going.
    expect(calls.refusedStreams).toBeGreaterThan(4);
    expect(calls.polls).toBeGreaterThan(1);
    expect(reconnects.length).toBe(calls.refusedStreams);
  });

  it('waitFor ends with the finished task over the poll fallback', async () => {
    const team = await t.createTeam();
    const { task } = await slowTask(team, 'sdk-poll-wait');
    const { fetchFn, calls } = streamBlockingFetch();
    const blocked = createHeddleClient({ baseUrl: url, token: team.token, fetch: fetchFn });
    const types: string[] = [];
    const done = await blocked.waitFor(task.id, {
      timeoutMs: 30_000,
      onEvent: (e) => void types.push(e.type),
      stream: { reconnectDelayMs: 50, maxReconnectDelayMs: 200, maxFailures: 2 },
    });
    expect(done).toMatchObject({ id: task.id, status: 'completed' });
    expect(types.at(-1)).toBe('TASK_COMPLETED');
    expect(calls.polls).toBeGreaterThan(0);
  });

  it('still gives up when the server itself cannot be reached', async () => {
    const team = await t.createTeam();
    const nowhere = createHeddleClient({ baseUrl: 'http://127.0.0.1:9', token: team.token });
    const stream = nowhere.streamEvents({
      taskId: task0(),
      reconnectDelayMs: 10,
      maxReconnectDelayMs: 20,
      maxFailures: 2,
    });
    await expect(stream.next()).rejects.toMatchObject({ name: 'HeddleConnectionError' });
  });
});

function task0(): string {
  return '0195f3c2-9a00-7000-8000-000000000000';
}
