import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { AppConfig } from '@heddle/config';

/** What `ThrottlerStorage.increment` resolves to (the package does not export the type by name). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Longest a request may wait for Redis to count it; past this it is counted in memory instead. */
export const LIMITS_COMMAND_TIMEOUT_MS = 150;
/** After a command failed or timed out, how long Redis is left alone before it is tried again. */
const RETRY_AFTER_FAILURE_MS = 1000;

/**
 * One atomic step of a fixed-window counter: count the hit, start the window on the first one (or
 * on a key that somehow lost its expiry), and report whether the caller is over the limit — or
 * still inside a block that an earlier excess started (when the throttler asks for one).
 * KEYS: counter, block marker. ARGV: window ms, limit, block ms. Returns hits, window ms left,
 * blocked (0/1), block ms left.
 */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return {hits, ttl, 1, blocked}
end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', block)
    return {hits, ttl, 1, block}
  end
  return {hits, ttl, 1, ttl}
end
return {hits, ttl, 0, 0}
`;

type LimitsRedis = Redis & {
  heddleRateLimitIncrement(
    counter: string,
    block: string,
    windowMs: number,
    limit: number,
    blockMs: number,
  ): Promise<[number, number, number, number]>;
};

/**
 * `@nestjs/throttler` storage over Redis, shared by every replica, that never makes a request wait
 * on Redis: its own client has no offline queue (a command while disconnected fails at once) and a
 * short command timeout, and while Redis is unreachable each process counts in memory (the
 * throttler's own `ThrottlerStorageService`), so limits hold per process and the API keeps
 * answering in milliseconds. The outage is logged once, and its end once.
 *
 * Keys are `<QUEUE_PREFIX>:rl:{<throttler>:<tracker>}`; the hash tag keeps a counter and its block
 * marker in one Redis Cluster slot.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('RateLimits');
  private readonly client: LimitsRedis;
  private readonly memory = new ThrottlerStorageService();
  private readonly prefix: string;
  private skipRedisUntil = 0;
  private outage = false;
  private connectedOnce = false;

  constructor(config: AppConfig) {
    this.prefix = `${config.queuePrefix}:rl:`;
    this.client = new Redis(config.redisUrl, {
      connectionName: 'heddle-rate-limits',
      enableOfflineQueue: false,
      commandTimeout: LIMITS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    }) as LimitsRedis;
    this.client.defineCommand('heddleRateLimitIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    // Connection errors are the outage handled below, not unhandled events.
    this.client.on('error', () => undefined);
    this.client.once('ready', () => (this.connectedOnce = true));
  }

  /** Whether hits are counted in Redis right now (false during an outage: counted per process). */
  get shared(): boolean {
    return this.client.status === 'ready' && !this.outage && Date.now() >= this.skipRedisUntil;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.client.status !== 'ready' || Date.now() < this.skipRedisUntil) {
      // Still making its first connection is no outage worth a warning.
      if (this.client.status !== 'ready' && this.connectedOnce) {
        this.enterOutage(`the connection is ${this.client.status}`);
      }
      return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    try {
      const counter = `${this.prefix}{${key}}`;
      const [hits, windowLeft, blocked, blockLeft] = await this.client.heddleRateLimitIncrement(
        counter,
        `${counter}:blocked`,
        ttl,
        limit,
        blockDuration,
      );
      this.leaveOutage();
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(windowLeft / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockLeft / 1000),
      };
    } catch (err) {
      this.skipRedisUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
      this.enterOutage(err instanceof Error ? err.message : String(err));
      return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onModuleDestroy(): void {
    this.client.disconnect();
    this.memory.onApplicationShutdown();
  }

  private enterOutage(reason: string): void {
    if (this.outage) return;
    this.outage = true;
    this.logger.warn(`Redis does not answer for rate limits (${reason}): each process counts on its own until it does`);
  }

  private leaveOutage(): void {
    if (!this.outage) return;
    this.outage = false;
    this.logger.log('Redis answers again: rate limits are shared by every process again');
  }
}
