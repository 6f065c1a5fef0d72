import { TEAM_SCOPES } from '@heddle/common';
import { TestApp, TestTeam, expectErrorBody } from '@heddle/testing';

/** Teams through the real app: creation by the operator, reading and patching one's own team, and the audit log. */

const prefixOf = (token: string) => token.slice(4, 12);
const unique = (what: string) => `${what}-${Math.random().toString(36).slice(2, 10)}`;

interface AuditRow {
  id: string;
  actor: string;
  actorTokenId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  createdAt: string;
}

describe('teams (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.create();
  });
  afterAll(() => t.close());

  /** The operator: a token holding platform:admin, issued directly (team owner tokens never have it). */
  async function operatorToken(): Promise<{ team: TestTeam; token: string }> {
    const team = await t.createTeam('operators');
    return { team, token: await t.createToken(team, ['platform:admin']) };
  }

  /** Every audit row of the caller's team, newest first, walking the pages. */
  async function auditOf(token: string, limit = 2): Promise<AuditRow[]> {
    const rows: AuditRow[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const url: string = `/api/audit?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.request('GET', url, { token });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(limit);
      rows.push(...(res.body.items as AuditRow[]));
      cursor = res.body.nextCursor;
      if (!cursor) return rows;
    }
    throw new Error('audit log did not end within 50 pages');
  }

  describe('POST /api/teams', () => {
    it("creates a team and answers its owner token, which holds every team scope but not the operator's", async () => {
      const operator = await operatorToken();
      const name = unique('acme');
      const res = await t.request('POST', '/api/teams', { token: operator.token, body: { name } });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name,
        token: expect.stringMatching(/^hdl_[a-z0-9]{8}_/),
      });

      const me = await t.request('GET', '/api/me', { token: res.body.token });
      expect(me.status).toBe(200);
      expect(me.body.teamId).toBe(res.body.id);
      expect(me.body.teamName).toBe(name);
      expect([...me.body.scopes].sort()).toEqual([...TEAM_SCOPES].sort());
      expect(me.body.scopes).not.toContain('platform:admin');

      // The owner of the new team therefore cannot create teams.
      const again = await t.request('POST', '/api/teams', { token: res.body.token, body: { name: unique('nested') } });
      expectErrorBody(again, 403, 'auth/missing_scope');
      expect(again.body.message).toContain('platform:admin');

      const team = await t.request('GET', '/api/team', { token: res.body.token });
      expect(team.body).toMatchObject({ id: res.body.id, name, settings: {} });
    });

    it('refuses a team owner token (no platform:admin) with 403 naming the scope', async () => {
      const team = await t.createTeam();
      const res = await t.request('POST', '/api/teams', { token: team.token, body: { name: unique('nope') } });
      expectErrorBody(res, 403, 'auth/missing_scope');
      expect(res.body.message).toContain('platform:admin');
      expect(res.body.details).toEqual({ missing: ['platform:admin'] });
    });

    it('answers 409 with the error body to a name that is taken', async () => {
      const operator = await operatorToken();
      const name = unique('dup');
      expect((await t.request('POST', '/api/teams', { token: operator.token, body: { name } })).status).toBe(201);

      const dup = await t.request('POST', '/api/teams', { token: operator.token, body: { name } });
      expectErrorBody(dup, 409, 'team/name_taken');
      expect(dup.body.message).toBe(`a team named "${name}" already exists`);
      expect(dup.body.details).toEqual({ fields: ['name'] });

      // A team made another way counts too.
      const existing = await t.createTeam();
      expectErrorBody(
        await t.request('POST', '/api/teams', { token: operator.token, body: { name: existing.name } }),
        409,
        'team/name_taken',
      );
    });

    it('refuses an invalid name with 400 naming the field', async () => {
      const operator = await operatorToken();
      for (const name of ['', '-leading-dash', 'slash/inside', 'x'.repeat(101), 42]) {
        const res = await t.request('POST', '/api/teams', { token: operator.token, body: { name } });
        expectErrorBody(res, 400, 'request/validation_failed');
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['name']);
      }
    });
  });

  describe('GET /api/team', () => {
    it("answers the caller's own team, to any valid token", async () => {
      const teamA = await t.createTeam('team-a');
      const teamB = await t.createTeam('team-b');
      const scopeless = await t.createToken(teamA, []);

      for (const [token, team] of [
        [teamA.token, teamA],
        [scopeless, teamA],
        [teamB.token, teamB],
      ] as const) {
        const res = await t.request('GET', '/api/team', { token });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          id: team.teamId,
          name: team.name,
          settings: {},
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        });
      }
    });
  });

  describe('PATCH /api/team', () => {
    it('renames the team; GET /api/team and GET /api/me show the new name at once', async () => {
      const team = await t.createTeam();
      expect((await t.request('GET', '/api/me', { token: team.token })).body.teamName).toBe(team.name); // cached now
      const name = unique('renamed');

      const res = await t.request('PATCH', '/api/team', { token: team.token, body: { name } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: team.teamId, name, settings: {} });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.createdAt));

      expect((await t.request('GET', '/api/team', { token: team.token })).body.name).toBe(name);
      expect((await t.request('GET', '/api/me', { token: team.token })).body.teamName).toBe(name);
    });

    it("answers 409 to a rename onto another team's name, and keeps the old name", async () => {
      const team = await t.createTeam();
      const other = await t.createTeam();
      const res = await t.request('PATCH', '/api/team', { token: team.token, body: { name: other.name } });
      expectErrorBody(res, 409, 'team/name_taken');
      expect((await t.request('GET', '/api/team', { token: team.token })).body.name).toBe(team.name);
    });

    it('merges settings.defaultBudgets key by key: a partial update keeps the other keys', async () => {
      const team = await t.createTeam();
      const patch = async (body: unknown) => {
        const res = await t.request('PATCH', '/api/team', { token: team.token, body });
        expect(res.status).toBe(200);
        return res.body.settings;
      };

      expect(await patch({ settings: { defaultBudgets: { maxTurns: 20, maxTokens: 100000 } } })).toEqual({
        defaultBudgets: { maxTurns: 20, maxTokens: 100000 },
      });
      expect(await patch({ settings: { defaultBudgets: { maxCostUsd: 2.5 } } })).toEqual({
        defaultBudgets: { maxTurns: 20, maxTokens: 100000, maxCostUsd: 2.5 },
      });
      expect(await patch({ settings: { defaultBudgets: { maxTurns: 30, maxWallSeconds: 600 } } })).toEqual({
        defaultBudgets: { maxTurns: 30, maxTokens: 100000, maxCostUsd: 2.5, maxWallSeconds: 600 },
      });
      // A rename alone, an empty settings object and an empty patch leave settings as they are.
      expect(await patch({ name: unique('still-budgeted') })).toEqual({
        defaultBudgets: { maxTurns: 30, maxTokens: 100000, maxCostUsd: 2.5, maxWallSeconds: 600 },
      });
      expect(await patch({ settings: {} })).toEqual({
        defaultBudgets: { maxTurns: 30, maxTokens: 100000, maxCostUsd: 2.5, maxWallSeconds: 600 },
      });
      expect(await patch({})).toEqual({
        defaultBudgets: { maxTurns: 30, maxTokens: 100000, maxCostUsd: 2.5, maxWallSeconds: 600 },
      });

      const read = await t.request('GET', '/api/team', { token: team.token });
      expect(read.body.settings).toEqual({
        defaultBudgets: { maxTurns: 30, maxTokens: 100000, maxCostUsd: 2.5, maxWallSeconds: 600 },
      });
    });

    it('refuses invalid budgets with 400 naming the field, and changes nothing', async () => {
      const team = await t.createTeam();
      expect(
        (
          await t.request('PATCH', '/api/team', {
            token: team.token,
            body: { settings: { defaultBudgets: { maxTurns: 10 } } },
          })
        ).status,
      ).toBe(200);

      const invalid: Array<[Record<string, unknown>, string]> = [
        [{ maxTurns: 0 }, 'maxTurns'],
        [{ maxTurns: 10001 }, 'maxTurns'],
        [{ maxTurns: 2.5 }, 'maxTurns'],
        [{ maxTokens: 0 }, 'maxTokens'],
        [{ maxCostUsd: -1 }, 'maxCostUsd'],
        [{ maxWallSeconds: '60' }, 'maxWallSeconds'],
        [{ maxTurns: 5, unknownBudget: 1 }, 'unknownBudget'],
      ];
      for (const [defaultBudgets, field] of invalid) {
        const res = await t.request('PATCH', '/api/team', {
          token: team.token,
          body: { settings: { defaultBudgets } },
        });
        expectErrorBody(res, 400, 'request/validation_failed');
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([`settings.defaultBudgets.${field}`]);
      }
      const read = await t.request('GET', '/api/team', { token: team.token });
      expect(read.body.settings).toEqual({ defaultBudgets: { maxTurns: 10 } });
    });

    it('an empty patch changes nothing and records nothing', async () => {
      const team = await t.createTeam();
      const auditBefore = await t.request('GET', '/api/audit', { token: team.token });
      const res = await t.request('PATCH', '/api/team', { token: team.token, body: {} });
      expect(res.status).toBe(200);
      const auditAfter = await t.request('GET', '/api/audit', { token: team.token });
      expect(auditAfter.body.items).toEqual(auditBefore.body.items);
    });

    it('needs the admin scope', async () => {
      const team = await t.createTeam();
      const reader = await t.createToken(team, ['tasks:read', 'tasks:write']);
      const res = await t.request('PATCH', '/api/team', { token: reader, body: { name: unique('nope') } });
      expectErrorBody(res, 403, 'auth/missing_scope');
      expect(res.body.details).toEqual({ missing: ['admin'] });
      expect((await t.request('GET', '/api/team', { token: team.token })).body.name).toBe(team.name);
    });
  });

  describe('GET /api/audit', () => {
    it('has a row for every mutation, with who, what, target and request id, newest first', async () => {
      const operator = await operatorToken();
      const name = unique('audited');
      const created = await t.request('POST', '/api/teams', {
        token: operator.token,
        body: { name },
        headers: { 'x-request-id': 'teams-create-1' },
      });
      expect(created.status).toBe(201);
      const owner = created.body.token as string;
      const ownerTokenId = (await t.request('GET', '/api/me', { token: owner })).body.tokenId as string;

      const rename = await t.request('PATCH', '/api/team', {
        token: owner,
        body: { name: `${name}-2` },
        headers: { 'x-request-id': 'teams-rename-1' },
      });
      expect(rename.status).toBe(200);
      const budgets = await t.request('PATCH', '/api/team', {
        token: owner,
        body: { settings: { defaultBudgets: { maxTurns: 7 } } },
        headers: { 'x-request-id': 'teams-budgets-1' },
      });
      expect(budgets.status).toBe(200);
      const token = await t.request('POST', '/api/tokens', {
        token: owner,
        body: { name: 'ci', scopes: ['tasks:read'] },
        headers: { 'x-request-id': 'teams-token-1' },
      });
      expect(token.status).toBe(201);
      const revoke = await t.request('DELETE', `/api/tokens/${token.body.id}`, {
        token: owner,
        headers: { 'x-request-id': 'teams-revoke-1' },
      });
      expect(revoke.status).toBe(204);

      const rows = await auditOf(owner);
      const operatorActor = `token:${prefixOf(operator.token)}`;
      const ownerActor = `token:${prefixOf(owner)}`;
      const operatorTokenId = (await t.request('GET', '/api/me', { token: operator.token })).body.tokenId as string;
      expect(
        rows.map((r) => ({
          actor: r.actor,
          actorTokenId: r.actorTokenId,
          action: r.action,
          targetType: r.targetType,
          targetId: r.targetId,
          requestId: r.requestId,
        })),
      ).toEqual([
        {
          actor: ownerActor,
          actorTokenId: ownerTokenId,
          action: 'token.revoke',
          targetType: 'token',
          targetId: token.body.id,
          requestId: 'teams-revoke-1',
        },
        {
          actor: ownerActor,
          actorTokenId: ownerTokenId,
          action: 'token.create',
          targetType: 'token',
          targetId: token.body.id,
          requestId: 'teams-token-1',
        },
        {
          actor: ownerActor,
          actorTokenId: ownerTokenId,
          action: 'team.update',
          targetType: 'team',
          targetId: created.body.id,
          requestId: 'teams-budgets-1',
        },
        {
          actor: ownerActor,
          actorTokenId: ownerTokenId,
          action: 'team.update',
          targetType: 'team',
          targetId: created.body.id,
          requestId: 'teams-rename-1',
        },
        {
          actor: operatorActor,
          actorTokenId: operatorTokenId,
          action: 'team.create',
          targetType: 'team',
          targetId: created.body.id,
          requestId: 'teams-create-1',
        },
        {
          actor: operatorActor,
          actorTokenId: operatorTokenId,
          action: 'token.create',
          targetType: 'token',
          targetId: ownerTokenId,
          requestId: 'teams-create-1',
        },
      ]);
      expect(rows[2]!.details).toEqual({ settings: { defaultBudgets: { maxTurns: 7 } } });
      expect(rows[3]!.details).toEqual({ name: `${name}-2` });
      expect(rows[4]!.details).toEqual({ name });
      // Newest first by time as well as by order.
      const times = rows.map((r) => Date.parse(r.createdAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);

      // Paging does not change what is seen.
      expect((await auditOf(owner, 100)).map((r) => r.id)).toEqual(rows.map((r) => r.id));
    });

    it("never shows one team's rows to another, whatever the cursor", async () => {
      const teamA = await t.createTeam('team-a');
      const teamB = await t.createTeam('team-b');
      expect(
        (await t.request('PATCH', '/api/team', { token: teamA.token, body: { name: unique('a-renamed') } })).status,
      ).toBe(200);
      expect(
        (await t.request('POST', '/api/tokens', { token: teamA.token, body: { name: 'a-ci', scopes: ['tasks:read'] } }))
          .status,
      ).toBe(201);
      expect(
        (
          await t.request('PATCH', '/api/team', {
            token: teamB.token,
            body: { settings: { defaultBudgets: { maxTurns: 3 } } },
          })
        ).status,
      ).toBe(200);

      const rowsA = await auditOf(teamA.token);
      const rowsB = await auditOf(teamB.token);
      expect(rowsA.length).toBeGreaterThanOrEqual(3);
      expect(rowsB.length).toBeGreaterThanOrEqual(2);
      const idsA = new Set(rowsA.map((r) => r.id));
      expect(rowsB.filter((r) => idsA.has(r.id))).toEqual([]);
      expect(rowsB.map((r) => r.targetId)).not.toContain(teamA.teamId);
      expect(rowsB.filter((r) => r.action === 'team.update').map((r) => r.targetId)).toEqual([teamB.teamId]);

      // A's cursor in B's hands pages through B's rows only.
      const pageA = await t.request('GET', '/api/audit?limit=1', { token: teamA.token });
      expect(pageA.body.nextCursor).toEqual(expect.any(String));
      const withACursor = await t.request(
        'GET',
        `/api/audit?limit=100&cursor=${encodeURIComponent(pageA.body.nextCursor)}`,
        { token: teamB.token },
      );
      expect(withACursor.status).toBe(200);
      for (const row of withACursor.body.items as AuditRow[]) expect(idsA.has(row.id)).toBe(false);
    });

    it('needs the admin scope', async () => {
      const team = await t.createTeam();
      const reader = await t.createToken(team, ['tasks:read', 'events:read']);
      const res = await t.request('GET', '/api/audit', { token: reader });
      expectErrorBody(res, 403, 'auth/missing_scope');
      expect(res.body.details).toEqual({ missing: ['admin'] });
    });
  });
});
