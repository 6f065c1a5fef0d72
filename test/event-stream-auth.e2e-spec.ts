import { randomUUID } from 'node:crypto';
import { CREDENTIAL_RECHECK_MS, SseResponder } from '@heddle/platform';
import { SseClient, TestApp, TestTeam, expectErrorBody, waitFor } from '@heddle/testing';

/**
 * Event streams and the token that opened them: at most SSE_MAX_STREAMS_PER_TOKEN open at once per
 * token, and a stream ends once its token is revoked (here or on another replica) or expires,
 * within TOKEN_CACHE_MS plus the re-check interval.
 */

jest.setTimeout(60_000);

const MAX_STREAMS = 3;
const TOKEN_CACHE_MS = 1000;
/** What a stream may take beyond TOKEN_CACHE_MS to end: the re-check interval and scheduling slack. */
const MARGIN_MS = CREDENTIAL_RECHECK_MS + 750;

describe('event streams and their tokens (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      env: {
        SSE_HEARTBEAT_MS: '100',
        SSE_MAX_STREAMS_PER_TOKEN: String(MAX_STREAMS),
        TOKEN_CACHE_MS: String(TOKEN_CACHE_MS),
      },
    });
    baseUrl = await t.baseUrl();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await waitFor(
      async () => t.get(SseResponder).openStreams,
      (n) => n === 0,
      { timeoutMs: 5000, what: 'every stream of the test closed' },
    );
  });

  afterAll(() => t.close());

  async function open(token: string, path = '/api/events/stream?live=true', base = baseUrl): Promise<SseClient> {
    const client = await SseClient.open(`${base}${path}`, token);
    clients.push(client);
    return client;
  }

  const tokenIdOf = async (token: string) => (await t.request('GET', '/api/me', { token })).body.tokenId as string;

  /** A task of the team, for its own event stream. */
  async function taskOf(team: TestTeam): Promise<string> {
    const res = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: `t-${randomUUID().slice(0, 8)}`, workspace: '/srv/repos/api', goal: 'stream me' },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  it('holds a token to SSE_MAX_STREAMS_PER_TOKEN open streams: one more is a 429 error body, not a stream', async () => {
    const team = await t.createTeam('cap');
    const token = await t.createToken(team, ['events:read', 'tasks:read']);
    const taskId = await taskOf(team);
    const held = [
      await open(token),
      await open(token, `/api/tasks/${taskId}/events`), // both stream routes count
      await open(token),
    ];
    expect(held.map((c) => c.status)).toEqual([200, 200, 200]);
    expect(t.get(SseResponder).openStreamsOf(await tokenIdOf(token))).toBe(MAX_STREAMS);

    for (const path of ['/api/events/stream', `/api/tasks/${taskId}/events`]) {
      const refused = await t.request('GET', path, { token, eventStream: true });
      expectErrorBody(refused, 429, 'request/rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body.details).toMatchObject({ limit: MAX_STREAMS, class: 'event_streams' });
    }

    // Another token of the same team is not affected.
    const other = await open(team.token);
    expect(other.status).toBe(200);

    // Closing one frees its place.
    held[0]!.close();
    const id = await tokenIdOf(token);
    await waitFor(
      async () => t.get(SseResponder).openStreamsOf(id),
      (n) => n === MAX_STREAMS - 1,
      { timeoutMs: 5000, what: 'the closed stream to be counted out' },
    );
    expect((await open(token)).status).toBe(200);
  });

  it('ends a stream when its token is revoked, and the token cannot open another', async () => {
    const team = await t.createTeam('revoke');
    const token = await t.createToken(team, ['events:read']);
    const id = await tokenIdOf(token);
    const client = await open(token, '/api/events/stream');
    await client.untilFrames(1); // TEAM_CREATED: it delivers
    await client.until((c) => c.comments.includes('heartbeat'), 'a heartbeat');

    const revoked = await t.request('DELETE', `/api/tokens/${id}`, { token: team.token });
    expect(revoked.status).toBe(204);
    const started = Date.now();
    await client.ended;
    expect(Date.now() - started).toBeLessThan(TOKEN_CACHE_MS + MARGIN_MS);
    expect(client.comments.at(-1)).toMatch(/revoked or has expired/);

    const again = await t.request('GET', '/api/events/stream', { token, eventStream: true });
    expectErrorBody(again, 401, 'auth/token_revoked');
  });

  it('ends a stream within TOKEN_CACHE_MS when its token is revoked on another replica', async () => {
    const replica = await TestApp.create({ env: { TOKEN_CACHE_MS: String(TOKEN_CACHE_MS) } });
    try {
      const team = await t.createTeam('replica');
      const token = await t.createToken(team, ['events:read']);
      const id = await tokenIdOf(token);
      const client = await open(token, '/api/events/stream');
      await client.untilFrames(1);

      // Revoked through the other replica: this one learns of it when its cached token expires.
      expect((await replica.request('DELETE', `/api/tokens/${id}`, { token: team.token })).status).toBe(204);
      const started = Date.now();
      await client.ended;
      expect(Date.now() - started).toBeLessThan(TOKEN_CACHE_MS + MARGIN_MS);
    } finally {
      await replica.close();
    }
  });

  it('ends a stream when its token expires', async () => {
    const team = await t.createTeam('expiry');
    const expiresAt = new Date(t.clock.now().getTime() + 3600_000);
    const token = await t.createToken(team, ['events:read'], expiresAt);
    const client = await open(token, '/api/events/stream');
    await client.untilFrames(1);
    // Still valid: several re-checks pass and the stream stays open.
    const heartbeats = client.comments.length;
    await client.until(
      (c) => c.comments.length >= heartbeats + Math.ceil((3 * CREDENTIAL_RECHECK_MS) / 100),
      'three re-check rounds of heartbeats',
    );

    t.clock.advance(3600_000 + 1000);
    const started = Date.now();
    await client.ended;
    expect(Date.now() - started).toBeLessThan(MARGIN_MS);
    expectErrorBody(await t.request('GET', '/api/me', { token }), 401, 'auth/token_expired');
  });
});
