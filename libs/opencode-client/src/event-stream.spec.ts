import { backoffDelay, subscribeEvents, SubscriptionNotice } from './event-stream';
import { OpencodeAuthError, OpencodeUnreachableError } from './errors';
import { FetchLike, OpencodeTransport } from './http';

/** One scripted server-side connection: push frames, end it, or leave it silent. */
class FakeConnection {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly stream: ReadableStream<Uint8Array>;
  aborted = false;
  constructor(signal: AbortSignal | null | undefined) {
    this.stream = new ReadableStream<Uint8Array>({ start: (c) => (this.controller = c) });
    signal?.addEventListener('abort', () => {
      this.aborted = true;
      try {
        this.controller.error(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      } catch {
        // already closed
      }
    });
  }
  send(event: unknown): void {
    this.controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(event)}\n\n`));
  }
  end(): void {
    this.controller.close();
  }
}

type Plan = 'stream' | 'refuse' | 'unauthorized';

function harness(plans: Plan[]) {
  const connections: FakeConnection[] = [];
  const urls: string[] = [];
  const waiters: (() => void)[] = [];
  const fetchImpl: FetchLike = async (input, init) => {
    urls.push(String(input));
    const plan = plans.shift() ?? 'stream';
    if (plan === 'refuse') {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
    }
    if (plan === 'unauthorized') return new Response('', { status: 401 });
    const conn = new FakeConnection(init?.signal);
    connections.push(conn);
    waiters.splice(0).forEach((w) => w());
    return new Response(conn.stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  const transport = new OpencodeTransport({ baseUrl: 'http://box:1', timeoutMs: 1000, fetch: fetchImpl });
  const notices: SubscriptionNotice[] = [];
  const noticeWaiters: (() => void)[] = [];
  const handler = (n: SubscriptionNotice) => {
    notices.push(n);
    noticeWaiters.splice(0).forEach((w) => w());
  };
  const until = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + 3000;
    while (!pred()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(notices.map((n) => n.type))}`);
      await new Promise<void>((r) => {
        noticeWaiters.push(r);
        waiters.push(r);
        setTimeout(r, 20);
      });
    }
  };
  return { transport, connections, urls, notices, handler, until };
}

const fast = { initialBackoffMs: 5, maxBackoffMs: 20, random: () => 0.5 };
const types = (ns: SubscriptionNotice[]) => ns.map((n) => (n.type === 'event' ? `event:${n.event.type}` : n.type));

describe('backoffDelay', () => {
  it('doubles per attempt up to the cap, with half of it jittered', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1000, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1000, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
  });
});

