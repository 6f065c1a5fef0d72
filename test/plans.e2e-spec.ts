// Plans (issue 12): bootstrap, draft and a host's recent workspaces, through the real app and the
// in-process fake OpenCode host. The draft against the real binary is in plans-real.e2e-spec.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OpencodeClient } from '@heddle/opencode-client';
import { parsePlan } from '@heddle/checks';
import { FakeHosts, FakeOpencode, TestApp, TestTeam, setCommandChecks, waitFor } from '@heddle/testing';

jest.setTimeout(30_000);

const CHECKLIST = 'Here is the plan:\n\n- [ ] Add the route\n- [ ] Add a test for it\n- [ ] Document it\n\nGood luck.';

describe('plans (e2e, fake host)', () => {
  let t: TestApp;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1' } });
  });
  afterAll(async () => {
    await hosts.stopAll();
    await t?.close();
  });

  async function setup(prefix: string): Promise<{ team: TestTeam; fake: FakeOpencode; hostId: string }> {
    const team = await t.createTeam(prefix);
    const { fake, hostId } = await hosts.forTeam(team);
    return { team, fake, hostId };
  }
  const direct = (fake: FakeOpencode, directory = fake.workspace) =>
    new OpencodeClient({ baseUrl: fake.baseUrl, directory, timeoutMs: 5_000 });
  /** Sessions still on the fake host, every directory. */
  const sessionsLeft = async (fake: FakeOpencode) => (await direct(fake).listAllSessions()).sessions;

  describe('POST /api/plans/bootstrap', () => {
    it('returns a starter PLAN.md and loop prompt without a host', async () => {
      const team = await t.createTeam('plan-ret');
      const token = await t.createToken(team, ['tasks:write']);
      const res = await t.request('POST', '/api/plans/bootstrap', {
        token,
        body: { title: 'Health', goal: 'Add GET /health.', items: ['Add the route', 'Test it'] },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ planFile: 'PLAN.md', promptFile: '.loop-prompt.md', written: false });
      expect(parsePlan(res.body.plan).items.map((i: { text: string }) => i.text)).toEqual(['Add the route', 'Test it']);
      expect(res.body.prompt).toContain('{{PLAN_FILE}}');
      expect(res.body.prompt).toContain('Add GET /health.');
    });

    it('writes both files into the workspace; 409 without force when they exist; force overwrites', async () => {
      const { team, fake, hostId } = await setup('plan-write');
      await setCommandChecks(t, team, true);
      const body = { hostId, workspace: fake.workspace, goal: 'Ship it', items: ['one', 'two', 'three'] };
      const res = await t.request('POST', '/api/plans/bootstrap', { token: team.token, body });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ written: true, hostId, workspace: fake.workspace });
      expect(res.body.files).toEqual([
        { path: 'PLAN.md', absolutePath: join(fake.workspace, 'PLAN.md'), overwritten: false },
        { path: '.loop-prompt.md', absolutePath: join(fake.workspace, '.loop-prompt.md'), overwritten: false },
      ]);
      expect(readFileSync(join(fake.workspace, 'PLAN.md'), 'utf8')).toBe(res.body.plan);
      expect(readFileSync(join(fake.workspace, '.loop-prompt.md'), 'utf8')).toBe(res.body.prompt);
      // The throw-away session that ran the write is gone.
      expect(await sessionsLeft(fake)).toEqual([]);

      writeFileSync(join(fake.workspace, 'PLAN.md'), '- [x] mine\n');
      const again = await t.request('POST', '/api/plans/bootstrap', { token: team.token, body });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        code: 'plan/file_exists',
        details: { files: ['PLAN.md', '.loop-prompt.md'] },
      });
      expect(again.body.message).toMatch(/force/);
      expect(readFileSync(join(fake.workspace, 'PLAN.md'), 'utf8')).toBe('- [x] mine\n');

      const forced = await t.request('POST', '/api/plans/bootstrap', {
        token: team.token,
        body: { ...body, force: true },
      });
      expect(forced.status).toBe(200);
      expect(forced.body.files.map((f: { overwritten: boolean }) => f.overwritten)).toEqual([true, true]);
      expect(readFileSync(join(fake.workspace, 'PLAN.md'), 'utf8')).toBe(forced.body.plan);
      expect(await sessionsLeft(fake)).toEqual([]);
    });

    it('writes other file names, in a subdirectory', async () => {
      const { team, fake, hostId } = await setup('plan-names');
      await setCommandChecks(t, team, true);
      const res = await t.request('POST', '/api/plans/bootstrap', {
        token: team.token,
        body: { hostId, workspace: fake.workspace, planFile: 'plans/v1.md', promptFile: 'plans/prompt.md' },
      });
      expect(res.status).toBe(200);
      expect(parsePlan(readFileSync(join(fake.workspace, 'plans/v1.md'), 'utf8')).counts.open).toBe(3);
    });

    it('a workspace outside the host roots is a 400, and nothing is asked of the host', async () => {
      const { team, fake, hostId } = await setup('plan-roots');
      await setCommandChecks(t, team, true);
      fake.clear();
      const res = await t.request('POST', '/api/plans/bootstrap', {
        token: team.token,
        body: { hostId, workspace: '/etc' },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('plan/workspace_outside_roots');
      expect(fake.requests().filter((r) => r.path.startsWith('/session'))).toEqual([]);
    });

    it('a missing workspace under the roots is a 400', async () => {
      const { team, fake, hostId } = await setup('plan-missing');
      await setCommandChecks(t, team, true);
      const res = await t.request('POST', '/api/plans/bootstrap', {
        token: team.token,
        body: { hostId, workspace: join(dirname(fake.workspace), 'nope') },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('plan/workspace_missing');
    });

    it('writing needs checks:command and the team command policy; hostId without workspace is a 400', async () => {
      const { team, fake, hostId } = await setup('plan-policy');
      const body = { hostId, workspace: fake.workspace };
      const off = await t.request('POST', '/api/plans/bootstrap', { token: team.token, body });
      expect(off.status).toBe(403);
      expect(off.body.code).toBe('plan/commands_disabled');
      await setCommandChecks(t, team, true);
      const writer = await t.createToken(team, ['tasks:write']);
      const scoped = await t.request('POST', '/api/plans/bootstrap', { token: writer, body });
      expect(scoped.status).toBe(403);
      expect(scoped.body).toMatchObject({ code: 'auth/missing_scope', details: { missing: ['checks:command'] } });
      const half = await t.request('POST', '/api/plans/bootstrap', { token: team.token, body: { hostId } });
      expect(half.status).toBe(400);
      expect(half.body.code).toBe('plan/host_and_workspace');
      expect(existsSync(join(fake.workspace, 'PLAN.md'))).toBe(false);
    });

    it("another team's host is a 404", async () => {
      const { fake, hostId } = await setup('plan-a');
      const other = await t.createTeam('plan-b');
      await setCommandChecks(t, other, true);
      const res = await t.request('POST', '/api/plans/bootstrap', {
        token: other.token,
        body: { hostId, workspace: fake.workspace },
      });
      expect(res.status).toBe(404);
    });
  });

  describe('POST /api/plans/draft', () => {
    it('returns the checklist the model answered, and deletes the session', async () => {
      const { team, fake, hostId } = await setup('draft-ok');
      fake.script(/Intent:\n[\s\S]*health endpoint/, [
        { type: 'text', text: CHECKLIST, tokens: { input: 500, output: 40 } },
      ]);
      const res = await t.request('POST', '/api/plans/draft', {
        token: team.token,
        body: { intent: 'Add a health endpoint', hostId },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        items: ['Add the route', 'Add a test for it', 'Document it'],
        hostId,
        workspace: dirname(fake.workspace),
        tokens: { input: 500, output: 40 },
      });
      expect(parsePlan(res.body.plan).counts.open).toBe(3);
      const created = fake.requests().filter((r) => r.method === 'POST' && r.path === '/session');
      expect(created).toHaveLength(1);
      // A read-only session: edits and shell denied, and only read tools offered.
      expect((created[0]!.body as { permission: unknown[] }).permission).toEqual(
        expect.arrayContaining([{ permission: 'edit', pattern: '*', action: 'deny' }]),
      );
      const prompt = fake.requests().find((r) => r.method === 'POST' && r.path.endsWith('/message'));
      expect((prompt!.body as { tools: Record<string, boolean> }).tools).toMatchObject({ write: false, bash: false });
      expect(await sessionsLeft(fake)).toEqual([]);
      expect(fake.requests().some((r) => r.method === 'DELETE' && r.path.startsWith('/session/'))).toBe(true);
    });

    it('by labels, in the workspace given', async () => {
      const team = await t.createTeam('draft-labels');
      const { fake } = await hosts.forTeam(team, { labels: ['planner'] });
      fake.script('label me', [{ type: 'text', text: CHECKLIST }]);
      const res = await t.request('POST', '/api/plans/draft', {
        token: team.token,
        body: { intent: 'label me', labels: ['planner'], workspace: fake.workspace },
      });
      expect(res.status).toBe(200);
      expect(res.body.workspace).toBe(fake.workspace);
      const none = await t.request('POST', '/api/plans/draft', {
        token: team.token,
        body: { intent: 'label me', labels: ['nobody'] },
      });
      expect(none.status).toBe(409);
      expect(none.body.code).toBe('plan/host_unavailable');
    });

    it('a reply without 3–8 items is a 502 naming why; the session is deleted', async () => {
      const { team, fake, hostId } = await setup('draft-few');
      fake.script('too short', [{ type: 'text', text: '- [ ] only one' }]);
      const res = await t.request('POST', '/api/plans/draft', {
        token: team.token,
        body: { intent: 'too short', hostId },
      });
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ code: 'plan/draft_unusable', details: { found: 1 } });
      expect(res.body.message).toMatch(/3 to 8/);
      expect(await sessionsLeft(fake)).toEqual([]);
    });

    it('past timeoutSeconds: 504, the session aborted and deleted', async () => {
      const { team, fake, hostId } = await setup('draft-slow');
      fake.script('never answers', [{ type: 'hang' }]);
      const res = await t.request('POST', '/api/plans/draft', {
        token: team.token,
        body: { intent: 'never answers', hostId, timeoutSeconds: 1 },
      });
      expect(res.status).toBe(504);
      expect(res.body.code).toBe('plan/draft_timeout');
      expect(fake.requests().some((r) => r.method === 'POST' && r.path.endsWith('/abort'))).toBe(true);
      expect(await sessionsLeft(fake)).toEqual([]);
    });

    it('past the token bound: the session is aborted (502) and deleted', async () => {
      const { team, fake, hostId } = await setup('draft-tokens');
      fake.script('many tokens', [
        { type: 'read', path: 'README.md', tokens: { input: 60_000, output: 10 } },
        { type: 'hang' },
      ]);
      const res = await t.request('POST', '/api/plans/draft', {
        token: team.token,
        body: { intent: 'many tokens', hostId, timeoutSeconds: 20 },
      });
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('plan/draft_token_limit');
      expect(fake.requests().some((r) => r.method === 'POST' && r.path.endsWith('/abort'))).toBe(true);
      expect(await sessionsLeft(fake)).toEqual([]);
    });

    it('a failing model is a 502; an unreachable host a 502; neither hostId nor labels a 400', async () => {
      const { team, fake, hostId } = await setup('draft-fail');
      fake.script('breaks', [{ type: 'fail', message: 'provider exploded' }]);
      const res = await t.request('POST', '/api/plans/draft', {
        token: team.token,
        body: { intent: 'breaks', hostId },
      });
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('plan/draft_failed');
      expect(res.body.message).toMatch(/provider exploded/);
      expect(await sessionsLeft(fake)).toEqual([]);

      const neither = await t.request('POST', '/api/plans/draft', { token: team.token, body: { intent: 'x' } });
      expect(neither.status).toBe(400);

      await fake.setUnreachable(true);
      const down = await t.request('POST', '/api/plans/draft', { token: team.token, body: { intent: 'x', hostId } });
      expect(down.status).toBe(502);
      expect(down.body.code).toBe('plan/host_error');
      await fake.setUnreachable(false);
    });

    it('needs tasks:write', async () => {
      const { team, hostId } = await setup('draft-scope');
      const reader = await t.createToken(team, ['tasks:read', 'hosts:read']);
      const res = await t.request('POST', '/api/plans/draft', { token: reader, body: { intent: 'x', hostId } });
      expect(res.status).toBe(403);
    });
  });

  describe('GET /api/hosts/{id}/workspaces', () => {
    it('lists the directories of its sessions, newest first, deduped, only under its roots', async () => {
      const { team, fake, hostId } = await setup('ws-list');
      const other = join(dirname(fake.workspace), 'other');
      mkdirSync(other, { recursive: true });
      await direct(fake).createSession({ title: 'first' });
      const archived = await direct(fake, other).createSession({ title: 'archived' });
      await direct(fake, other).archiveSession(archived.id, 1);
      await direct(fake, other).createSession({ title: 'in other' });
      await direct(fake, tmpdir()).createSession({ title: 'outside the roots' });
      // Times are in ms: let the clock move on so "newest" is strictly the newest.
      const before = Date.now();
      await waitFor(
        async () => Date.now(),
        (now) => now > before,
        { timeoutMs: 1000, intervalMs: 1, what: 'the next ms' },
      );
      await direct(fake).createSession({ title: 'newest' });

      const res = await t.request('GET', `/api/hosts/${hostId}/workspaces`, { token: team.token });
      expect(res.status).toBe(200);
      expect(res.body.items.map((w: { directory: string }) => w.directory)).toEqual([fake.workspace, other]);
      expect(res.body.items[0]).toMatchObject({ sessions: 2, lastTitle: 'newest' });
      expect(res.body.items[1]).toMatchObject({ sessions: 2 });
      expect(Date.parse(res.body.items[0].lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.items[1].lastUsedAt));

      const one = await t.request('GET', `/api/hosts/${hostId}/workspaces?limit=1`, { token: team.token });
      expect(one.body.items).toHaveLength(1);
      const bad = await t.request('GET', `/api/hosts/${hostId}/workspaces?limit=0`, { token: team.token });
      expect(bad.status).toBe(400);
    });

    it("another team's host is a 404; hosts:read is needed", async () => {
      const { team, hostId } = await setup('ws-a');
      const other = await t.createTeam('ws-b');
      expect((await t.request('GET', `/api/hosts/${hostId}/workspaces`, { token: other.token })).status).toBe(404);
      const tasksOnly = await t.createToken(team, ['tasks:read']);
      expect((await t.request('GET', `/api/hosts/${hostId}/workspaces`, { token: tasksOnly })).status).toBe(403);
    });

    it('a host that does not answer is a 502', async () => {
      const { team, fake, hostId } = await setup('ws-down');
      await fake.setUnreachable(true);
      const res = await t.request('GET', `/api/hosts/${hostId}/workspaces`, { token: team.token });
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('host/unavailable');
      await fake.setUnreachable(false);
    });
  });
});
