import { once } from 'node:events';
import { SSE_HEARTBEAT, SSE_OPENING, SseMessage, SseStream, formatSseComment, formatSseMessage } from './sse-stream';

describe('formatSseMessage', () => {
  it('writes id, event and data lines and ends the frame with a blank line', () => {
    expect(formatSseMessage({ id: '7', event: 'TASK_CREATED', data: '{"a":1}' })).toBe(
      'id: 7\nevent: TASK_CREATED\ndata: {"a":1}\n\n',
    );
  });

  it('splits data on every kind of line break, one data line each', () => {
    expect(formatSseMessage({ data: 'a\nb\r\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(formatSseMessage({ data: '' })).toBe('data: \n\n');
  });

  it('keeps id and event on one line, without NUL', () => {
    expect(formatSseMessage({ id: '1\n2\0', event: 'a\r\nb' })).toBe('id: 12\nevent: ab\n\n');
  });

  it('writes an id-only frame (moves the last event id, dispatches nothing)', () => {
    expect(formatSseMessage({ id: '42' })).toBe('id: 42\n\n');
  });

  it('writes comments line by line', () => {
    expect(formatSseComment('heartbeat')).toBe(': heartbeat\n\n');
    expect(formatSseComment('a\nb')).toBe(': a\n: b\n\n');
  });
});

/** An endless source that counts how often it was pulled and whether its cleanup ran. */
function endless(frame: SseMessage = { id: '1', event: 'LOG_LINE', data: 'x'.repeat(100) }) {
  const state = { pulled: 0, cleanedUp: false, signal: undefined as AbortSignal | undefined };
  const source = (signal: AbortSignal) => {
    state.signal = signal;
    return (async function* () {
      try {
        for (;;) {
          state.pulled++;
          yield frame;
        }
      } finally {
        state.cleanedUp = true;
      }
    })();
  };
  return { state, source };
}

/** A source that waits (like a caught-up tail) until its signal aborts. */
function waiting() {
  const state = { cleanedUp: false, aborted: false };
  const source = (signal: AbortSignal) =>
    (async function* (): AsyncGenerator<SseMessage> {
      try {
        yield { id: '1', data: 'first' };
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        state.aborted = true;
      } finally {
        state.cleanedUp = true;
      }
    })();
  return { state, source };
}

/** Reads until `text` has arrived; resolves with everything read so far. */
async function readUntil(stream: SseStream, text: string): Promise<string> {
  let seen = '';
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    seen += String(chunk);
    if (seen.includes(text)) return seen;
  }
  throw new Error(`stream ended before ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`);
}

describe('SseStream', () => {
  const streams: SseStream[] = [];
  const open = (source: ConstructorParameters<typeof SseStream>[0], heartbeatMs = 60_000, onError?: jest.Mock) => {
    const stream = new SseStream(source, { heartbeatMs, onError });
    streams.push(stream);
    return stream;
  };
  afterEach(() => {
    for (const s of streams.splice(0)) s.destroy();
  });

  it('opens with a comment, then sends the frames of its source', async () => {
    const { source } = endless({ id: '9', event: 'E', data: 'd' });
    const stream = open(source);
    const text = await readUntil(stream, 'id: 9\nevent: E\ndata: d\n\nid: 9');
    expect(text.startsWith(SSE_OPENING)).toBe(true);
  });

  it('pulls only as far as the reader reads: a client that does not read holds a bounded buffer', async () => {
    const { state, source } = endless();
    const stream = open(source);
    await readUntil(stream, 'data: x');
    // Nobody reads any more: the stream fills its buffer up to the high-water mark and stops pulling.
    await new Promise((resolve) => setImmediate(resolve));
    const pulledWhenFull = state.pulled;
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(state.pulled).toBe(pulledWhenFull);
    expect(stream.readableLength).toBeLessThanOrEqual(stream.readableHighWaterMark + 200);
    expect(state.pulled).toBeLessThan(200); // 16 KiB of ~130-byte frames, not an endless buffer

    // Reading again resumes pulling.
    stream.read();
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.pulled).toBeGreaterThan(pulledWhenFull);
  });

  it('sends a heartbeat comment every heartbeatMs while the source is quiet', async () => {
    const { source } = waiting();
    const stream = open(source, 20);
    const text = await readUntil(stream, SSE_HEARTBEAT + SSE_HEARTBEAT);
    expect(text).toContain('data: first\n\n');
  });

  it('aborts the source and runs its cleanup when destroyed (the client left)', async () => {
    const { state, source } = waiting();
    const stream = open(source);
    await readUntil(stream, 'data: first');
    stream.destroy();
    await stream.sourceStopped;
    expect(state).toEqual({ aborted: true, cleanedUp: true });
  });

  it('runs the cleanup of a source paused at a yield when destroyed', async () => {
    const { state, source } = endless();
    const stream = open(source);
    await readUntil(stream, 'data: x');
    stream.destroy();
    await stream.sourceStopped;
    expect(state.cleanedUp).toBe(true);
    expect(state.signal?.aborted).toBe(true);
  });

  it('ends cleanly on shutdown: the reader sees the end, the source has stopped', async () => {
    const { state, source } = waiting();
    const stream = open(source);
    await readUntil(stream, 'data: first');
    const ended = once(stream, 'end');
    stream.resume();
    await stream.shutdown(5000);
    await ended;
    expect(state).toEqual({ aborted: true, cleanedUp: true });
  });

  it('cuts a reader that does not take the rest within the grace period of a shutdown', async () => {
    const { state, source } = endless();
    const stream = open(source);
    await readUntil(stream, 'data: x'); // and then reads no more
    await stream.shutdown(50);
    expect(stream.destroyed).toBe(true);
    expect(state.cleanedUp).toBe(true);
  });

  it('ends the stream and reports a failing source', async () => {
    const onError = jest.fn();
    const stream = open(
      () =>
        (async function* () {
          yield { data: 'one' };
          throw new Error('database gone');
        })(),
      60_000,
      onError,
    );
    const chunks: string[] = [];
    stream.on('data', (c) => chunks.push(String(c)));
    await once(stream, 'end');
    expect(chunks.join('')).toBe(`${SSE_OPENING}data: one\n\n`);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'database gone' }));
  });

  it('ends when the source ends', async () => {
    const stream = open(() => (async function* () {})());
    const chunks: string[] = [];
    stream.on('data', (c) => chunks.push(String(c)));
    await once(stream, 'end');
    expect(chunks.join('')).toBe(SSE_OPENING);
    await stream.sourceStopped;
  });
});
