import createClient, { type Client } from 'openapi-fetch';
import { HeddleApiError, HeddleConnectionError, HeddleTimeoutError } from './errors';
import type { components, paths } from './generated/api';
import { SseParser } from './sse';

type Schemas = components['schemas'];
export type Task = Schemas['TaskResponseDto'];
export type TaskStatus = Task['status'];
export type CreateTaskInput = Schemas['CreateTaskDto'];
export type TakeoverTaskInput = Schemas['TakeoverTaskDto'];
export type SendTaskMessageInput = Schemas['SendTaskMessageDto'];
export type TaskMessage = Schemas['TaskMessageResponseDto'];
export type Turn = Schemas['TurnResponseDto'];
/** One event of the log: a union discriminated by `type`, so `event.data` narrows with it. */
export type HeddleEvent = Schemas['EventDto'];
export type EventType = HeddleEvent['type'];
/** The event of one type, e.g. `EventOf<'TURN_FINISHED'>['data']['outcome']`. */
export type EventOf<T extends EventType> = Extract<HeddleEvent, { type: T }>;
/** A completed task's `result`: its verdict, a person's, or the value of its `reply_json` check. */
export type TaskResult = NonNullable<Task['result']>;
export type Host = Schemas['HostResponseDto'];
export type ApiToken = Schemas['TokenResponseDto'];
export type CreateTokenInput = Schemas['CreateTokenDto'];
export type CreatedToken = Schemas['CreatedTokenResponseDto'];
export type ErrorBody = Schemas['ErrorResponseDto'];
export type Me = Schemas['MeResponseDto'];
export type BootstrapPlanInput = Schemas['BootstrapPlanDto'];
export type BootstrappedPlan = Schemas['BootstrapPlanResponseDto'];
export type DraftPlanInput = Schemas['DraftPlanDto'];
export type DraftedPlan = Schemas['DraftPlanResponseDto'];

/** The content types POST /api/inbox takes as a raw body. */
export const INBOX_CONTENT_TYPES = {
  markdown: 'text/markdown',
  yaml: 'application/yaml',
  text: 'text/plain',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
} as const;
export type TaskListQuery = NonNullable<paths['/api/tasks']['get']['parameters']['query']>;
export type HostListQuery = NonNullable<paths['/api/hosts']['get']['parameters']['query']>;
export type EventListQuery = NonNullable<paths['/api/events']['get']['parameters']['query']>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The statuses a task does not leave by itself. */
export const FINISHED_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'aborted'];
const FINISH_EVENTS = new Set<EventType>(['TASK_COMPLETED', 'TASK_FAILED', 'TASK_ABORTED']);

export function isFinished(task: Pick<Task, 'status'>): boolean {
  return FINISHED_STATUSES.includes(task.status);
}

export interface HeddleClientOptions {
  /** The server, e.g. `https://heddle.example.com` (no `/api`). */
  baseUrl: string;
  /** A bearer token `hdl_<prefix>_<secret>`. */
  token?: string;
  /** Another fetch (a proxy agent, a test double). Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface StreamEventsOptions extends RequestOptions {
  /** One task's events (`GET /api/tasks/{id}/events`); otherwise the team's (`GET /api/events/stream`). */
  taskId?: string;
  /**
   * Start after this seq. Default: a task's whole history; for the team stream, only what commits
   * from now on.
   */
  after?: number;
  /** Only these types (the server filters; the fallback poll filters here). */
  types?: EventType[];
  /** First pause before reconnecting; doubles up to `maxReconnectDelayMs`. Default 250 ms. */
  reconnectDelayMs?: number;
  /** Default 5 s. */
  maxReconnectDelayMs?: number;
  /**
   * Consecutive failed reconnects (no event, no open stream) before giving up. Default 8. While the
   * stream stays shut but `GET /api/events` answers, events come from that log every
   * `maxReconnectDelayMs` and the stream never gives up.
   */
  maxFailures?: number;
  /** A connection that sends nothing (not even a heartbeat) for this long is dropped and resumed. Default 60 s. */
  idleTimeoutMs?: number;
  /** Told each time the stream is resumed (after a drop) — for logs. */
  onReconnect?: (info: { lastSeq: number; attempt: number; error: unknown }) => void;
}

