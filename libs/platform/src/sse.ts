import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  Logger,
  Module,
  NestInterceptor,
  OnModuleDestroy,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { ApiHeader, ApiOkResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';
import { AuthContext, CredentialCheck, RateLimitedError, SESSION_COOKIE, parseCookies } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { SseSource, SseStream } from './sse-stream';

/** Headers of every event stream: no caching or buffering on the way (nginx reads `x-accel-buffering`). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
} as const;

/** On shutdown, how long an open stream may take to hand the client what is buffered before it is cut. */
const SHUTDOWN_GRACE_MS = 2000;
/**
 * How often each open stream's credential is verified again. A revocation or expiry ends the stream
 * within TOKEN_CACHE_MS (how long another replica may trust its cached token) plus this.
 */
export const CREDENTIAL_RECHECK_MS = 250;
/** Credentials verified at once in a re-check round. */
const RECHECK_CONCURRENCY = 8;
/** What a client over SSE_MAX_STREAMS_PER_TOKEN is told to wait before trying again. */
const STREAM_CAP_RETRY_AFTER_S = 5;

/** Whose stream it is: the token it counts against and the credential it is re-checked with. */
export interface SseStreamOwner {
  tokenId: string;
  /** The request's `Authorization` header value, or `Session <login cookie>` for a person's stream. */
  authorization: string;
}

/** The credential a stream is re-checked with: the bearer token, else (a person) the login cookie. */
function credentialOf(request: {
  user?: AuthContext;
  headers: Record<string, string | string[] | undefined>;
}): string | undefined {
  const { authorization, cookie } = request.headers;
  if (typeof authorization === 'string') return authorization;
  const session =
    request.user?.user && typeof cookie === 'string' ? parseCookies(cookie).get(SESSION_COOKIE) : undefined;
  return session === undefined ? undefined : `Session ${session}`;
}

/**
 * Opens the event streams of this process, holds each token to SSE_MAX_STREAMS_PER_TOKEN of them,
 * ends a stream once its token is revoked or expires (re-checked every CREDENTIAL_RECHECK_MS
 * through the `CredentialCheck` port, which libs/auth implements), and ends them all when the
 * process shuts down: an open stream would otherwise keep Fastify's close (and so `app.close()` and
 * SIGTERM) waiting for good. Clients see the stream end and reconnect (elsewhere) with
 * `Last-Event-ID`. The cap is counted per process.
 */
@Injectable()
export class SseResponder implements OnModuleDestroy {
  private readonly logger = new Logger('EventStream');
  private readonly streams = new Set<SseStream>();
  private readonly owners = new Map<SseStream, SseStreamOwner>();
  private readonly perToken = new Map<string, number>();
  private recheckTimer?: NodeJS.Timeout;
  /** The re-check round running now, if any (shutdown waits for it: it may be querying Postgres). */
  private rechecking?: Promise<void>;
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly credentials: CredentialCheck,
  ) {}

  /**
   * The response body for one client. With an owner, the stream counts against its token (429
   * `request/rate_limited` when it holds SSE_MAX_STREAMS_PER_TOKEN already) and ends when its
   * credential stops being valid.
   */
  open(source: SseSource, owner?: SseStreamOwner): SseStream {
    const cap = this.config.sseMaxStreamsPerToken;
    if (owner && cap > 0 && (this.perToken.get(owner.tokenId) ?? 0) >= cap) {
      throw new RateLimitedError(
        `this token holds ${cap} open event streams already, the most one token may hold; close one first`,
        STREAM_CAP_RETRY_AFTER_S,
        { limit: cap, class: 'event_streams' },
      );
    }
    const stream = new SseStream(source, {
      heartbeatMs: this.config.sseHeartbeatMs,
      onError: (err) =>
        this.logger.error(`event stream failed; the client will resume: ${err instanceof Error ? err.stack : err}`),
    });
    if (this.closing) {
      stream.finish();
      return stream;
    }
    this.streams.add(stream);
    if (owner) {
      this.owners.set(stream, owner);
      this.perToken.set(owner.tokenId, (this.perToken.get(owner.tokenId) ?? 0) + 1);
      this.recheckTimer ??= setInterval(() => {
        if (this.rechecking || this.closing) return;
        this.rechecking = this.recheck().finally(() => (this.rechecking = undefined));
      }, CREDENTIAL_RECHECK_MS).unref();
    }
    stream.once('close', () => this.forget(stream));
    return stream;
  }

  /** Streams open right now (for tests and metrics). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Streams one token holds open right now. */
  openStreamsOf(tokenId: string): number {
    return this.perToken.get(tokenId) ?? 0;
  }

  /**
   * Runs before Prisma disconnects (its module is global, so its hooks run last): every source has
   * stopped querying by the time the pool closes.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.recheckTimer);
    await Promise.all([this.rechecking, ...[...this.streams].map((stream) => stream.shutdown(SHUTDOWN_GRACE_MS))]);
  }

  private forget(stream: SseStream): void {
    this.streams.delete(stream);
    const owner = this.owners.get(stream);
    if (!owner) return;
    this.owners.delete(stream);
    const left = (this.perToken.get(owner.tokenId) ?? 1) - 1;
    if (left > 0) this.perToken.set(owner.tokenId, left);
    else this.perToken.delete(owner.tokenId);
    if (this.owners.size === 0) {
      clearInterval(this.recheckTimer);
      this.recheckTimer = undefined;
    }
  }

  /**
   * Verifies each distinct credential of the open streams once (from the token cache when warm) and
   * ends the streams of those no longer valid. One that cannot be verified right now (Postgres
   * down) keeps its streams until a later round can tell; their own queries fail meanwhile anyway.
   */
  private async recheck(): Promise<void> {
    const byCredential = new Map<string, SseStream[]>();
    for (const [stream, owner] of this.owners) {
      const list = byCredential.get(owner.authorization) ?? [];
      list.push(stream);
      byCredential.set(owner.authorization, list);
    }
    const pending = [...byCredential];
    const checkNext = async (): Promise<void> => {
      for (let next = pending.shift(); next; next = pending.shift()) {
        const [authorization, streams] = next;
        let valid: boolean;
        try {
          valid = await this.credentials.isStillValid(authorization);
        } catch (err) {
          this.logger.warn(`could not re-check the token of ${streams.length} event stream(s): ${String(err)}`);
          continue;
        }
        if (valid) continue;
        for (const stream of streams) {
          // Counted out now, so a client reconnecting at once is judged on its new request alone.
          this.forget(stream);
          void stream.shutdown(SHUTDOWN_GRACE_MS, 'the token of this stream was revoked or has expired');
        }
      }
    };
    // A few at a time: cold tokens cost a query each, and requests share the pool.
    await Promise.all(Array.from({ length: Math.min(RECHECK_CONCURRENCY, pending.length) }, checkNext));
  }
}

