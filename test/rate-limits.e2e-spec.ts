import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisThrottlerStorage } from '@heddle/limits';
import {
  RedisServer,
  TestApp,
  TestResponse,
  TestTeam,
  expectErrorBody,
  startRedisServer,
  waitFor,
} from '@heddle/testing';

/**
 * Request rate limits (RATE_LIMIT_*): per token after authentication, reads and writes apart; per
 * client address for routes without a token and for failed authentications; never the health probes;
 * counted in Redis across replicas, and per process — without waiting — while Redis is down.
 */

jest.setTimeout(60_000);

const WINDOW_MS = 60_000;
const LIMITS = {
  RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
  RATE_LIMIT_READS: '5',
  RATE_LIMIT_WRITES: '3',
  RATE_LIMIT_ANONYMOUS: '3',
  RATE_LIMIT_AUTH_FAILURES: '4',
};

let addresses = 0;
/** A client address of its own (Fastify trusts `X-Forwarded-For`), so cases never share one. */
const newAddress = () => `198.51.100.${++addresses}`;
const from = (address: string) => ({ 'x-forwarded-for': address });

/** Asserts the 429: error body, `Retry-After` within the window, details naming the limit. */
function expectRateLimited(res: TestResponse, limit: number, limitClass: string): void {
  expectErrorBody(res, 429, 'request/rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
  expect(res.body.details).toEqual({
    limit,
    windowSeconds: WINDOW_MS / 1000,
    class: limitClass,
    retryAfterSeconds: retryAfter,
  });
}

async function times(n: number, request: () => Promise<TestResponse>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await request()).status);
  return statuses;
}

describe('rate limits (e2e)', () => {
  let t: TestApp;
  let team: TestTeam;

  beforeAll(async () => {
    t = await TestApp.create({ env: LIMITS });
    team = await t.createTeam('limits');
  });

  afterAll(() => t.close());

  const me = (token: string, headers: Record<string, string> = {}) => t.request('GET', '/api/me', { token, headers });

  it('answers the read over RATE_LIMIT_READS of a token 429 with Retry-After; other tokens are unaffected', async () => {
    const token = await t.createToken(team, []);
    expect(await times(5, () => me(token))).toEqual([200, 200, 200, 200, 200]);
    expectRateLimited(await me(token), 5, 'read');
    expectRateLimited(await t.request('GET', '/api/me', { token }), 5, 'read');

    // Another token of the same team (and the same address) has its own budget.
    const other = await t.createToken(team, []);
    expect((await me(other)).status).toBe(200);
    // Counted by token, not by address: the same token from elsewhere is still over.
    expectRateLimited(await me(token, from(newAddress())), 5, 'read');
  });

  it('counts writes apart from reads, across routes', async () => {
    const token = await t.createToken(team, ['admin', 'tasks:read']);
    const write = () =>
      t.request('POST', '/api/tokens', {
        token,
        body: { name: `w-${randomUUID().slice(0, 8)}`, scopes: ['tasks:read'] },
      });
    expect(await times(3, write)).toEqual([201, 201, 201]);
    expectRateLimited(await write(), 3, 'write');
    // A write to another route counts against the same budget.
    expectRateLimited(await t.request('DELETE', `/api/tokens/${randomUUID()}`, { token }), 3, 'write');
    // Reads still have theirs.
    expect((await t.request('GET', '/api/tokens', { token })).status).toBe(200);
  });

  it('counts failed authentications against the client address: 401 up to the limit, then 429', async () => {
    const address = newAddress();
    const bad = `hdl_${'z'.repeat(8)}_${'x'.repeat(43)}`;
    const attempts = [
      () => me(bad, from(address)),
      () => t.request('GET', '/api/me', { headers: from(address) }), // no token at all
      () => t.request('GET', '/api/me', { headers: { ...from(address), authorization: 'Bearer nonsense' } }),
      () => me(`hdl_${randomUUID().slice(0, 8)}_${'y'.repeat(43)}`, from(address)),
    ];
    for (const attempt of attempts) expectErrorBody(await attempt(), 401);
    expectRateLimited(await me(bad, from(address)), 4, 'auth_failure');
    expectRateLimited(await t.request('GET', '/api/tasks', { headers: from(address) }), 4, 'auth_failure');

    // Another address still gets its 401; a valid token from the blocked address still works.
    expectErrorBody(await me(bad, from(newAddress())), 401);
    expect((await me(await t.createToken(team, []), from(address))).status).toBe(200);
  });

  it('does not let a client pick its address with X-Forwarded-For unless TRUST_PROXY trusts its peer', async () => {
    // The default trusts loopback and private peers (an ingress); with TRUST_PROXY=false the peer
    // address counts, however the client fills the header.
    const untrusting = await TestApp.create({ env: { ...LIMITS, TRUST_PROXY: 'false' } });
    try {
      const bad = `hdl_${'q'.repeat(8)}_${'x'.repeat(43)}`;
      const statuses = await times(5, () =>
        untrusting.request('GET', '/api/me', { token: bad, headers: from(newAddress()) }),
      );
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
    } finally {
      await untrusting.close();
    }
  });

  it('limits routes without a token by address, but never the health probes', async () => {
    const address = newAddress();
    const metrics = () => t.request('GET', '/metrics', { headers: from(address) });
    expect(await times(3, metrics)).toEqual([200, 200, 200]);
    expectRateLimited(await metrics(), 3, 'anonymous');
    expect((await t.request('GET', '/metrics', { headers: from(newAddress()) })).status).toBe(200);

    const probes = await times(20, () => t.request('GET', '/healthz', { headers: from(address) }));
    expect(probes.every((s) => s === 200)).toBe(true);
    const ready = await times(8, () => t.request('GET', '/readyz', { headers: from(address) }));
    expect(ready.every((s) => s === 200)).toBe(true);
  });

  it('shares the counters between replicas through Redis', async () => {
    const replica = await TestApp.create({ env: { ...LIMITS, QUEUE_PREFIX: t.config.queuePrefix } });
    try {
      const token = await t.createToken(team, []);
      expect(await times(3, () => me(token))).toEqual([200, 200, 200]);
      expect(await times(2, () => replica.request('GET', '/api/me', { token }))).toEqual([200, 200]);
      expectRateLimited(await replica.request('GET', '/api/me', { token }), 5, 'read');
      expectRateLimited(await me(token), 5, 'read');
      expect(t.get(RedisThrottlerStorage).shared).toBe(true);
    } finally {
      await replica.close();
    }
  });

  it('turns a class off with 0, and every class with RATE_LIMIT_ENABLED=false', async () => {
    const loose = await TestApp.create({ env: { ...LIMITS, RATE_LIMIT_READS: '0' } });
    const off = await TestApp.create({ env: { ...LIMITS, RATE_LIMIT_ENABLED: 'false' } });
    try {
      const token = await loose.createToken(await loose.createTeam('loose'), ['admin']);
      expect((await times(12, () => loose.request('GET', '/api/me', { token }))).every((s) => s === 200)).toBe(true);
      const writes = await times(4, () => loose.request('DELETE', `/api/tokens/${randomUUID()}`, { token }));
      expect(writes).toEqual([404, 404, 404, 429]);

      const address = newAddress();
      const unlimited = await times(12, () => off.request('GET', '/api/me', { token: 'nope', headers: from(address) }));
      expect(unlimited.every((s) => s === 401)).toBe(true);
    } finally {
      await Promise.all([loose.close(), off.close()]);
    }
  });
});