export interface WaitForOptions extends RequestOptions {
  /** Give up after this long with HeddleTimeoutError (the task keeps running). */
  timeoutMs?: number;
  /** Each of the task's events, history first, in seq order, once. */
  onEvent?: (event: HeddleEvent) => void | Promise<void>;
  /** Passed to streamEvents. */
  stream?: Omit<StreamEventsOptions, 'taskId' | 'signal' | 'after'>;
}

export interface HeddleClient {
  readonly baseUrl: string;
  /** The generated, fully typed openapi-fetch client for every route (answers `{ data, error, response }`). */
  readonly api: Client<paths>;
  me(options?: RequestOptions): Promise<Me>;
  tasks: {
    /** `replayed`: the Idempotency-Key matched an earlier create, whose task this is. */
    create(
      input: CreateTaskInput,
      options?: RequestOptions & { idempotencyKey?: string },
    ): Promise<{ task: Task; replayed: boolean }>;
    get(id: string, options?: RequestOptions): Promise<Task>;
    list(query?: TaskListQuery, options?: RequestOptions): Promise<Page<Task>>;
    abort(id: string, options?: RequestOptions): Promise<Task>;
    takeover(id: string, input: TakeoverTaskInput, options?: RequestOptions): Promise<Task>;
    sendMessage(id: string, input: SendTaskMessageInput, options?: RequestOptions): Promise<TaskMessage>;
    turns(id: string, options?: RequestOptions): Promise<Page<Turn>>;
  };
  hosts: { list(query?: HostListQuery, options?: RequestOptions): Promise<Page<Host>> };
  inbox: {
    /** One document (Markdown, YAML, text, .docx) → one task, as `POST /api/tasks` would make it. */
    submit(
      document: string | Uint8Array,
      options: RequestOptions & { contentType: string; idempotencyKey?: string },
    ): Promise<{ task: Task; replayed: boolean }>;
  };
  plans: {
    bootstrap(input: BootstrapPlanInput, options?: RequestOptions): Promise<BootstrappedPlan>;
    draft(input: DraftPlanInput, options?: RequestOptions): Promise<DraftedPlan>;
  };
  tokens: {
    create(input: CreateTokenInput, options?: RequestOptions): Promise<CreatedToken>;
    list(options?: RequestOptions): Promise<Page<ApiToken>>;
    revoke(id: string, options?: RequestOptions): Promise<void>;
  };
  events: {
    list(query?: EventListQuery, options?: RequestOptions): Promise<{ items: HeddleEvent[]; nextAfter: number }>;
  };
  /**
   * Events as they commit, over SSE. A dropped connection is resumed with `Last-Event-ID` (and, when
   * reopening fails, the gap is read from `GET /api/events?after=`): each event comes once, in seq order.
   * Ends only when `signal` aborts or the consumer stops; throws HeddleApiError (4xx) or
   * HeddleConnectionError after `maxFailures`.
   */
  streamEvents(options?: StreamEventsOptions): AsyncGenerator<HeddleEvent, void, undefined>;
  /** Resolves with the task once it is completed, failed or aborted; HeddleTimeoutError after `timeoutMs`. */
  waitFor(taskId: string, options?: WaitForOptions): Promise<Task>;
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

export function createHeddleClient(options: HeddleClientOptions): HeddleClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const api = createClient<paths>({ baseUrl, headers, fetch: options.fetch });

  async function call<T>(request: Promise<Answer<T>>, signal?: AbortSignal): Promise<{ data: T; response: Response }> {
    let answer: Answer<T>;
    try {
      answer = await request;
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      throw new HeddleConnectionError(baseUrl, err);
    }
    if (answer.error !== undefined || !answer.response.ok) throw HeddleApiError.from(answer.response, answer.error);
    return { data: answer.data as T, response: answer.response };
  }
  const data = async <T>(request: Promise<Answer<T>>, signal?: AbortSignal): Promise<T> =>
    (await call(request, signal)).data;

