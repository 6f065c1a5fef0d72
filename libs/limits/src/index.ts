export { LimitsModule, throttlerOptions } from './limits.module';
export { RequestLimiter } from './request-limiter';
export { RedisThrottlerStorage, LIMITS_COMMAND_TIMEOUT_MS } from './redis-throttler-storage';
export { LIMIT_CLASSES, tokenClassOf } from './limit-class';
export type { LimitClass } from './limit-class';
