import { Module } from '@nestjs/common';
import { ThrottlerModuleOptions, getOptionsToken, getStorageToken } from '@nestjs/throttler';
import { AppConfig } from '@heddle/config';
import { LIMIT_CLASSES, LimitClass } from './limit-class';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { RequestLimiter, limitClassOf } from './request-limiter';

/** One throttler per class whose limit is not 0 (none with RATE_LIMIT_ENABLED=false). */
export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const limits: Record<LimitClass, number> = {
    read: config.rateLimitReads,
    write: config.rateLimitWrites,
    anonymous: config.rateLimitAnonymous,
    auth_failure: config.rateLimitAuthFailures,
  };
  return {
    // The guard's X-RateLimit-* headers would name each throttler; a 429 carries Retry-After instead.
    setHeaders: false,
    throttlers: config.rateLimitEnabled
      ? LIMIT_CLASSES.filter((name) => limits[name] > 0).map((name) => ({
          name,
          limit: limits[name],
          ttl: config.rateLimitWindowMs,
          // Over the limit until the window ends (a fixed window), not blocked for a further period.
          blockDuration: 0,
          skipIf: (context) => limitClassOf(context) !== name,
        }))
      : [],
  };
}

/**
 * Request rate limits: `RequestLimiter` (the throttler guard, called by the global `ScopesGuard`)
 * over Redis storage. The throttler's option and storage tokens are provided here rather than
 * through `ThrottlerModule`, which is global: nothing else should pick them up.
 */
@Module({
  providers: [
    RedisThrottlerStorage,
    { provide: getOptionsToken(), useFactory: throttlerOptions, inject: [AppConfig] },
    { provide: getStorageToken(), useExisting: RedisThrottlerStorage },
    RequestLimiter,
  ],
  exports: [RequestLimiter, RedisThrottlerStorage],
})
export class LimitsModule {}