  const client: HeddleClient = {
    baseUrl,
    api,
    me: (o = {}) => data(api.GET('/api/me', { signal: o.signal }), o.signal),
    tasks: {
      async create(input, o = {}) {
        const { data: task, response } = await call(
          api.POST('/api/tasks', {
            body: input,
            params: { header: o.idempotencyKey ? { 'Idempotency-Key': o.idempotencyKey } : {} },
            signal: o.signal,
          }),
          o.signal,
        );
        return { task, replayed: response.status === 200 };
      },
      get: (id, o = {}) => data(api.GET('/api/tasks/{id}', { params: { path: { id } }, signal: o.signal }), o.signal),
      list: (query = {}, o = {}) => data(api.GET('/api/tasks', { params: { query }, signal: o.signal }), o.signal),
      abort: (id, o = {}) =>
        data(api.POST('/api/tasks/{id}/abort', { params: { path: { id } }, signal: o.signal }), o.signal),
      takeover: (id, input, o = {}) =>
        data(
          api.POST('/api/tasks/{id}/takeover', { params: { path: { id } }, body: input, signal: o.signal }),
          o.signal,
        ),
      sendMessage: (id, input, o = {}) =>
        data(
          api.POST('/api/tasks/{id}/messages', { params: { path: { id }, header: {} }, body: input, signal: o.signal }),
          o.signal,
        ),
      turns: (id, o = {}) =>
        data(api.GET('/api/tasks/{id}/turns', { params: { path: { id } }, signal: o.signal }), o.signal),
    },
    hosts: {
      list: (query = {}, o = {}) => data(api.GET('/api/hosts', { params: { query }, signal: o.signal }), o.signal),
    },
    inbox: {
      async submit(document, o) {
        const { data: task, response } = await call(
          api.POST('/api/inbox', {
            // The document goes as it is, under its own content type (not JSON).
            body: document as never,
            bodySerializer: (body: unknown) => body as string,
            headers: { 'content-type': o.contentType },
            params: { header: o.idempotencyKey ? { 'Idempotency-Key': o.idempotencyKey } : {} },
            signal: o.signal,
          } as never) as Promise<Answer<Task>>,
          o.signal,
        );
        return { task, replayed: response.status === 200 };
      },
    },
    plans: {
      bootstrap: (input, o = {}) => data(api.POST('/api/plans/bootstrap', { body: input, signal: o.signal }), o.signal),
      draft: (input, o = {}) => data(api.POST('/api/plans/draft', { body: input, signal: o.signal }), o.signal),
    },
    tokens: {
      create: (input, o = {}) => data(api.POST('/api/tokens', { body: input, signal: o.signal }), o.signal),
      list: (o = {}) => data(api.GET('/api/tokens', { signal: o.signal }), o.signal),
      async revoke(id, o = {}) {
        await call(api.DELETE('/api/tokens/{id}', { params: { path: { id } }, signal: o.signal }), o.signal);
      },
    },
    events: {
      list: (query = {}, o = {}) => data(api.GET('/api/events', { params: { query }, signal: o.signal }), o.signal),
    },
    streamEvents: (o = {}) => streamEvents(api, baseUrl, client, o),
    waitFor: (taskId, o = {}) => waitFor(client, taskId, o),
  };
  return client;
}

