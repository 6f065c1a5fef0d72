import { TestApp, expectErrorBody, freePort } from '@heddle/testing';

/**
 * Readiness names the dependency that is down and answers promptly; liveness never looks at one.
 * Each describe owns its app, and the two never run side by side.
 */

/** The Redis indicator gives up after 1.5 s; allow a little for the Postgres check and the request. */
const PROMPT_MS = 2500;

describe('readiness (e2e)', () => {
  describe('with Postgres and Redis up', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await TestApp.create();
    });
    afterAll(() => t.close());

    it('GET /readyz answers 200 with both dependencies up, without a token', async () => {
      await t.createTeam(); // the database answers, and its pool is warm
      const res = await t.request('GET', '/readyz');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        info: { postgres: { status: 'up' }, redis: { status: 'up' } },
        error: {},
      });
    });

    it('GET /healthz answers 200', async () => {
      const res = await t.request('GET', '/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });
  });

  describe('with Redis unreachable', () => {
    let t: TestApp;
    let redisUrl: string;
    beforeAll(async () => {
      // A port that was just free: nothing listens there, so every connection is refused.
      redisUrl = `redis://127.0.0.1:${await freePort()}`;
      t = await TestApp.create({ env: { REDIS_URL: redisUrl } });
    });
    afterAll(() => t.close());

    it('GET /readyz answers 503 health/not_ready naming redis (not postgres), promptly', async () => {
      const team = await t.createTeam(); // Postgres still works, and its pool is warm
      expect((await t.request('GET', '/api/me', { token: team.token })).status).toBe(200);

      for (let attempt = 0; attempt < 2; attempt++) {
        const started = Date.now();
        const res = await t.request('GET', '/readyz');
        const elapsed = Date.now() - started;

        expectErrorBody(res, 503, 'health/not_ready');
        expect(res.body.message).toContain('redis');
        expect(res.body.message).not.toContain('postgres');
        expect(res.body.message).not.toContain(redisUrl); // the URL may hold a password
        expect(res.body.details).toMatchObject({
          status: 'error',
          info: { postgres: { status: 'up' } },
          error: { redis: { status: 'down' } },
        });
        expect(elapsed).toBeLessThan(PROMPT_MS);
      }
    });

    it('GET /healthz still answers 200', async () => {
      const started = Date.now();
      const res = await t.request('GET', '/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    });
  });
});
