import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '@heddle/config';
import { freePort, waitFor } from '@heddle/testing';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/** The storage against the real Redis, and against none at all. */
function storageOn(redisUrl: string, prefix = `test-${randomUUID().slice(0, 8)}`): RedisThrottlerStorage {
  return new RedisThrottlerStorage(
    loadConfig({
      HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
    }),
  );
}

describe('RedisThrottlerStorage', () => {
  const storages: RedisThrottlerStorage[] = [];
  const make = (url: string, prefix?: string) => {
    const s = storageOn(url, prefix);
    storages.push(s);
    return s;
  };
  afterAll(() => storages.forEach((s) => s.onModuleDestroy()));

  /** Redis answering (the first command may race the connection, which counts in memory). */
  async function ready(storage: RedisThrottlerStorage): Promise<void> {
    await waitFor(
      () => storage.increment(`warm-${randomUUID()}`, 60_000, 10, 0, 'warm'),
      () => storage.shared,
      { timeoutMs: 5000, what: 'the storage to reach Redis' },
    );
  }

  it('counts concurrent hits atomically in a fixed window, over the limit until the window ends', async () => {
    const prefix = `test-${randomUUID().slice(0, 8)}`;
    const storage = make(process.env.REDIS_URL!, prefix);
    await ready(storage);
    const key = `k-${randomUUID()}`;
    const records = await Promise.all(Array.from({ length: 20 }, () => storage.increment(key, 60_000, 15, 0, 'read')));
    expect(records.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const over = records.filter((r) => r.isBlocked);
    expect(over).toHaveLength(5);
    for (const r of over) {
      expect(r.timeToBlockExpire).toBeGreaterThan(0);
      expect(r.timeToBlockExpire).toBeLessThanOrEqual(60);
    }
    expect(records.filter((r) => !r.isBlocked).every((r) => r.timeToBlockExpire === 0)).toBe(true);

    // A second storage (another replica) sees the same counter.
    const replica = make(process.env.REDIS_URL!, prefix);
    await ready(replica);
    expect(await replica.increment(key, 60_000, 15, 0, 'read')).toMatchObject({ totalHits: 21, isBlocked: true });
  });

  it('starts a new window when the old one ends', async () => {
    const storage = make(process.env.REDIS_URL!);
    await ready(storage);
    const key = `w-${randomUUID()}`;
    await storage.increment(key, 300, 1, 0, 'read');
    expect((await storage.increment(key, 300, 1, 0, 'read')).isBlocked).toBe(true);
    await waitFor(
      () => storage.increment(key, 300, 1, 0, 'read'),
      (r) => !r.isBlocked && r.totalHits === 1,
      { timeoutMs: 3000, intervalMs: 50, what: 'a fresh window' },
    );
  });

  it('keeps a caller blocked for blockDuration when the throttler asks for one', async () => {
    const storage = make(process.env.REDIS_URL!);
    await ready(storage);
    const key = `b-${randomUUID()}`;
    await storage.increment(key, 60_000, 1, 30_000, 'write');
    const over = await storage.increment(key, 60_000, 1, 30_000, 'write');
    expect(over).toMatchObject({ isBlocked: true, totalHits: 2 });
    expect(over.timeToBlockExpire).toBeGreaterThan(25);
    expect(over.timeToBlockExpire).toBeLessThanOrEqual(30);
  });

  it('counts in memory, without waiting, when Redis cannot be reached', async () => {
    const storage = make(`redis://127.0.0.1:${await freePort()}`);
    const key = `m-${randomUUID()}`;
    const results = [];
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      results.push(await storage.increment(key, 60_000, 3, 0, 'read'));
      expect(performance.now() - started).toBeLessThan(100);
    }
    expect(results.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
  });
});
