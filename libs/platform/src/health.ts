import { Controller, Get, Injectable, Module, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  PrismaHealthIndicator,
  TerminusModule,
} from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { Public, ServiceUnavailableError, SkipRateLimit } from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { PrismaService } from '@heddle/db';

const CHECK_TIMEOUT_MS = 1500;

/**
 * Readiness of Redis. A dedicated client with no offline queue and no retries per command, so a
 * dead Redis answers "down" at once instead of hanging the probe.
 */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private readonly client: Redis;

  constructor(
    config: AppConfig,
    private readonly indicators: HealthIndicatorService,
  ) {
    this.client = new Redis(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CHECK_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.client.on('error', () => undefined); // reported by the probe, not as an unhandled event
  }

  async pingCheck(key: string) {
    const indicator = this.indicators.check(key);
    try {
      if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
      await withTimeout(this.client.ping(), CHECK_TIMEOUT_MS);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly prismaIndicator: PrismaHealthIndicator,
    private readonly redisIndicator: RedisHealthIndicator,
    private readonly prisma: PrismaService,
  ) {}

  /** Liveness: the process answers. Never touches a dependency, so a slow database cannot get us killed. */
  @Public()
  @SkipRateLimit()
  @Get('healthz')
  liveness() {
    return { status: 'ok' };
  }

  /** Readiness: Postgres and Redis answer; 503 names the one that does not. */
  @Public()
  @SkipRateLimit()
  @Get('readyz')
  @HealthCheck()
  async readiness() {
    try {
      return await this.health.check([
        () => this.prismaIndicator.pingCheck('postgres', this.prisma, { timeout: CHECK_TIMEOUT_MS }),
        () => this.redisIndicator.pingCheck('redis'),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const result = err.getResponse() as HealthCheckResult;
      const failing = Object.keys(result.error ?? {});
      throw new ServiceUnavailableError('health/not_ready', `not ready: ${failing.join(', ')} unreachable`, result);
    }
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [RedisHealthIndicator],
})
export class HealthModule {}
