import { randomBytes } from 'node:crypto';
import { TestApp, TestTeam, expectErrorBody, waitFor } from '@heddle/testing';

/** Token lifecycle through the real app: issue, use, list, page, revoke (on this and another replica), expire. */

const TOKEN_SHAPE = /^hdl_[a-z0-9]{8}_[A-Za-z0-9_-]{32,128}$/;
const HOUR = 60 * 60 * 1000;

const prefixOf = (token: string) => token.slice(4, 12);

describe('tokens (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.create();
  });
  afterAll(() => t.close());

  async function createToken(team: TestTeam, body: Record<string, unknown>, headers?: Record<string, string>) {
    return t.request('POST', '/api/tokens', { token: team.token, body, headers });
  }

  async function listAll(team: TestTeam) {
    const res = await t.request('GET', '/api/tokens?limit=100', { token: team.token });
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, unknown>>;
  }

  it('POST /api/tokens answers the whole token once, and the token works on /api/me', async () => {
    const team = await t.createTeam();
    const res = await createToken(team, { name: 'ci', scopes: ['tasks:read', 'tasks:write'] });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'ci',
      prefix: expect.any(String),
      scopes: ['tasks:read', 'tasks:write'],
      expiresAt: null,
      lastUsedAt: null,
      createdAt: expect.any(String),
      token: expect.stringMatching(/^hdl_[a-z0-9]{8}_/),
    });
    expect(res.body.token).toMatch(TOKEN_SHAPE);
    expect(res.body.prefix).toBe(prefixOf(res.body.token));

    const me = await t.request('GET', '/api/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      teamId: team.teamId,
      teamName: team.name,
      tokenId: res.body.id,
      scopes: ['tasks:read', 'tasks:write'],
    });
  });

  it('GET /api/tokens lists the new token as a page, never with its secret or hash', async () => {
    const team = await t.createTeam();
    const created = await createToken(team, { name: 'listed', scopes: ['events:read'] });
    expect(created.status).toBe(201);

    const res = await t.request('GET', '/api/tokens', { token: team.token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
    expect(res.body.nextCursor).toBeNull();
    const item = (res.body.items as Array<Record<string, unknown>>).find((i) => i.id === created.body.id);
    expect(item).toEqual({
      id: created.body.id,
      name: 'listed',
      prefix: created.body.prefix,
      scopes: ['events:read'],
      expiresAt: null,
      lastUsedAt: null,
      createdAt: created.body.createdAt,
    });
    for (const i of res.body.items as Array<Record<string, unknown>>) {
      expect(i).not.toHaveProperty('token');
      expect(i).not.toHaveProperty('secretHash');
    }
    const secret = (created.body.token as string).slice(13);
    expect(JSON.stringify(res.body)).not.toContain(secret);
  });

  it('DELETE /api/tokens/{id} revokes: 204, then 401 on this app at once, gone from the list, and a second revoke is 404', async () => {
    const team = await t.createTeam();
    const created = await createToken(team, { name: 'doomed', scopes: ['tasks:read'] });
    const token = created.body.token as string;
    expect((await t.request('GET', '/api/me', { token })).status).toBe(200); // warm in this app's cache

    const del = await t.request('DELETE', `/api/tokens/${created.body.id}`, { token: team.token });
    expect(del.status).toBe(204);
    expect(del.body).toBe('');

    const after = await t.request('GET', '/api/me', { token });
    expectErrorBody(after, 401, /^auth\/(token_revoked|invalid_token)$/);

    expect((await listAll(team)).map((i) => i.id)).not.toContain(created.body.id);

    const again = await t.request('DELETE', `/api/tokens/${created.body.id}`, { token: team.token });
    expectErrorBody(again, 404, 'token/not_found');
  });

  it('a token with expiresAt one hour ahead works until the clock passes it, then answers 401 auth/token_expired', async () => {
    const team = await t.createTeam();
    const expiresAt = new Date(t.clock.now().getTime() + HOUR);
    const created = await createToken(team, {
      name: 'short-lived',
      scopes: ['tasks:read'],
      expiresAt: expiresAt.toISOString(),
    });
    expect(created.status).toBe(201);
    expect(created.body.expiresAt).toBe(expiresAt.toISOString());
    const token = created.body.token as string;

    expect((await t.request('GET', '/api/me', { token })).status).toBe(200);

    t.clock.advance(2 * HOUR);
    expectErrorBody(await t.request('GET', '/api/me', { token }), 401, 'auth/token_expired');
    // The owner token has no expiry and is unaffected.
    expect((await t.request('GET', '/api/me', { token: team.token })).status).toBe(200);
  });

  it('refuses an expiresAt in the past (or not a date) with 400', async () => {
    const team = await t.createTeam();
    const past = new Date(t.clock.now().getTime() - 60_000).toISOString();
    const res = await createToken(team, { name: 'stale', scopes: ['tasks:read'], expiresAt: past });
    expectErrorBody(res, 400);
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'expiresAt' })]));

    const notDate = await createToken(team, { name: 'stale', scopes: ['tasks:read'], expiresAt: 'next tuesday' });
    expectErrorBody(notDate, 400, 'request/validation_failed');
    expect(notDate.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'expiresAt' })]));

    expect((await listAll(team)).map((i) => i.name)).not.toContain('stale');
  });

  it('a token cannot mint a scope it lacks (tasks:write, platform:admin), but can mint the ones it has', async () => {
    const team = await t.createTeam();
    const limited = await t.createToken(team, ['admin', 'tasks:read']);
    const asLimited = (scopes: string[]) =>
      t.request('POST', '/api/tokens', { token: limited, body: { name: 'escalate', scopes } });

    const write = await asLimited(['tasks:write']);
    expectErrorBody(write, 403, 'auth/missing_scope');
    expect(write.body.message).toContain('tasks:write');
    expect(write.body.details).toEqual({ missing: ['tasks:write'] });

    const mixed = await asLimited(['tasks:read', 'tasks:write']);
    expectErrorBody(mixed, 403, 'auth/missing_scope');
    expect(mixed.body.details).toEqual({ missing: ['tasks:write'] });

    const platform = await asLimited(['platform:admin']);
    expectErrorBody(platform, 403, 'auth/missing_scope');
    expect(platform.body.message).toContain('platform:admin');

    // Not even the team owner (every team scope) holds the operator's scope.
    const owner = await createToken(team, { name: 'escalate', scopes: ['platform:admin'] });
    expectErrorBody(owner, 403, 'auth/missing_scope');
    expect(owner.body.message).toContain('platform:admin');

    expect((await listAll(team)).map((i) => i.name)).not.toContain('escalate');

    const allowed = await asLimited(['tasks:read']);
    expect(allowed.status).toBe(201);
    expect(allowed.body.scopes).toEqual(['tasks:read']);
  });

  it('pages the list with limit and cursor: newest first, no duplicates, nothing missed', async () => {
    const team = await t.createTeam();
    const me = await t.request('GET', '/api/me', { token: team.token });
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await createToken(team, { name: `page-${i}`, scopes: ['tasks:read'] });
      expect(res.status).toBe(201);
      created.push(res.body.id);
    }
    // The owner token plus five: three pages of two.
    const expected = [...created].reverse().concat(me.body.tokenId);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/tokens?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.request('GET', url, { token: team.token });
      expect(res.status).toBe(200);
      pageSizes.push(res.body.items.length);
      seen.push(...(res.body.items as Array<{ id: string }>).map((i) => i.id));
      cursor = res.body.nextCursor;
      expect(pageSizes.length).toBeLessThanOrEqual(10);
    } while (cursor);

    expect(pageSizes).toEqual([2, 2, 2]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
    expect((await listAll(team)).map((i) => i.id)).toEqual(expected);
  });

  it('refuses a cursor it did not hand out, and a limit outside 1..100, with 400', async () => {
    const team = await t.createTeam();
    const notOurs = Buffer.from(JSON.stringify({ position: 3 })).toString('base64url');
    for (const cursor of ['not-a-cursor', notOurs]) {
      const res = await t.request('GET', `/api/tokens?cursor=${cursor}`, { token: team.token });
      expectErrorBody(res, 400, 'request/invalid_cursor');
    }
    for (const limit of ['0', '101', '-1', 'abc', '1.5']) {
      const res = await t.request('GET', `/api/tokens?limit=${limit}`, { token: team.token });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'limit' })]));
    }
    for (const limit of ['1', '100']) {
      expect((await t.request('GET', `/api/tokens?limit=${limit}`, { token: team.token })).status).toBe(200);
    }
  });

  it('writes audit rows for token.create and token.revoke, with actor, target and request id', async () => {
    const team = await t.createTeam();
    const created = await createToken(
      team,
      { name: 'audited', scopes: ['tasks:read'] },
      { 'x-request-id': `create-${team.teamId}` },
    );
    expect(created.status).toBe(201);
    const revoked = await t.request('DELETE', `/api/tokens/${created.body.id}`, {
      token: team.token,
      headers: { 'x-request-id': `revoke-${team.teamId}` },
    });
    expect(revoked.status).toBe(204);

    const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
    expect(audit.status).toBe(200);
    const rows = audit.body.items as Array<Record<string, unknown>>;
    const actor = `token:${prefixOf(team.token)}`;
    expect(rows.filter((r) => r.targetId === created.body.id).map((r) => r.action)).toEqual([
      'token.revoke',
      'token.create',
    ]);
    expect(rows.find((r) => r.action === 'token.create' && r.targetId === created.body.id)).toMatchObject({
      actor,
      targetType: 'token',
      requestId: `create-${team.teamId}`,
      details: { name: 'audited', prefix: created.body.prefix, scopes: ['tasks:read'] },
    });
    expect(rows.find((r) => r.action === 'token.revoke' && r.targetId === created.body.id)).toMatchObject({
      actor,
      targetType: 'token',
      requestId: `revoke-${team.teamId}`,
      details: { prefix: created.body.prefix },
    });
  });

  it('answers 401 to a malformed bearer, a non-bearer scheme, an unknown token and a wrong secret', async () => {
    const team = await t.createTeam();
    const malformed = await t.request('GET', '/api/me', { headers: { authorization: 'Bearer foo' } });
    expectErrorBody(malformed, 401, 'auth/invalid_token');

    const basic = await t.request('GET', '/api/me', {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expectErrorBody(basic, 401);

    const unknown = `hdl_${'zz'}${randomBytes(3).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    expect(unknown).toMatch(TOKEN_SHAPE);
    expectErrorBody(await t.request('GET', '/api/me', { token: unknown }), 401, 'auth/invalid_token');

    const wrongSecret = `hdl_${prefixOf(team.token)}_${randomBytes(32).toString('base64url')}`;
    expectErrorBody(await t.request('GET', '/api/me', { token: wrongSecret }), 401, 'auth/invalid_token');

    // The real token still works: the refusals were about the bearer, not the team.
    expect((await t.request('GET', '/api/me', { token: team.token })).status).toBe(200);
  });

  it('records lastUsedAt after a token is used', async () => {
    const team = await t.createTeam();
    const created = await createToken(team, { name: 'used', scopes: ['tasks:read'] });
    const find = async () => (await listAll(team)).find((i) => i.id === created.body.id);
    expect((await find())?.lastUsedAt).toBeNull();

    const before = t.clock.now().getTime();
    expect((await t.request('GET', '/api/me', { token: created.body.token })).status).toBe(200);
    const after = t.clock.now().getTime();

    // lastUsedAt is written in the background after the request; wait for it, not for a fixed time.
    const { value } = await waitFor(find, (item) => typeof item?.lastUsedAt === 'string', {
      timeoutMs: 3000,
      what: 'lastUsedAt of the used token',
    });
    const lastUsed = Date.parse(value!.lastUsedAt as string);
    expect(lastUsed).toBeGreaterThanOrEqual(before);
    expect(lastUsed).toBeLessThanOrEqual(after);
  });

  // Keep this test last. A second app in the same process takes over the process-wide registry of
  // @nestjs-cls/transactional (TransactionHost.getInstance): until the end, this file's @Transactional()
  // service methods run on the replica's Prisma client, and after the replica closes they would reopen
  // its pool and keep jest alive for the pool's idle timeout.
  it('a revoked token is refused within a second by another replica that had it cached', async () => {
    const replica = await TestApp.create();
    try {
      const team = await t.createTeam();
      const created = await createToken(team, { name: 'cached-elsewhere', scopes: ['tasks:read'] });
      const token = created.body.token as string;

      // The other replica verifies the token and keeps it warm.
      expect((await replica.request('GET', '/api/me', { token })).status).toBe(200);

      expect((await t.request('DELETE', `/api/tokens/${created.body.id}`, { token: team.token })).status).toBe(204);
      expectErrorBody(await t.request('GET', '/api/me', { token }), 401, /^auth\/(token_revoked|invalid_token)$/);

      // TOKEN_CACHE_MS defaults to 1000: the replica must flip within that, with some slack for the requests.
      const { value, elapsedMs } = await waitFor(
        () => replica.request('GET', '/api/me', { token }),
        (res) => res.status !== 200,
        { timeoutMs: 1500, intervalMs: 50, what: 'the replica refusing the revoked token' },
      );
      expectErrorBody(value, 401, /^auth\/(token_revoked|invalid_token)$/);
      expect(elapsedMs).toBeLessThanOrEqual(1500);
      // And it stays refused.
      expectErrorBody(await replica.request('GET', '/api/me', { token }), 401, /^auth\/(token_revoked|invalid_token)$/);
    } finally {
      await replica.close();
    }
  });
});