describe('subscribeEvents', () => {
  it('sends the directory, delivers events in order and closes cleanly', async () => {
    const h = harness(['stream']);
    const sub = subscribeEvents(h.transport, '/srv/ws 1', h.handler, fast);
    expect(await sub.ready).toBe(true);
    expect(h.urls[0]).toBe('http://box:1/event?directory=%2Fsrv%2Fws+1');
    h.connections[0].send({ type: 'server.connected', properties: {} });
    h.connections[0].send({ type: 'session.idle', properties: { sessionID: 'ses_1' } });
    await h.until(() => h.notices.length >= 3, 'two events');
    expect(types(h.notices)).toEqual(['connected', 'event:server.connected', 'event:session.idle']);
    expect(sub.state()).toBe('open');
    await sub.close();
    expect(sub.state()).toBe('closed');
    expect(h.connections[0].aborted).toBe(true);
  });

  it('reconnects after the server closes the stream and reports a gap once the new stream is open', async () => {
    const h = harness(['stream', 'refuse', 'stream']);
    const sub = subscribeEvents(h.transport, undefined, h.handler, fast);
    await sub.ready;
    h.connections[0].send({ type: 'server.connected', properties: {} });
    h.connections[0].end();
    await h.until(() => h.notices.some((n) => n.type === 'gap'), 'gap');
    const gap = h.notices.find((n) => n.type === 'gap')!;
    expect(gap).toMatchObject({ type: 'gap', reason: 'error', attempts: 2 });
    expect((gap as { error?: unknown }).error).toBeInstanceOf(OpencodeUnreachableError);
    expect(types(h.notices)).toEqual([
      'connected',
      'event:server.connected',
      'disconnected',
      'disconnected',
      'connected',
      'gap',
    ]);
    expect(h.notices.filter((n) => n.type === 'disconnected').map((n) => (n as { reason: string }).reason)).toEqual([
      'closed',
      'error',
    ]);
    expect(h.urls[0]).toBe('http://box:1/event');
    h.connections[1].send({ type: 'session.idle', properties: { sessionID: 'ses_1' } });
    await h.until(() => types(h.notices).at(-1) === 'event:session.idle', 'event after the gap');
    await sub.close();
  });

  it('treats silence longer than silenceMs as a dead connection', async () => {
    const h = harness(['stream', 'stream']);
    const sub = subscribeEvents(h.transport, undefined, h.handler, { ...fast, silenceMs: 60 });
    await sub.ready;
    h.connections[0].send({ type: 'server.connected', properties: {} });
    await h.until(() => h.notices.some((n) => n.type === 'gap'), 'gap after silence');
    expect(h.notices.find((n) => n.type === 'gap')).toMatchObject({ reason: 'silence', attempts: 1 });
    expect(h.connections[0].aborted).toBe(true);
    await sub.close();
  });

  it('keeps a connection with heartbeats alive past silenceMs', async () => {
    const h = harness(['stream']);
    const sub = subscribeEvents(h.transport, undefined, h.handler, { ...fast, silenceMs: 80 });
    await sub.ready;
    for (let i = 0; i < 5; i++) {
      h.connections[0].send({ type: 'server.heartbeat', properties: {} });
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(h.notices.some((n) => n.type === 'disconnected')).toBe(false);
    await sub.close();
  });

  it('delivers server.instance.disposed, then reconnects at once with a gap', async () => {
    const h = harness(['stream', 'stream']);
    const sub = subscribeEvents(h.transport, '/d', h.handler, { ...fast, initialBackoffMs: 10_000 });
    await sub.ready;
    h.connections[0].send({ type: 'server.instance.disposed', properties: { directory: '/d' } });
    await h.until(() => h.notices.some((n) => n.type === 'gap'), 'gap after dispose');
    expect(types(h.notices)).toEqual([
      'connected',
      'event:server.instance.disposed',
      'disconnected',
      'connected',
      'gap',
    ]);
    expect(h.notices[2]).toMatchObject({ reason: 'disposed', retryInMs: 0 });
    expect(h.connections[0].aborted).toBe(true);
    await sub.close();
  });

  it('keeps retrying through 401 answers and reports them as errors', async () => {
    const h = harness(['unauthorized', 'unauthorized', 'stream']);
    const sub = subscribeEvents(h.transport, undefined, h.handler, fast);
    expect(await sub.ready).toBe(true);
    const errors = h.notices.filter((n) => n.type === 'disconnected').map((n) => (n as { error?: unknown }).error);
    expect(errors).toHaveLength(2);
    errors.forEach((e) => expect(e).toBeInstanceOf(OpencodeAuthError));
    // No gap: nothing was being received before the first connection.
    expect(types(h.notices)).toEqual(['disconnected', 'disconnected', 'connected']);
    await sub.close();
  });

  it('skips non-JSON frames, survives a throwing handler, and close() during backoff stops everything', async () => {
    const h = harness(['stream', 'refuse']);
    const handlerErrors: unknown[] = [];
    let calls = 0;
    const sub = subscribeEvents(
      h.transport,
      undefined,
      (n) => {
        h.handler(n);
        if (n.type === 'event' && ++calls === 1) throw new Error('handler bug');
      },
      { ...fast, initialBackoffMs: 60_000, maxBackoffMs: 60_000, onHandlerError: (e) => handlerErrors.push(e) },
    );
    await sub.ready;
    const enc = new TextEncoder();
    const conn = h.connections[0] as unknown as { controller: ReadableStreamDefaultController<Uint8Array> };
    conn.controller.enqueue(enc.encode('data: not json\n\n'));
    h.connections[0].send({ type: 'a', properties: {} });
    h.connections[0].send({ type: 'b', properties: {} });
    await h.until(() => types(h.notices).includes('event:b'), 'event b');
    expect(handlerErrors).toHaveLength(1);
    h.connections[0].end();
    await h.until(() => sub.state() === 'backoff', 'backoff');
    const started = Date.now();
    await sub.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sub.state()).toBe('closed');
    expect(await sub.ready).toBe(true);
  });

  it('resolves ready with false when closed before any connection', async () => {
    const h = harness(['refuse', 'refuse', 'refuse']);
    const sub = subscribeEvents(h.transport, undefined, h.handler, { ...fast, initialBackoffMs: 60_000 });
    await h.until(() => h.notices.length > 0, 'first failure');
    await sub.close();
    expect(await sub.ready).toBe(false);
  });
});
