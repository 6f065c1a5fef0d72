// Redis housekeeping shared by the bench's measurements: each run uses its own BullMQ key prefix and
// deletes everything under it afterwards, so repeated runs leave nothing in Redis.
import { Redis } from 'ioredis';

/** Deletes every key under `<prefix>:` (the run's BullMQ keys; the prefix is unique to the run). */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Jobs waiting in one BullMQ queue (its `wait` list), e.g. the harness wake-ups no worker consumed. */
export async function waitingJobs(redisUrl: string, prefix: string, queue: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await redis.llen(`${prefix}:${queue}:wait`);
  } finally {
    redis.disconnect();
  }
}
