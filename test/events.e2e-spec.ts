import { TestApp, expectErrorBody } from '@heddle/testing';

describe('GET /api/events', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1' } });
  });

  afterAll(() => t.close());

  it('pages the team log in seq order with after/limit and filters by type and host', async () => {
    const team = await t.createTeam();
    for (const maxTurns of [1, 2, 3]) {
      await t.request('PATCH', '/api/team', {
        token: team.token,
        body: { settings: { defaultBudgets: { maxTurns } } },
      });
    }
    const host = (
      await t.request('POST', '/api/hosts', {
        token: team.token,
        body: { name: 'h', baseUrl: 'http://127.0.0.1:9', workspaceRoots: ['/srv'], enabled: false },
      })
    ).body.id;

    const all = await t.request('GET', '/api/events?limit=100', { token: team.token });
    expect(all.status).toBe(200);
    expect(all.body.items.map((e: any) => e.type)).toEqual([
      'TEAM_CREATED',
      'TEAM_UPDATED',
      'TEAM_UPDATED',
      'TEAM_UPDATED',
      'HOST_REGISTERED',
    ]);
    expect(all.body.items.map((e: any) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(all.body.nextAfter).toBe(5);
    expect(all.body.items[4]).toEqual({
      id: expect.any(String),
      seq: 5,
      type: 'HOST_REGISTERED',
      teamId: team.teamId,
      taskId: null,
      hostId: host,
      time: expect.any(String),
      data: expect.objectContaining({ name: 'h' }),
    });

    const page1 = await t.request('GET', '/api/events?limit=2', { token: team.token });
    expect(page1.body.items.map((e: any) => e.seq)).toEqual([1, 2]);
    const page2 = await t.request('GET', `/api/events?limit=2&after=${page1.body.nextAfter}`, { token: team.token });
    expect(page2.body.items.map((e: any) => e.seq)).toEqual([3, 4]);
    const caughtUp = await t.request('GET', '/api/events?after=5', { token: team.token });
    expect(caughtUp.body).toEqual({ items: [], nextAfter: 5 });

    const updates = await t.request('GET', '/api/events?type=TEAM_UPDATED&after=2', { token: team.token });
    expect(updates.body.items.map((e: any) => e.seq)).toEqual([3, 4]);
    const byHost = await t.request('GET', `/api/events?hostId=${host}`, { token: team.token });
    expect(byHost.body.items.map((e: any) => e.type)).toEqual(['HOST_REGISTERED']);
  });

  it("never shows another team's events", async () => {
    const a = await t.createTeam();
    const b = await t.createTeam();
    await t.request('PATCH', '/api/team', { token: a.token, body: { name: `${a.name}-renamed` } });
    const seen = await t.request('GET', '/api/events?limit=100', { token: b.token });
    expect(seen.body.items.every((e: any) => e.teamId === b.teamId)).toBe(true);
    expect(seen.body.items.map((e: any) => e.type)).toEqual(['TEAM_CREATED']);
  });

  it('needs events:read and validates its query', async () => {
    const team = await t.createTeam();
    const noScope = await t.createToken(team, ['tasks:read']);
    expectErrorBody(await t.request('GET', '/api/events', { token: noScope }), 403, 'auth/missing_scope');
    for (const query of ['after=-1', 'limit=0', 'limit=101', 'type=NOPE', 'hostId=not-a-uuid', 'after=abc']) {
      expectErrorBody(
        await t.request('GET', `/api/events?${query}`, { token: team.token }),
        400,
        'request/validation_failed',
      );
    }
  });
});
