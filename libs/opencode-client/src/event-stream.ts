import { classifyFetchFailure } from './errors';
import type { OpencodeTransport } from './http';
import { SseParser } from './sse-parser';
import type { OpencodeEvent } from './types';

/** Why a connection ended (and so why events may have been missed). */
export type GapReason =
  /** No bytes (not even the 10 s `server.heartbeat`) for longer than `silenceMs`. */
  | 'silence'
  /** The server sent `server.instance.disposed`: the stream ends or goes silent after it. */
  | 'disposed'
  /** The server closed the stream (restart, shutdown). */
  | 'closed'
  /** Connecting or reading failed (unreachable, 401, timeout, non-SSE answer). */
  | 'error';

export type SubscriptionNotice =
  | { type: 'event'; event: OpencodeEvent }
  /** A connection is open; `reconnect` is false only for the first one. */
  | { type: 'connected'; reconnect: boolean }
  /** The previous connection ended; the next attempt follows after `retryInMs`. */
  | { type: 'disconnected'; reason: GapReason; error?: unknown; retryInMs: number }
  /**
   * Sent on every reconnect after the first connect, right after the new connection opened:
   * events between the two connections are lost (OpenCode neither sends ids nor replays), so
   * re-read state now (`/session/status`, `/permission`, `/question`, messages).
   */
  | { type: 'gap'; reason: GapReason; error?: unknown; downMs: number; attempts: number };

export type SubscriptionHandler = (notice: SubscriptionNotice) => void;

export interface SubscribeOptions {
  /** Silence after which the connection counts as dead; default 25 000 ms (heartbeats come every 10 s). */
  silenceMs?: number;
  /** First reconnect delay; default 250 ms. Doubles per failed attempt (with jitter). */
  initialBackoffMs?: number;
  /** Cap of the reconnect delay; default 10 000 ms. */
  maxBackoffMs?: number;
  /**
   * Deadline for the response headers of each connect; default 5 000 ms. A connect that lands while
   * the server is still binding its port can hang forever (opencode-offline.md §6.1): this ends it.
   */
  connectTimeoutMs?: number;
  /** Called when the handler throws; the stream carries on. */
  onHandlerError?: (err: unknown) => void;
  /** For tests: a source of randomness in [0, 1). */
  random?: () => number;
}

export interface EventSubscription {
  /** Resolves true once the first connection is open, false if closed before that. */
  readonly ready: Promise<boolean>;
  /** `connecting`, `open`, `backoff` or `closed`. */
  state(): SubscriptionState;
  /** Stops reading and reconnecting; idempotent. Resolves when the loop has ended. */
  close(): Promise<void>;
}

export type SubscriptionState = 'connecting' | 'open' | 'backoff' | 'closed';

/** Reconnect delay for the n-th consecutive failure (0-based): exponential, half of it jittered. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

/**
 * `GET /event?directory=` as a resilient subscription: SSE frames parsed by {@link SseParser},
 * reconnect with exponential backoff and jitter, silence detection, reconnect on
 * `server.instance.disposed`, and a `gap` notice after every reconnect.
 */
export function subscribeEvents(
  transport: OpencodeTransport,
  directory: string | undefined,
  handler: SubscriptionHandler,
  options: SubscribeOptions = {},
): EventSubscription {
  const silenceMs = options.silenceMs ?? 25_000;
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const random = options.random ?? Math.random;
  let state: SubscriptionState = 'connecting';
  let closed = false;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  let resolveReady!: (v: boolean) => void;
  const ready = new Promise<boolean>((resolve) => (resolveReady = resolve));

  const emit = (notice: SubscriptionNotice) => {
    try {
      handler(notice);
    } catch (err) {
      options.onHandlerError?.(err);
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function pump(res: Response, controller: AbortController): Promise<{ reason: GapReason; frames: number }> {
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    let frames = 0;
    let silenced = false;
    let disposed = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        silenced = true;
        controller.abort();
      }, silenceMs);
    };
    arm();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        for (const frame of parser.push(decoder.decode(value, { stream: true }))) {
          let event: OpencodeEvent;
          try {
            event = JSON.parse(frame.data) as OpencodeEvent;
          } catch {
            continue; // not JSON: nothing a caller could use
          }
          if (!event || typeof event !== 'object' || typeof event.type !== 'string') continue;
          frames++;
          emit({ type: 'event', event });
          if (event.type === 'server.instance.disposed') disposed = true;
          if (closed) break;
        }
        if (disposed || closed) break;
      }
    } catch (err) {
      if (!silenced && !closed) throw err;
    } finally {
      if (timer) clearTimeout(timer);
      parser.end();
      controller.abort(); // release the socket in every case
      reader.releaseLock();
    }
    return { reason: silenced ? 'silence' : disposed ? 'disposed' : 'closed', frames };
  }

  async function run(): Promise<void> {
    let everConnected = false;
    let attempts = 0;
    let lastReason: GapReason = 'closed';
    let lastError: unknown;
    let downSince: number | undefined;
    while (!closed) {
      const controller = new AbortController();
      current = controller;
      state = 'connecting';
      let reason: GapReason;
      let error: unknown;
      try {
        const res = await transport.openStream(
          { route: '/event', query: { directory }, timeoutMs: options.connectTimeoutMs ?? 5_000 },
          controller.signal,
        );
        if (closed) {
          controller.abort();
          break;
        }
        state = 'open';
        const reconnect = everConnected;
        everConnected = true;
        resolveReady(true);
        emit({ type: 'connected', reconnect });
        if (reconnect) {
          emit({
            type: 'gap',
            reason: lastReason,
            ...(lastError !== undefined ? { error: lastError } : {}),
            downMs: Date.now() - (downSince ?? Date.now()),
            attempts,
          });
        }
        downSince = undefined;
        const result = await pump(res, controller);
        reason = result.reason;
        if (result.frames > 0) attempts = 0; // a healthy connection: start the backoff over
      } catch (err) {
        reason = 'error';
        // A stream cut mid-body surfaces as undici's bare `TypeError: terminated`: type it.
        error = classifyFetchFailure(err, transport.context({ method: 'GET', route: '/event' }), {
          timedOut: false,
          timeoutMs: 0,
        });
      }
      if (closed) break;
      downSince ??= Date.now();
      lastReason = reason;
      lastError = error;
      // A disposed instance is re-created by the next request: reconnect at once.
      const retryInMs = reason === 'disposed' ? 0 : backoffDelay(attempts, initialBackoffMs, maxBackoffMs, random);
      attempts++;
      state = 'backoff';
      emit({ type: 'disconnected', reason, ...(error !== undefined ? { error } : {}), retryInMs });
      if (retryInMs > 0) await sleep(retryInMs);
    }
    state = 'closed';
    resolveReady(false);
  }

  const loop = run().catch((err: unknown) => {
    state = 'closed';
    resolveReady(false);
    options.onHandlerError?.(err);
  });
  return {
    ready,
    state: () => state,
    async close() {
      closed = true;
      current?.abort();
      wake?.();
      await loop;
    },
  };
}
