// Permission requests and questions against the REAL `opencode serve` (offline, scripted fake LLM;
// /work/shared/opencode-offline.md): the server asks for every edit (`permission: {edit: "ask"}`),
// Heddle records the request, a person (or the team's policy) answers over the API, the real `write`
// tool runs and the task completes. The same flows run fast against the fake host in
// permissions.e2e-spec.ts. No password on the server, for the reason given in harness-real.e2e-spec.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssistantMessage, MessageWithParts, OpencodeClient, ToolPart } from '@heddle/opencode-client';
import {
  FAKE_DONE_CONTENT,
  FAKE_MODEL_REF,
  RealOpencode,
  TestApp,
  TestTeam,
  opencodeBinaryAvailable,
  opencodeBinaryRequired,
  settledTask,
  startRealOpencode,
  waitFor,
} from '@heddle/testing';

jest.setTimeout(60_000);

const WORKSPACES = ['once', 'auto', 'question', 'bash'] as const;
type WorkspaceName = (typeof WORKSPACES)[number];

// On linux-x64 a missing binary fails the file (startRealOpencode throws); elsewhere it is skipped.
const enabled = opencodeBinaryRequired() || opencodeBinaryAvailable();
const describeReal = enabled ? describe : describe.skip;

const isAssistant = (m: MessageWithParts): m is MessageWithParts<AssistantMessage> => m.info.role === 'assistant';

