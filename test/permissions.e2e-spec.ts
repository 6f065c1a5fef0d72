import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PrismaService } from '@heddle/db';
import { OpencodeClient } from '@heddle/opencode-client';
import { PermissionIngest, PermissionsService, WatchedPlace } from '@heddle/permissions';
import {
  FakeOpencode,
  FakeOpencodeOptions,
  TestApp,
  TestTeam,
  expectErrorBody,
  settledTask,
  startFakeOpencode,
  waitFor,
} from '@heddle/testing';

/**
 * Permission requests and questions end to end against the in-process fake host (the same flows
 * run against the real binary in permissions-real.e2e-spec.ts): the agent asks → a row and
 * PERMISSION_REQUESTED → a person (or the policy) answers over the API → the tool runs and the turn
 * goes on → PERMISSION_REPLIED naming who. Each test makes its own team and host.
 */
jest.setTimeout(30_000);

const COLOR = {
  question: 'Which color?',
  header: 'Color',
  options: [
    { label: 'Red', description: 'warm' },
    { label: 'Blue', description: 'cold' },
  ],
};

describe('permissions and questions (e2e, fake host)', () => {
  let t: TestApp;
  const fakes: FakeOpencode[] = [];

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        HARNESS_POLL_MS: '150',
        HARNESS_TURN_START_GRACE_MS: '3000',
        HARNESS_HOST_WAIT_SECONDS: '3',
        PERMISSIONS_RECONCILE_MS: '400',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(fakes.map((f) => f.stop()));
  });

  interface Setup {
    team: TestTeam;
    fake: FakeOpencode;
    hostId: string;
  }

  async function setup(name: string, options: FakeOpencodeOptions = {}): Promise<Setup> {
    const team = await t.createTeam(name);
    const fake = await startFakeOpencode(options);
    fakes.push(fake);
    const host = await t.request('POST', '/api/hosts', {
      token: team.token,
      body: { name: 'fake', baseUrl: fake.baseUrl, workspaceRoots: [dirname(fake.workspace)] },
    });
    expect(host.status).toBe(201);
    const probe = await t.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token });
    expect(probe.body.status).toBe('online');
    // A session waiting for a person is busy without progress: no stale-busy noise in these tests.
    await patchSettings(team, { staleBusyObservations: 100000 });
    return { team, fake, hostId: host.body.id };
  }

  async function patchSettings(team: TestTeam, settings: Record<string, unknown>): Promise<void> {
    const res = await t.request('PATCH', '/api/team', { token: team.token, body: { settings } });
    expect(res.status).toBe(200);
  }

  async function createTask(s: Setup, body: Record<string, unknown>): Promise<string> {
    const res = await t.request('POST', '/api/tasks', {
      token: s.team.token,
      body: { name: 'asks', workspace: s.fake.workspace, hostId: s.hostId, ...body },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** Waits until the task has `count` requests of the kind (`permissions` | `questions`) and answers them. */
  async function requestsOf(team: TestTeam, kind: string, taskId: string, count = 1, status?: string) {
    const { value } = await waitFor(
      async () =>
        (
          await t.request('GET', `/api/${kind}?taskId=${taskId}${status ? `&status=${status}` : ''}`, {
            token: team.token,
          })
        ).body.items as any[],
      (items) => items?.length >= count,
      { timeoutMs: 10_000, what: `${count} ${kind} of task ${taskId}` },
    );
    return value;
  }

  async function events(team: TestTeam, taskId: string, type?: string): Promise<any[]> {
    const res = await t.request('GET', `/api/events?taskId=${taskId}&limit=100${type ? `&type=${type}` : ''}`, {
      token: team.token,
    });
    expect(res.status).toBe(200);
    return res.body.items;
  }

  const prefixOf = (token: string) => token.split('_')[1]!;

  it('a session asks → row and PERMISSION_REQUESTED → a person replies once → the tool runs, the task completes → PERMISSION_REPLIED names the token', async () => {
    const s = await setup('perm-once', { permission: { edit: 'ask' } });
    const id = await createTask(s, {
      goal: 'Write the file. FILE:asked.txt',
      checks: [{ kind: 'file_exists', path: 'asked.txt' }],
    });
    const [request] = await requestsOf(s.team, 'permissions', id);
    const task = (await t.request('GET', `/api/tasks/${id}`, { token: s.team.token })).body;
    expect(request).toMatchObject({
      taskId: id,
      hostId: s.hostId,
      sessionId: task.sessionId,
      directory: s.fake.workspace,
      requestId: expect.stringMatching(/^per_/),
      permission: 'edit',
      patterns: ['asked.txt'],
      always: ['*'],
      metadata: { filepath: join(s.fake.workspace, 'asked.txt') },
      tool: { messageID: expect.stringMatching(/^msg_/), callID: expect.any(String) },
      status: 'pending',
      reply: null,
      repliedBy: null,
      repliedAt: null,
    });
    expect(existsSync(join(s.fake.workspace, 'asked.txt'))).toBe(false);
    const [requested] = await events(s.team, id, 'PERMISSION_REQUESTED');
    expect(requested).toMatchObject({
      taskId: id,
      hostId: s.hostId,
      data: {
        permissionId: request.id,
        requestId: request.requestId,
        permission: 'edit',
        patterns: ['asked.txt'],
        status: 'pending',
        name: 'asks',
      },
    });
    expect((await t.request('GET', `/api/permissions/${request.id}`, { token: s.team.token })).body).toEqual(request);
    // What the harness can ask: the task waits on one permission since it was asked.
    const waiting = await t.get(PermissionsService).waitingOf(s.team.teamId, id);
    expect(waiting).toMatchObject({ permissions: 1, questions: 0, since: new Date(request.createdAt) });

    // Reading needs tasks:read, answering permissions:write.
    const reader = await t.createToken(s.team, ['tasks:read']);
    expect((await t.request('GET', `/api/permissions?taskId=${id}`, { token: reader })).status).toBe(200);
    expectErrorBody(
      await t.request('POST', `/api/permissions/${request.id}/reply`, { token: reader, body: { reply: 'once' } }),
      403,
      'auth/missing_scope',
    );
    expectErrorBody(
      await t.request('POST', `/api/permissions/${request.id}/reply`, { token: s.team.token, body: { reply: 'yes' } }),
      400,
      'request/validation_failed',
    );

    const approver = await t.createToken(s.team, ['permissions:write']);
    const replied = await t.request('POST', `/api/permissions/${request.id}/reply`, {
      token: approver,
      body: { reply: 'once' },
    });
    expect(replied.status).toBe(200);
    expect(replied.body).toMatchObject({
      id: request.id,
      status: 'replied',
      reply: 'once',
      repliedBy: `token:${prefixOf(approver)}`,
      repliedAt: expect.any(String),
    });

    const done = await settledTask(t, s.team, id);
    expect(done.status).toBe('completed');
    expect(existsSync(join(s.fake.workspace, 'asked.txt'))).toBe(true);
    const waited = await t.get(PermissionsService).waitingOf(s.team.teamId, id);
    expect(waited).toEqual({
      permissions: 0,
      questions: 0,
      since: null,
      waitedMs: Date.parse(replied.body.repliedAt) - Date.parse(request.createdAt),
    });
    // The host's own `permission.replied` for our reply is not a second answer.
    const repliedEvents = await events(s.team, id, 'PERMISSION_REPLIED');
    expect(repliedEvents).toHaveLength(1);
    expect(repliedEvents[0].data).toMatchObject({
      permissionId: request.id,
      status: 'replied',
      reply: 'once',
      repliedBy: `token:${prefixOf(approver)}`,
    });
    const types = (await events(s.team, id)).map((e) => e.type);
    expect(types.indexOf('PERMISSION_REQUESTED')).toBeLessThan(types.indexOf('PERMISSION_REPLIED'));
    expect(types.indexOf('PERMISSION_REPLIED')).toBeLessThan(types.indexOf('TASK_COMPLETED'));

    // Answered already: 409, and nothing changes.
    const again = await t.request('POST', `/api/permissions/${request.id}/reply`, {
      token: s.team.token,
      body: { reply: 'reject' },
    });
    expectErrorBody(again, 409, 'permission/already_answered');
    expect(again.body.details).toEqual({ status: 'replied', repliedBy: `token:${prefixOf(approver)}` });

    const audit = await t.request('GET', '/api/audit', { token: s.team.token });
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        action: 'permission.reply',
        actor: `token:${prefixOf(approver)}`,
        targetType: 'permission',
        targetId: request.id,
        details: expect.objectContaining({ reply: 'once', permission: 'edit', taskId: id }),
      }),
    );

    // Another team sees none of it.
    const other = await t.createTeam('perm-other');
    expectErrorBody(
      await t.request('GET', `/api/permissions/${request.id}`, { token: other.token }),
      404,
      'permission/not_found',
    );
    expectErrorBody(
      await t.request('POST', `/api/permissions/${request.id}/reply`, { token: other.token, body: { reply: 'once' } }),
      404,
      'permission/not_found',
    );
    expect((await t.request('GET', `/api/permissions?taskId=${id}`, { token: other.token })).body.items).toEqual([]);
    expect((await t.request('GET', '/api/permissions', { token: other.token })).body).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it('reject: the tool fails and nothing is written; filters and paging', async () => {
    const s = await setup('perm-reject', { permission: { edit: 'ask' } });
    const id = await createTask(s, {
      goal: 'Write the file. FILE:refused.txt',
      checks: [{ kind: 'file_exists', path: 'refused.txt' }],
      budgets: { maxTurns: 1 },
    });
    const [request] = await requestsOf(s.team, 'permissions', id);
    const res = await t.request('POST', `/api/permissions/${request.id}/reply`, {
      token: s.team.token,
      body: { reply: 'reject' },
    });
    expect(res.body).toMatchObject({ status: 'replied', reply: 'reject', message: null });
    const done = await settledTask(t, s.team, id);
    expect(done).toMatchObject({ status: 'failed', reason: 'checks.failed' });
    expect(existsSync(join(s.fake.workspace, 'refused.txt'))).toBe(false);

    const list = (q: string) => t.request('GET', `/api/permissions?${q}`, { token: s.team.token });
    expect((await list(`hostId=${s.hostId}`)).body.items.map((p: any) => p.id)).toEqual([request.id]);
    expect((await list('status=replied,expired')).body.items.map((p: any) => p.id)).toEqual([request.id]);
    expect((await list('status=pending')).body.items).toEqual([]);
    const page = await list('limit=1');
    expect(page.body).toMatchObject({ items: [{ id: request.id }], nextCursor: null });
    expectErrorBody(await list('status=maybe'), 400, 'request/validation_failed');
    expectErrorBody(await list('taskId=nope'), 400, 'request/validation_failed');
    expectErrorBody(await list('cursor=nope'), 400, 'request/invalid_cursor');
  });

  it("answers by the team's auto-accept rule with no person (repliedBy policy); other requests wait", async () => {
    const s = await setup('perm-auto', { permission: { edit: 'ask' } });
    await patchSettings(s.team, { autoAccept: [{ permission: 'edit', pattern: 'auto-*' }] });
    const id = await createTask(s, {
      goal: 'Write the file. FILE:auto-ok.txt',
      checks: [{ kind: 'file_exists', path: 'auto-ok.txt' }],
    });
    const done = await settledTask(t, s.team, id);
    expect(done.status).toBe('completed');
    const [request] = await requestsOf(s.team, 'permissions', id);
    expect(request).toMatchObject({ permission: 'edit', status: 'replied', reply: 'once', repliedBy: 'policy' });
    const [replied] = await events(s.team, id, 'PERMISSION_REPLIED');
    expect(replied.data).toMatchObject({
      repliedBy: 'policy',
      reply: 'once',
      policy: { source: 'team', rule: { permission: 'edit', pattern: 'auto-*' } },
    });
    const audit = await t.request('GET', '/api/audit', { token: s.team.token });
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'permission.auto_reply', actor: 'system:policy', targetId: request.id }),
    );

    // A file the rule does not cover waits for a person.
    const second = await createTask(s, {
      goal: 'Write the file. FILE:manual.txt',
      checks: [{ kind: 'file_exists', path: 'manual.txt' }],
    });
    const [waiting] = await requestsOf(s.team, 'permissions', second);
    expect(waiting).toMatchObject({ patterns: ['manual.txt'], status: 'pending', repliedBy: null });
    await t.request('POST', `/api/permissions/${waiting.id}/reply`, { token: s.team.token, body: { reply: 'once' } });
    expect((await settledTask(t, s.team, second)).status).toBe('completed');
  });

  it("applies the task's policy: its ruleset is the session's (the host denies), its auto-accept answers what reaches Heddle", async () => {
    const s = await setup('perm-task-policy', { permission: { edit: 'ask', bash: 'ask' } });
    s.fake.script(/TASK-POLICY/, [
      { type: 'bash', command: 'rm -rf build', output: 'removed' },
      { type: 'write', path: 'policy.txt', content: 'ok\n' },
    ]);
    const policy = { bashPatterns: [{ pattern: 'rm *', action: 'deny' }], autoAccept: [{ permission: 'edit' }] };
    const created = await t.request('POST', '/api/tasks', {
      token: s.team.token,
      body: {
        name: 'asks',
        workspace: s.fake.workspace,
        hostId: s.hostId,
        goal: 'TASK-POLICY',
        permission: policy,
        checks: [{ kind: 'file_exists', path: 'policy.txt' }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.permission).toEqual(policy);
    const id = created.body.id as string;
    const done = await settledTask(t, s.team, id);
    expect(done.status).toBe('completed');
    // The session was created with the task's ruleset: the host itself refused the `rm`, nothing asked.
    const session = s.fake.requests().find((r) => r.method === 'POST' && r.path === '/session');
    expect((session?.body as { permission?: unknown })?.permission).toEqual([
      { permission: 'bash', pattern: 'rm *', action: 'deny' },
    ]);
    const requests = await requestsOf(s.team, 'permissions', id, 1);
    expect(requests.map((r: any) => [r.permission, r.status, r.reply, r.repliedBy])).toEqual([
      ['edit', 'replied', 'once', 'policy'],
    ]);
    const replied = await events(s.team, id, 'PERMISSION_REPLIED');
    expect(replied.map((e) => e.data.policy)).toEqual([{ source: 'task', rule: { permission: 'edit' } }]);
  });

  it('a task waiting for a person says so (waiting: permission) and is never stale while it waits', async () => {
    const s = await setup('perm-waiting', { permission: { edit: 'ask' } });
    const id = await createTask(s, { goal: 'FILE:waited.txt', checks: [{ kind: 'file_exists', path: 'waited.txt' }] });
    const [request] = await requestsOf(s.team, 'permissions', id);
    // From now on two looks (300 ms) without progress would be stale — unless the task waits for a person.
    await patchSettings(s.team, { staleBusyObservations: 2 });
    await waitFor(
      () => t.request('GET', `/api/tasks/${id}`, { token: s.team.token }),
      (res) => res.body.waiting === 'permission',
      { timeoutMs: 10_000, what: 'the task waiting on the permission' },
    );
    // Many looks later (the wait is what the harness sees as no progress), still not stale.
    await waitFor(
      () => t.get(PermissionsService).waitingOf(s.team.teamId, id),
      (w) => w.waitedMs > 2_000,
      { timeoutMs: 10_000, intervalMs: 200, what: 'two seconds of waiting' },
    );
    expect((await t.request('GET', `/api/tasks/${id}`, { token: s.team.token })).body).toMatchObject({
      waiting: 'permission',
      stale: false,
    });
    expect(await events(s.team, id, 'SESSION_STALE_BUSY')).toEqual([]);
    const updates = await events(s.team, id, 'TASK_UPDATED');
    expect(updates.some((e) => e.data.waiting === 'permission')).toBe(true);

    await t.request('POST', `/api/permissions/${request.id}/reply`, { token: s.team.token, body: { reply: 'once' } });
    expect(await settledTask(t, s.team, id)).toMatchObject({ status: 'completed', waiting: null });
  });

  it('a question is answered over the API (answers checked against the questions), QUESTION_ASKED → QUESTION_ANSWERED', async () => {
    const s = await setup('question-api');
    s.fake.script(/ASK-COLOR/, [
      { type: 'question', questions: [COLOR] },
      { type: 'write', path: 'color.txt', content: 'chosen\n' },
    ]);
    const id = await createTask(s, { goal: 'ASK-COLOR', checks: [{ kind: 'file_exists', path: 'color.txt' }] });
    const [question] = await requestsOf(s.team, 'questions', id);
    expect(question).toMatchObject({
      taskId: id,
      hostId: s.hostId,
      requestId: expect.stringMatching(/^que_/),
      questions: [COLOR],
      status: 'pending',
      answers: null,
      repliedBy: null,
    });
    const [asked] = await events(s.team, id, 'QUESTION_ASKED');
    expect(asked.data).toMatchObject({ questionId: question.id, questions: [COLOR], status: 'pending' });

    const reply = (answers: unknown) =>
      t.request('POST', `/api/questions/${question.id}/reply`, { token: s.team.token, body: { answers } });
    let bad = await reply([['Blue'], ['Red']]);
    expectErrorBody(bad, 400, 'request/validation_failed');
    expect(bad.body.details).toEqual([
      { field: 'answers', errors: [expect.stringContaining('one array of labels per question')] },
    ]);
    bad = await reply([['Red', 'Blue']]);
    expectErrorBody(bad, 400, 'request/validation_failed');
    expect(bad.body.details[0].field).toBe('answers[0]');
    bad = await reply(['Blue']);
    expectErrorBody(bad, 400, 'request/validation_failed');
    expect(bad.body.details[0].field).toBe('answers');

    const answered = await reply([['Blue']]);
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({
      status: 'answered',
      answers: [['Blue']],
      repliedBy: `token:${prefixOf(s.team.token)}`,
    });
    expect((await settledTask(t, s.team, id)).status).toBe('completed');
    const answeredEvents = await events(s.team, id, 'QUESTION_ANSWERED');
    expect(answeredEvents).toHaveLength(1);
    expect(answeredEvents[0].data).toMatchObject({ status: 'answered', answers: [['Blue']] });
    expectErrorBody(await reply([['Red']]), 409, 'question/already_answered');
    const other = await t.createTeam('question-other');
    expectErrorBody(
      await t.request('GET', `/api/questions/${question.id}`, { token: other.token }),
      404,
      'question/not_found',
    );
    expectErrorBody(
      await t.request('POST', `/api/questions/${question.id}/reject`, { token: other.token }),
      404,
      'question/not_found',
    );
  });

  it('a question is dismissed over the API: the turn ends', async () => {
    const s = await setup('question-reject');
    s.fake.script(/ASK-DISMISS/, [
      { type: 'question', questions: [COLOR] },
      { type: 'write', path: 'never.txt', content: 'x\n' },
    ]);
    const id = await createTask(s, {
      goal: 'ASK-DISMISS',
      checks: [{ kind: 'file_exists', path: 'never.txt' }],
      budgets: { maxTurns: 1 },
    });
    const [question] = await requestsOf(s.team, 'questions', id);
    const res = await t.request('POST', `/api/questions/${question.id}/reject`, { token: s.team.token });
    expect(res.body).toMatchObject({ status: 'rejected', answers: null, repliedBy: `token:${prefixOf(s.team.token)}` });
    expect((await settledTask(t, s.team, id)).status).toBe('failed');
    expect(existsSync(join(s.fake.workspace, 'never.txt'))).toBe(false);
    const [answered] = await events(s.team, id, 'QUESTION_ANSWERED');
    expect(answered.data).toMatchObject({ status: 'rejected' });
  });

  it("a question is auto-answered with each question's first option (autoAnswerQuestions: first)", async () => {
    const s = await setup('question-auto');
    await patchSettings(s.team, { autoAnswerQuestions: 'first' });
    s.fake.script(/ASK-AUTO/, [
      { type: 'question', questions: [COLOR] },
      { type: 'write', path: 'auto-color.txt', content: 'chosen\n' },
    ]);
    const id = await createTask(s, { goal: 'ASK-AUTO', checks: [{ kind: 'file_exists', path: 'auto-color.txt' }] });
    expect((await settledTask(t, s.team, id)).status).toBe('completed');
    const [question] = await requestsOf(s.team, 'questions', id);
    expect(question).toMatchObject({ status: 'answered', answers: [['Red']], repliedBy: 'policy' });
    const [answered] = await events(s.team, id, 'QUESTION_ANSWERED');
    expect(answered.data).toMatchObject({
      repliedBy: 'policy',
      policy: { source: 'team', rule: 'autoAnswerQuestions' },
    });
  });

  it("a question is auto-answered with the team's fixed text (autoAnswerQuestions: fixed), which it requires", async () => {
    const s = await setup('question-fixed');
    const refused = await t.request('PATCH', '/api/team', {
      token: s.team.token,
      body: { settings: { autoAnswerQuestions: 'fixed' } },
    });
    expectErrorBody(refused, 400, 'request/validation_failed');
    expect(refused.body.details).toEqual([{ field: 'settings.autoAnswerText', errors: [expect.any(String)] }]);
    await patchSettings(s.team, { autoAnswerQuestions: 'fixed', autoAnswerText: 'Green, and do not ask again' });
    s.fake.script(/ASK-FIXED/, [
      { type: 'question', questions: [COLOR] },
      { type: 'write', path: 'fixed-color.txt', content: 'chosen\n' },
    ]);
    const id = await createTask(s, { goal: 'ASK-FIXED', checks: [{ kind: 'file_exists', path: 'fixed-color.txt' }] });
    expect((await settledTask(t, s.team, id)).status).toBe('completed');
    const [question] = await requestsOf(s.team, 'questions', id);
    expect(question).toMatchObject({
      status: 'answered',
      answers: [['Green, and do not ask again']],
      repliedBy: 'policy',
    });
  });

  it('a silent event stream loses nothing: the listing finds the request; one answered on the host is recorded so', async () => {
    const s = await setup('perm-silent', { permission: { edit: 'ask' } });
    s.fake.setSilentEvents(true);
    const id = await createTask(s, {
      goal: 'Write the file. FILE:silent.txt',
      checks: [{ kind: 'file_exists', path: 'silent.txt' }],
    });
    const [request] = await requestsOf(s.team, 'permissions', id);
    expect(request).toMatchObject({ status: 'pending', patterns: ['silent.txt'] });
    expect(s.fake.events().some((e) => e.event.type === 'permission.asked')).toBe(true);

    // Answered on the host itself while no event reaches Heddle: the next listing no longer finds it.
    const direct = new OpencodeClient({ baseUrl: s.fake.baseUrl, directory: s.fake.workspace });
    expect(await direct.replyPermission(request.requestId, 'once')).toBe(true);
    const { value: gone } = await waitFor(
      async () => (await t.request('GET', `/api/permissions/${request.id}`, { token: s.team.token })).body,
      (p) => p.status !== 'pending',
      { timeoutMs: 10_000, what: 'the request marked expired' },
    );
    expect(gone).toMatchObject({ status: 'expired', reply: null, repliedBy: 'host' });
    expect((await settledTask(t, s.team, id)).status).toBe('completed');
    const [replied] = await events(s.team, id, 'PERMISSION_REPLIED');
    expect(replied.data).toMatchObject({ status: 'expired', repliedBy: 'host' });
    expectErrorBody(
      await t.request('POST', `/api/permissions/${request.id}/reply`, { token: s.team.token, body: { reply: 'once' } }),
      409,
      'permission/already_answered',
    );
  });

  it('an answer given on the host while the stream listens is recorded as repliedBy host', async () => {
    const s = await setup('perm-host', { permission: { edit: 'ask' } });
    const id = await createTask(s, {
      goal: 'Write the file. FILE:elsewhere.txt',
      checks: [{ kind: 'file_exists', path: 'elsewhere.txt' }],
    });
    const [request] = await requestsOf(s.team, 'permissions', id);
    const direct = new OpencodeClient({ baseUrl: s.fake.baseUrl, directory: s.fake.workspace });
    await direct.replyPermission(request.requestId, 'always');
    const { value } = await waitFor(
      async () => (await t.request('GET', `/api/permissions/${request.id}`, { token: s.team.token })).body,
      (p) => p.status !== 'pending',
      { timeoutMs: 10_000, what: 'the reply seen on the stream' },
    );
    expect(value).toMatchObject({ status: 'replied', reply: 'always', repliedBy: 'host' });
    expect((await settledTask(t, s.team, id)).status).toBe('completed');
  });

  it('ingestion is idempotent across workers; a session of no task gets a row but no policy; a vanished request expires once', async () => {
    const s = await setup('perm-ingest');
    await patchSettings(s.team, { autoAccept: [{ permission: '*' }] });
    const ingest = t.get(PermissionIngest);
    const host = await t.get(PrismaService).host.findUniqueOrThrow({ where: { id: s.hostId } });
    const place: WatchedPlace = {
      teamId: s.team.teamId,
      hostId: s.hostId,
      host,
      directory: s.fake.workspace,
      sessions: new Map(),
    };
    const request = {
      id: 'per_ingest0000000000000000001',
      sessionID: 'ses_notataskofthisteam000001',
      permission: 'bash',
      patterns: ['make deploy'],
      always: ['make *'],
      metadata: { command: 'make deploy' },
    };
    // Two workers see the same event (or the same listing) at once: one row, one event.
    const [a, b] = await Promise.all([ingest.permissionAsked(place, request), ingest.permissionAsked(place, request)]);
    expect(a.id).toBe(b.id);
    expect(a).toMatchObject({ taskId: null, status: 'pending', repliedBy: null }); // no task: the team's rule does not apply
    const hostEvents = async (type: string) =>
      (await t.request('GET', `/api/events?hostId=${s.hostId}&type=${type}`, { token: s.team.token })).body.items;
    expect(await hostEvents('PERMISSION_REQUESTED')).toHaveLength(1);

    // The host does not list it. The first listing that misses it waits (its reply event may be on
    // the way); once the grace has passed, two listings at once expire it once.
    await ingest.reconcile(place);
    expect((await t.request('GET', `/api/permissions/${a.id}`, { token: s.team.token })).body.status).toBe('pending');
    await Promise.all([ingest.reconcile(place, 0), ingest.reconcile(place, 0)]);
    const expired = await t.request('GET', `/api/permissions/${a.id}`, { token: s.team.token });
    expect(expired.body).toMatchObject({ status: 'expired', repliedBy: 'host', reply: null });
    expect(await hostEvents('PERMISSION_REPLIED')).toHaveLength(1);

    // A reply event seen twice (two workers) is recorded once; one for a request never seen is ignored.
    const question = { id: 'que_ingest0000000000000000001', sessionID: request.sessionID, questions: [COLOR] };
    await ingest.questionAsked(place, question);
    await Promise.all([
      ingest.questionAnswered(place, question.id, [['Red']]),
      ingest.questionAnswered(place, question.id, [['Blue']]),
      ingest.questionAnswered(place, 'que_neverseen00000000000000001', null),
    ]);
    const answered = await hostEvents('QUESTION_ANSWERED');
    expect(answered).toHaveLength(1);
    expect(answered[0].data).toMatchObject({ status: 'answered', repliedBy: 'host' });
  });

  it('a host that cannot be reached: 503 and nothing recorded; the same reply works once it is back', async () => {
    const s = await setup('perm-down', { permission: { edit: 'ask' } });
    const id = await createTask(s, {
      goal: 'Write the file. FILE:later.txt',
      checks: [{ kind: 'file_exists', path: 'later.txt' }],
    });
    const [request] = await requestsOf(s.team, 'permissions', id);
    await s.fake.setUnreachable(true);
    try {
      const res = await t.request('POST', `/api/permissions/${request.id}/reply`, {
        token: s.team.token,
        body: { reply: 'once' },
      });
      expectErrorBody(res, 503, 'host/unreachable');
      expect(res.body.message).toMatch(/nothing was recorded/);
      expect(res.body.details).toMatchObject({ hostId: s.hostId, retryable: true });
      expect((await t.request('GET', `/api/permissions/${request.id}`, { token: s.team.token })).body.status).toBe(
        'pending',
      );
      expect(await events(s.team, id, 'PERMISSION_REPLIED')).toEqual([]);
    } finally {
      await s.fake.setUnreachable(false);
    }
    const res = await t.request('POST', `/api/permissions/${request.id}/reply`, {
      token: s.team.token,
      body: { reply: 'once' },
    });
    expect(res.status).toBe(200);
    expect((await settledTask(t, s.team, id)).status).toBe('completed');
  });
});