async function* streamEvents(
  api: Client<paths>,
  baseUrl: string,
  client: HeddleClient,
  options: StreamEventsOptions,
): AsyncGenerator<HeddleEvent, void, undefined> {
  const { taskId, types, signal } = options;
  const firstDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;
  const maxFailures = options.maxFailures ?? 8;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const wanted = types?.length ? new Set<string>(types) : undefined;
  // The last seq handed out (or skipped by the server's filter); undefined: a team stream from "now".
  let lastSeq: number | undefined = options.after ?? (taskId ? 0 : undefined);
  let failures = 0;
  // The log answered since the stream last failed: the server is up and only its stream is not (a
  // proxy that refuses or buffers SSE), so events keep coming by polling and failures do not end it.
  let polling = false;

  while (!signal?.aborted) {
    const connection = new AbortController();
    const onAbort = () => connection.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    let failure: unknown;
    try {
      const header = lastSeq !== undefined && lastSeq > 0 ? { 'last-event-id': String(lastSeq) } : {};
      const common = {
        headers: { accept: 'text/event-stream' },
        parseAs: 'stream' as const,
        signal: connection.signal,
      };
      touch();
      const answer = taskId
        ? await api.GET('/api/tasks/{id}/events', {
            ...common,
            params: { path: { id: taskId }, header, query: { type: types } },
          })
        : await api.GET('/api/events/stream', {
            ...common,
            params: { header, query: { type: types, live: lastSeq === undefined ? true : undefined } },
          });
      if (!answer.response.ok || !answer.data) {
        const err = HeddleApiError.from(answer.response, answer.error);
        if (answer.response.status < 500 && answer.response.status !== 429) throw err;
        throw new RetryableError(err);
      }
      failures = 0;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of answer.data as unknown as AsyncIterable<Uint8Array>) {
        touch();
        for (const frame of parser.push(decoder.decode(chunk, { stream: true }))) {
          const event = JSON.parse(frame.data) as HeddleEvent;
          if (lastSeq !== undefined && event.seq <= lastSeq) continue; // already handed out
          lastSeq = event.seq;
          yield event;
        }
        // An id-only frame (sent first on resume) moves the position without an event.
        const id = Number(parser.lastEventId);
        if (parser.lastEventId && Number.isSafeInteger(id) && (lastSeq === undefined || id > lastSeq)) lastSeq = id;
      }
      failure = new Error('the event stream ended');
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof HeddleApiError) throw err;
      failure = err instanceof RetryableError ? err.cause : err;
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener('abort', onAbort);
      connection.abort();
    }

    failures += 1;
    if (failures > maxFailures && !polling) {
      throw failure instanceof HeddleApiError ? failure : new HeddleConnectionError(baseUrl, failure);
    }
    options.onReconnect?.({ lastSeq: lastSeq ?? 0, attempt: failures, error: failure });
    // Reopening failed at least once: read what was missed from the log while the stream is away.
    if ((failures >= 2 || polling) && lastSeq !== undefined) {
      polling = false;
      try {
        for (;;) {
          const page = await client.events.list({ after: lastSeq, taskId, limit: 100 }, { signal });
          for (const event of page.items) {
            if (event.seq <= lastSeq) continue;
            lastSeq = event.seq;
            if (!wanted || wanted.has(event.type)) yield event;
          }
          if (page.items.length < 100 || page.nextAfter <= lastSeq) break;
        }
        polling = true;
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof HeddleApiError && err.status < 500 && err.status !== 429) throw err;
      }
    }
    await delay(Math.min(maxDelay, firstDelay * 2 ** Math.min(failures - 1, 30)), signal);
  }
}

async function waitFor(client: HeddleClient, taskId: string, options: WaitForOptions): Promise<Task> {
  const stop = new AbortController();
  let timedOut = false;
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stop.abort(new HeddleTimeoutError(taskId, options.timeoutMs!));
        }, options.timeoutMs)
      : undefined;
  try {
    const task = await client.tasks.get(taskId, { signal: stop.signal });
    if (isFinished(task) && !options.onEvent) return task;
    for await (const event of client.streamEvents({ ...options.stream, taskId, after: 0, signal: stop.signal })) {
      await options.onEvent?.(event);
      if (FINISH_EVENTS.has(event.type)) return await client.tasks.get(taskId, { signal: stop.signal });
    }
    throw stop.signal.reason ?? new Error('the event stream ended');
  } catch (err) {
    if (timedOut) throw new HeddleTimeoutError(taskId, options.timeoutMs!);
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

class RetryableError extends Error {
  constructor(override readonly cause: unknown) {
    super('retryable');
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