/** Turns the `SseSource` a route returns into the response: SSE headers, then the frames as they come. */
@Injectable()
export class SseInterceptor implements NestInterceptor {
  constructor(private readonly responder: SseResponder) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<StreamableFile> {
    const http = context.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<{ user?: AuthContext; headers: Record<string, string | string[] | undefined> }>();
    return next.handle().pipe(
      map((source: unknown) => {
        if (typeof source !== 'function') {
          throw new TypeError(`an @EventStream() route must return an SseSource, not ${typeof source}`);
        }
        const authorization = credentialOf(request);
        const owner =
          request.user && authorization !== undefined ? { tokenId: request.user.tokenId, authorization } : undefined;
        let stream: SseStream;
        try {
          stream = this.responder.open(source as SseSource, owner);
        } catch (err) {
          if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
          throw err;
        }
        // Only now, past guards, pipes, the handler and the stream cap: an error before this answers
        // the usual JSON body.
        void reply.headers(SSE_HEADERS);
        // StreamableFile: Nest hands the stream to Fastify as it is, which pipes it to the socket
        // with backpressure and destroys it when the client goes away.
        return new StreamableFile(stream, { type: SSE_HEADERS['content-type'] });
      }),
    );
  }
}

export interface EventStreamOptions {
  /** What the frames carry and how to resume; shown on the 200 response in the OpenAPI document. */
  description: string;
  /** An example of the stream's text. */
  example?: string;
}

/**
 * Marks a route whose handler returns an `SseSource`: answers `text/event-stream` with heartbeats,
 * backpressure, and shutdown handling, and documents it. The module of the controller must import
 * `SseModule`. Controllers stay free of Fastify types (CONVENTIONS C15).
 */
export function EventStream(options: EventStreamOptions) {
  return applyDecorators(
    UseInterceptors(SseInterceptor),
    ApiHeader({
      name: 'last-event-id',
      required: false,
      description: 'The `id` of the last frame received, to resume after it (sent by EventSource on reconnect).',
      schema: { type: 'string', pattern: '^\\d+$' },
    }),
    ApiOkResponse({
      description: options.description,
      content: {
        'text/event-stream': { schema: { type: 'string' }, ...(options.example ? { example: options.example } : {}) },
      },
    }),
  );
}

/** Import into the module whose controllers use `@EventStream()`. */
@Module({ providers: [SseResponder, SseInterceptor], exports: [SseResponder, SseInterceptor] })
export class SseModule {}
