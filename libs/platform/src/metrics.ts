import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, Headers, Injectable, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Histogram, register } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { Public, UnauthorizedError } from '@heddle/common';
import { AppConfig } from '@heddle/config';

let defaultsCollected = false;

/** Process-wide metrics; other libs register theirs on the same default registry. */
@Injectable()
export class MetricsService {
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor() {
    if (!defaultsCollected) {
      collectDefaultMetrics({ prefix: 'heddle_' });
      defaultsCollected = true;
    }
    this.httpDuration =
      (register.getSingleMetric('heddle_http_request_duration_seconds') as Histogram<
        'method' | 'route' | 'status_code'
      >) ??
      new Histogram({
        name: 'heddle_http_request_duration_seconds',
        help: 'HTTP request latency by route pattern and status',
        labelNames: ['method', 'route', 'status_code'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      });
  }

  /** Times every request by its route pattern (not its URL, which would explode the label set). */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', async (request, reply) => {
      this.httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? '(unmatched)',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
  }

  render(): Promise<string> {
    return register.metrics();
  }
}

/** With METRICS_TOKEN set, `/metrics` wants `Authorization: Bearer <METRICS_TOKEN>`. */
export function metricsAuthorized(expected: string | undefined, authorization: string | undefined): boolean {
  if (!expected) return true;
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(expected));
}

@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Get('metrics')
  @Header('content-type', register.contentType)
  metricsText(@Headers('authorization') authorization?: string): Promise<string> {
    if (!metricsAuthorized(this.config.metricsToken, authorization)) {
      throw new UnauthorizedError('/metrics needs Authorization: Bearer <METRICS_TOKEN>', 'metrics/unauthorized');
    }
    return this.metrics.render();
  }
}

@Module({ providers: [MetricsService], controllers: [MetricsController], exports: [MetricsService] })
export class MetricsModule {}