describe('rate limits while Redis is down (e2e)', () => {
  let redis: RedisServer;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    t = await TestApp.create({ env: { ...LIMITS, REDIS_URL: redis.url } });
  });

  afterAll(async () => {
    if (!redis.running()) await redis.start();
    await t.close();
    await redis.stop();
  });

  it('counts in Redis, keeps answering in milliseconds (counting per process) while it is down, and shares again after', async () => {
    const team = await t.createTeam('redis-down');
    const first = await t.createToken(team, []);
    expect((await t.request('GET', '/api/me', { token: first })).status).toBe(200);
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys(`${t.config.queuePrefix}:rl:*`);
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }

    await redis.kill();
    const token = await t.createToken(team, []);
    const elapsed: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      statuses.push((await t.request('GET', '/api/me', { token })).status);
      elapsed.push(performance.now() - started);
    }
    // Limits still hold (in this process) and no request waited for Redis.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Math.max(...elapsed)).toBeLessThan(500);
    expect(t.get(RedisThrottlerStorage).shared).toBe(false);
    // Failed authentications too.
    const address = newAddress();
    const failures: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      failures.push((await t.request('GET', '/api/me', { headers: from(address) })).status);
      expect(performance.now() - started).toBeLessThan(500);
    }
    expect(failures).toEqual([401, 401, 401, 401, 429]);

    await redis.start();
    const after = await t.createToken(team, []);
    await waitFor(
      async () => (await t.request('GET', '/api/me', { token: after })).status,
      () => t.get(RedisThrottlerStorage).shared,
      { timeoutMs: 10_000, intervalMs: 200, what: 'the limits to count in Redis again' },
    );
  });
});
