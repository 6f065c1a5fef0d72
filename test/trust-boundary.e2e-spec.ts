import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OpencodeClient } from '@heddle/opencode-client';
import {
  FakeOpencode,
  TestApp,
  TestTeam,
  expectErrorBody,
  getTask,
  registerHost,
  setCommandChecks,
  settledTask,
  startFakeOpencode,
  waitFor,
} from '@heddle/testing';

/**
 * A host's trust boundary (docs/security.md), end to end with the fake OpenCode host: workspace
 * roots checked at dispatch on the path as the host resolves it, command checks as a scope and a
 * team policy, and evidence bounded by CHECK_EVIDENCE_MAX_BYTES. (The symlink case against the real
 * binary is in harness-real.e2e-spec.ts.)
 */
jest.setTimeout(30_000);

const EVIDENCE_MAX_BYTES = 256;

describe('trust boundary (e2e, fake host)', () => {
  let t: TestApp;
  const fakes: FakeOpencode[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_POLL_MS: '150',
        HARNESS_TURN_START_GRACE_MS: '3000',
        HARNESS_HOST_WAIT_SECONDS: '10',
        CHECK_EVIDENCE_MAX_BYTES: String(EVIDENCE_MAX_BYTES),
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(fakes.map((f) => f.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A directory outside every root used here. */
  function outsideDir(): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'heddle-outside-')));
    dirs.push(dir);
    return dir;
  }

  /** A team with a fake host whose roots are given (default: the fake's own temp dir, holding its workspace). */
  async function setup(
    name: string,
    roots?: (fake: FakeOpencode) => string[],
    host: { labels?: string[] } = {},
  ): Promise<{ team: TestTeam; fake: FakeOpencode; hostId: string }> {
    const team = await t.createTeam(name);
    const fake = await startFakeOpencode();
    fakes.push(fake);
    const hostId = await registerHost(t, team, {
      name: 'fake',
      baseUrl: fake.baseUrl,
      workspaceRoots: roots ? roots(fake) : [dirname(fake.workspace)],
      ...host,
    });
    return { team, fake, hostId };
  }

  async function createTask(team: TestTeam, body: Record<string, unknown>, token = team.token) {
    return t.request('POST', '/api/tasks', { token, body: { name: 'task', goal: 'FILE:out.txt', ...body } });
  }

  async function created(team: TestTeam, body: Record<string, unknown>): Promise<string> {
    const res = await createTask(team, body);
    if (res.status !== 201) throw new Error(`POST /api/tasks answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  }

  const sessionsCreated = (fake: FakeOpencode) =>
    fake.requests().filter((r) => r.method === 'POST' && r.path === '/session').length;

  async function eventTypes(team: TestTeam, taskId: string): Promise<string[]> {
    const res = await t.request('GET', `/api/events?taskId=${taskId}&limit=100`, { token: team.token });
    return res.body.items.map((e: { type: string }) => e.type);
  }

  describe('workspace roots', () => {
    it('a workspace inside the roots runs normally', async () => {
      const { team, fake, hostId } = await setup('roots-inside');
      const id = await created(team, { workspace: fake.workspace, hostId });
      expect(await settledTask(t, team, id)).toMatchObject({ status: 'completed' });
    });

    it('by labels: no host whose roots contain the workspace → failed workspace.outside_roots at once, no session', async () => {
      const { team, fake } = await setup('roots-labels', (f) => [f.workspace], { labels: ['roots'] });
      const outside = outsideDir();
      const id = await created(team, { workspace: outside, labels: ['roots'] });
      const task = await settledTask(t, team, id);
      expect(task).toMatchObject({
        status: 'failed',
        reason: 'workspace.outside_roots',
        hostId: null,
        sessionId: null,
      });
      expect(task.reasonDetail).toContain(outside);
      expect(task.reasonDetail).toContain(`fake: [${fake.workspace}]`);
      expect(sessionsCreated(fake)).toBe(0);
      expect(await eventTypes(team, id)).toEqual(['TASK_CREATED', 'TASK_FAILED']);
    });

    it('naming a host whose roots cannot contain the workspace is refused at once (400 naming workspace)', async () => {
      const { team, fake, hostId } = await setup('roots-named', (f) => [f.workspace]);
      const res = await createTask(team, { workspace: '/etc', hostId });
      expectErrorBody(res, 400, 'task/workspace_outside_roots');
      expect(res.body.details).toEqual([{ field: 'workspace', errors: [expect.stringContaining(fake.workspace)] }]);
      // The prefix of a root is not inside it.
      expectErrorBody(await createTask(team, { workspace: `${fake.workspace}-sibling`, hostId }), 400);
    });

    it('roots narrowed after the task was made: checked again at dispatch → failed, no session', async () => {
      const { team, fake, hostId } = await setup('roots-narrowed');
      // Disabled: the task waits for its host while the roots change.
      expect(
        (await t.request('PATCH', `/api/hosts/${hostId}`, { token: team.token, body: { enabled: false } })).status,
      ).toBe(200);
      const id = await created(team, { workspace: fake.workspace, hostId });
      await waitFor(
        () => eventTypes(team, id),
        (types) => types.includes('LOG_LINE'),
        { timeoutMs: 10_000, what: 'the task waiting for its host' },
      );
      const narrowed = await t.request('PATCH', `/api/hosts/${hostId}`, {
        token: team.token,
        body: { workspaceRoots: [join(fake.workspace, 'src')], enabled: true },
      });
      expect(narrowed.status).toBe(200);
      const task = await settledTask(t, team, id);
      expect(task).toMatchObject({ status: 'failed', reason: 'workspace.outside_roots', sessionId: null });
      expect(task.reasonDetail).toBe(
        `workspace ${fake.workspace} is outside the workspace roots of host fake [${join(fake.workspace, 'src')}]`,
      );
      expect(sessionsCreated(fake)).toBe(0);
    });

    it('a symlink inside a root that leads outside → failed workspace.outside_roots naming the resolved path, no session', async () => {
      const { team, fake, hostId } = await setup('roots-symlink-out');
      const outside = outsideDir();
      const link = join(dirname(fake.workspace), 'escape');
      symlinkSync(outside, link);
      const id = await created(team, { workspace: link, hostId });
      const task = await settledTask(t, team, id);
      expect(task).toMatchObject({ status: 'failed', reason: 'workspace.outside_roots', sessionId: null });
      expect(task.reasonDetail).toBe(
        `workspace ${link} resolves to ${outside} on host fake, outside its workspace roots [${dirname(fake.workspace)}]`,
      );
      expect(sessionsCreated(fake)).toBe(0);
      expect(fake.requests().some((r) => r.path.endsWith('/prompt_async'))).toBe(false);
      expect(await eventTypes(team, id)).toEqual(['TASK_CREATED', 'TASK_UPDATED', 'TASK_FAILED']);
      // The host is free again.
      expect((await t.request('GET', `/api/hosts/${hostId}`, { token: team.token })).body.activeSessions).toBe(0);
    });

    it('a symlink that stays inside the roots runs normally', async () => {
      const { team, fake, hostId } = await setup('roots-symlink-in');
      const link = join(dirname(fake.workspace), 'alias');
      symlinkSync(fake.workspace, link);
      const id = await created(team, { workspace: link, hostId, checks: [{ kind: 'file_exists', path: 'out.txt' }] });
      expect(await settledTask(t, team, id)).toMatchObject({ status: 'completed' });
    });

    it('a root that is itself a symlink still works: compared as the host resolves it too', async () => {
      const base = outsideDir();
      const { team, fake, hostId } = await setup('roots-symlinked-root', () => [join(base, 'repos')]);
      symlinkSync(dirname(fake.workspace), join(base, 'repos'));
      const workspace = join(base, 'repos', 'ws'); // resolves to fake.workspace
      const id = await created(team, { workspace, hostId, checks: [{ kind: 'file_exists', path: 'out.txt' }] });
      expect(await settledTask(t, team, id)).toMatchObject({ status: 'completed' });
    });

    it('binding a session whose directory lies outside the roots fails workspace.outside_roots', async () => {
      const { team, fake, hostId } = await setup('roots-bound', (f) => [f.workspace]);
      const outside = outsideDir();
      mkdirSync(join(outside, 'repo'));
      const session = await new OpencodeClient({
        baseUrl: fake.baseUrl,
        directory: join(outside, 'repo'),
      }).createSession({ title: 'elsewhere' });
      const id = await created(team, { workspace: fake.workspace, hostId, sessionId: session.id });
      const task = await settledTask(t, team, id);
      expect(task).toMatchObject({ status: 'failed', reason: 'workspace.outside_roots', currentTurn: 0 });
      expect(task.reasonDetail).toBe(
        `the directory of session ${session.id} ${join(outside, 'repo')} resolves to ${join(outside, 'repo')} on host fake, outside its workspace roots [${fake.workspace}]`,
      );
      expect(fake.requests().some((r) => r.path.endsWith('/prompt_async'))).toBe(false);
    });
  });

  describe('command checks: a scope and a team policy', () => {
    const commandCheck = { kind: 'command', command: 'test -f out.txt', timeoutSeconds: 30 };

    it('403 without the checks:command scope, 403 with the policy off, 201 with both', async () => {
      const { team, fake, hostId } = await setup('command-policy');
      const body = { workspace: fake.workspace, hostId, checks: [commandCheck] };
      const writer = await t.createToken(team, ['tasks:read', 'tasks:write']);

      // A new team: policy off. The scope is checked first.
      const noScope = await createTask(team, body, writer);
      expectErrorBody(noScope, 403, 'auth/missing_scope');
      expect(noScope.body.details).toEqual({ missing: ['checks:command'] });
      expect(noScope.body.message).toContain('checks:command');

      const off = await createTask(team, body); // the owner token holds every team scope
      expectErrorBody(off, 403, 'task/command_checks_disabled');
      expect(off.body.message).toContain('PATCH /api/team {"settings":{"allowCommandChecks":true}}');

      // Other checks need neither.
      expect((await createTask(team, { ...body, checks: [{ kind: 'file_exists', path: 'x' }] }, writer)).status).toBe(
        201,
      );

      // Turning the policy on needs `admin`.
      const patch = { settings: { allowCommandChecks: true } };
      expectErrorBody(await t.request('PATCH', '/api/team', { token: writer, body: patch }), 403, 'auth/missing_scope');
      await setCommandChecks(t, team, true);
      expect((await t.request('GET', '/api/team', { token: team.token })).body.settings).toMatchObject(patch.settings);

      expectErrorBody(await createTask(team, body, writer), 403, 'auth/missing_scope');
      const both = await createTask(team, body, await t.createToken(team, ['tasks:write', 'checks:command']));
      expect(both.status).toBe(201);
      expect(await settledTask(t, team, both.body.id)).toMatchObject({ status: 'completed' });
    });

    it('turning the policy off stops command checks of tasks already made (they end error)', async () => {
      const { team, fake, hostId } = await setup('command-off-later');
      await setCommandChecks(t, team, true);
      // The host is disabled so that the task waits while the policy changes.
      await t.request('PATCH', `/api/hosts/${hostId}`, { token: team.token, body: { enabled: false } });
      const id = await created(team, {
        workspace: fake.workspace,
        hostId,
        checks: [commandCheck],
        budgets: { maxTurns: 1 },
      });
      await setCommandChecks(t, team, false);
      await t.request('PATCH', `/api/hosts/${hostId}`, { token: team.token, body: { enabled: true } });
      const task = await settledTask(t, team, id);
      expect(task).toMatchObject({ status: 'failed', reason: 'checks.failed' });
      const runs = (await t.request('GET', `/api/tasks/${id}/checks`, { token: team.token })).body.items;
      expect(runs[0].results[0]).toMatchObject({
        kind: 'command',
        status: 'error',
        error: expect.stringContaining('command checks are not allowed for this team'),
      });
      // Nothing ran: the only shell calls would have been the command check's.
      expect(fake.requests().some((r) => r.path.endsWith('/shell'))).toBe(false);
    });
  });

  describe('evidence size (CHECK_EVIDENCE_MAX_BYTES)', () => {
    it('a failing file_contains over a big file stores, and quotes in the next prompt, at most the configured bytes', async () => {
      const { team, fake, hostId } = await setup('evidence');
      writeFileSync(join(fake.workspace, 'big.txt'), `${'é'.repeat(50_000)}\n${'secret-tail '.repeat(5000)}`);
      const id = await created(team, {
        workspace: fake.workspace,
        hostId,
        goal: 'NOTOOL',
        checks: [{ kind: 'file_contains', path: 'big.txt', pattern: 'never there' }],
        budgets: { maxTurns: 2 },
      });
      const task = await settledTask(t, team, id);
      expect(task).toMatchObject({ status: 'failed', reason: 'checks.failed', currentTurn: 2 });
      const runs = (await t.request('GET', `/api/tasks/${id}/checks`, { token: team.token })).body.items;
      for (const run of runs) {
        const evidence = run.results[0].evidence;
        expect(evidence.chars).toBeGreaterThan(50_000);
        expect(Buffer.byteLength(evidence.excerpt, 'utf8')).toBeLessThanOrEqual(EVIDENCE_MAX_BYTES);
        expect(Buffer.byteLength(evidence.excerpt, 'utf8')).toBeGreaterThan(EVIDENCE_MAX_BYTES - 4);
      }
      expect((await getTask(t, team, id)).checks).toHaveLength(1);
      // The second prompt quotes the file within the bound too.
      const turns = (await t.request('GET', `/api/tasks/${id}/turns`, { token: team.token })).body.items;
      // (Evidence lines are indented under their check.)
      const quoted = /File starts with:\n *```\n *([\s\S]*?)\n *```/.exec(turns[1].prompt)?.[1];
      expect(quoted).toMatch(/^é+…$/);
      expect(Buffer.byteLength(quoted!, 'utf8')).toBeLessThanOrEqual(EVIDENCE_MAX_BYTES);
      expect(turns[1].prompt).not.toContain('secret-tail');
    });
  });
});
