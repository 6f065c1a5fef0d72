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
 * Opens the event streams of this process and ends them all when it shuts down: an open stream
 * would otherwise keep Fastify's close (and so `app.close()` and SIGTERM) waiting for good. Clients
 * see the stream end and reconnect (elsewhere) with `Last-Event-ID`.
 */
@Injectable()
export class SseResponder implements OnModuleDestroy {
  private readonly logger = new Logger('EventStream');
  private readonly streams = new Set<SseStream>();
  private closing = false;

  constructor(private readonly config: AppConfig) {}

  /** The response body for one client. */
  open(source: SseSource): SseStream {
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
    stream.once('close', () => this.streams.delete(stream));
    return stream;
  }

  /** Streams open right now (for tests and metrics). */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * Runs before Prisma disconnects (its module is global, so its hooks run last): every source has
   * stopped querying by the time the pool closes.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.streams].map((stream) => stream.shutdown(SHUTDOWN_GRACE_MS)));
  }
}

/** Turns the `SseSource` a route returns into the response: SSE headers, then the frames as they come. */
@Injectable()
export class SseInterceptor implements NestInterceptor {
  constructor(private readonly responder: SseResponder) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<StreamableFile> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((source: unknown) => {
        if (typeof source !== 'function') {
          throw new TypeError(`an @EventStream() route must return an SseSource, not ${typeof source}`);
        }
        // Only now, past guards, pipes and the handler: an error before this answers the usual JSON body.
        void reply.headers(SSE_HEADERS);
        // StreamableFile: Nest hands the stream to Fastify as it is, which pipes it to the socket
        // with backpressure and destroys it when the client goes away.
        return new StreamableFile(this.responder.open(source as SseSource), { type: SSE_HEADERS['content-type'] });
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