describeReal('permissions and questions (e2e, real opencode serve)', () => {
  let server: RealOpencode;
  let t: TestApp;

  beforeAll(async () => {
    server = await startRealOpencode({ permission: { edit: 'ask' }, extraWorkspaces: [...WORKSPACES] });
    // Boot each directory's instance now, so the tests' timings are Heddle's (see harness-real).
    await Promise.all(WORKSPACES.map((name) => direct(name).sessionStatuses()));
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_POLL_MS: '200',
        HARNESS_TURN_START_GRACE_MS: '5000',
        HARNESS_HOST_WAIT_SECONDS: '5',
        PERMISSIONS_RECONCILE_MS: '1000',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  const ws = (name: WorkspaceName) => server.workspaces[name]!;
  const direct = (name: WorkspaceName) =>
    new OpencodeClient({ baseUrl: server.baseUrl, directory: ws(name), timeoutMs: 30_000 });

  async function setup(
    prefix: string,
    settings: Record<string, unknown> = {},
  ): Promise<{ team: TestTeam; hostId: string }> {
    const team = await t.createTeam(prefix);
    const patched = await t.request('PATCH', '/api/team', {
      token: team.token,
      body: { settings: { staleBusyObservations: 100000, ...settings } },
    });
    expect(patched.status).toBe(200);
    const host = await t.request('POST', '/api/hosts', {
      token: team.token,
      body: { name: 'real-opencode', baseUrl: server.baseUrl, workspaceRoots: [server.root] },
    });
    expect(host.status).toBe(201);
    const probe = await t.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token });
    expect(probe.body.status).toBe('online');
    return { team, hostId: host.body.id };
  }

  async function createTask(team: TestTeam, body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: 'real-asks', model: FAKE_MODEL_REF, checkIntervalSeconds: 3600, ...body },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function firstOf(team: TestTeam, kind: 'permissions' | 'questions', taskId: string): Promise<any> {
    const { value } = await waitFor(
      async () => (await t.request('GET', `/api/${kind}?taskId=${taskId}`, { token: team.token })).body.items,
      (items: any[]) => items?.length > 0,
      { timeoutMs: 30_000, intervalMs: 100, what: `a ${kind} request of task ${taskId}` },
    );
    return value[0];
  }

  async function events(team: TestTeam, taskId: string, type: string): Promise<any[]> {
    const res = await t.request('GET', `/api/events?taskId=${taskId}&type=${type}&limit=100`, { token: team.token });
    return res.body.items;
  }

  it('PERMISSION_REQUESTED → a person replies once over the API → the real write tool runs → completed', async () => {
    const { team, hostId } = await setup('real-perm-once');
    const id = await createTask(team, {
      workspace: ws('once'),
      hostId,
      goal: 'Write it. FILE:asked-real.md',
      checks: [{ kind: 'file_exists', path: 'asked-real.md' }],
    });
    const request = await firstOf(team, 'permissions', id);
    expect(request).toMatchObject({
      taskId: id,
      hostId,
      directory: ws('once'),
      requestId: expect.stringMatching(/^per_/),
      permission: 'edit',
      patterns: ['asked-real.md'],
      status: 'pending',
    });
    expect(await events(team, id, 'PERMISSION_REQUESTED')).toHaveLength(1);
    const replied = await t.request('POST', `/api/permissions/${request.id}/reply`, {
      token: team.token,
      body: { reply: 'once' },
    });
    expect(replied.status).toBe(200);
    expect(replied.body).toMatchObject({
      status: 'replied',
      reply: 'once',
      repliedBy: expect.stringMatching(/^token:/),
    });
    const done = await settledTask(t, team, id, 30_000);
    expect(done.status).toBe('completed');
    expect(readFileSync(join(ws('once'), 'asked-real.md'), 'utf8')).toBe(FAKE_DONE_CONTENT);
    const repliedEvents = await events(team, id, 'PERMISSION_REPLIED');
    expect(repliedEvents).toHaveLength(1);
    expect(repliedEvents[0].data).toMatchObject({ reply: 'once', repliedBy: replied.body.repliedBy });
    expect((await direct('once').listPermissions()).map((p) => p.id)).not.toContain(request.requestId);
  });

  it("a task's own policy says ask for bash: the session's ruleset makes the real server ask, a person replies once, the command runs", async () => {
    const { team, hostId } = await setup('real-perm-bash');
    const command = 'echo ran > bash-ran.txt';
    const id = await createTask(team, {
      workspace: ws('bash'),
      hostId,
      goal: `Run it. CALL:bash ${JSON.stringify({ command, description: 'Write the marker' })}`,
      permission: { bash: 'ask' },
      checks: [{ kind: 'file_exists', path: 'bash-ran.txt' }],
    });
    // The server's own config asks only for edits: this request comes from the task's session ruleset.
    const request = await firstOf(team, 'permissions', id);
    expect(request).toMatchObject({ taskId: id, permission: 'bash', patterns: [command], status: 'pending' });
    const { value: waiting } = await waitFor(
      async () => (await t.request('GET', `/api/tasks/${id}`, { token: team.token })).body,
      (task) => task.waiting === 'permission',
      { timeoutMs: 10_000, intervalMs: 100, what: 'the task waiting on the permission' },
    );
    expect(waiting).toMatchObject({ status: 'running', stale: false });
    const replied = await t.request('POST', `/api/permissions/${request.id}/reply`, {
      token: team.token,
      body: { reply: 'once' },
    });
    expect(replied.status).toBe(200);
    const done = await settledTask(t, team, id, 30_000);
    expect(done).toMatchObject({ status: 'completed', waiting: null });
    expect(readFileSync(join(ws('bash'), 'bash-ran.txt'), 'utf8')).toBe('ran\n');
  });

  it("the team's auto-accept rule answers with no person: the write runs, the task completes", async () => {
    const { team, hostId } = await setup('real-perm-auto', { autoAccept: [{ permission: 'edit', pattern: '*.md' }] });
    const id = await createTask(team, {
      workspace: ws('auto'),
      hostId,
      goal: 'Write it. FILE:auto-real.md',
      checks: [{ kind: 'file_exists', path: 'auto-real.md' }],
    });
    const done = await settledTask(t, team, id, 30_000);
    expect(done.status).toBe('completed');
    const request = await firstOf(team, 'permissions', id);
    expect(request).toMatchObject({ permission: 'edit', status: 'replied', reply: 'once', repliedBy: 'policy' });
    expect(readFileSync(join(ws('auto'), 'auto-real.md'), 'utf8')).toBe(FAKE_DONE_CONTENT);
  });

  it('a question answered over the API reaches the model; QUESTION_ASKED → QUESTION_ANSWERED', async () => {
    const { team, hostId } = await setup('real-question');
    const color = {
      question: 'Which color?',
      header: 'Color',
      options: [
        { label: 'Red', description: 'warm' },
        { label: 'Blue', description: 'cold' },
      ],
    };
    const id = await createTask(team, {
      workspace: ws('question'),
      hostId,
      goal: `Ask first. ASK:${JSON.stringify(color)}`,
      // Passes once the turn is over: the answer, not the check, is what this test is about.
      checks: [{ kind: 'file_exists', path: 'question.txt' }],
    });
    const question = await firstOf(team, 'questions', id);
    expect(question).toMatchObject({
      taskId: id,
      requestId: expect.stringMatching(/^que_/),
      status: 'pending',
      questions: [expect.objectContaining({ question: 'Which color?', header: 'Color' })],
    });
    expect(
      (
        await t.request('POST', `/api/questions/${question.id}/reply`, {
          token: team.token,
          body: { answers: [['Blue', 'Red']] },
        })
      ).status,
    ).toBe(400);
    const answered = await t.request('POST', `/api/questions/${question.id}/reply`, {
      token: team.token,
      body: { answers: [['Blue']] },
    });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'answered', answers: [['Blue']] });
    const done = await settledTask(t, team, id, 30_000);
    expect(done.status).toBe('completed');
    const messages = (await direct('question').listMessages(done.sessionId)).messages.filter(isAssistant);
    const tool = messages
      .flatMap((m) => m.parts)
      .find((p): p is ToolPart => p.type === 'tool' && p.tool === 'question');
    expect(tool?.state.status === 'completed' && tool.state.output).toContain('"Which color?"="Blue"');
    const [event] = await events(team, id, 'QUESTION_ANSWERED');
    expect(event.data).toMatchObject({ status: 'answered', answers: [['Blue']] });
  });
});
