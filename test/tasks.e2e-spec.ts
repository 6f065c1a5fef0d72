import { PrismaService } from '@heddle/db';
import { TestApp, TestTeam, expectErrorBody, setCommandChecks } from '@heddle/testing';

const valid = {
  name: 'add-health',
  workspace: '/srv/repos/api',
  goal: 'Add GET /health',
  steps: ['route', 'test'],
  checks: [{ kind: 'file_exists', path: 'src/health.ts' }],
};

describe('tasks API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.create();
  });

  afterAll(() => t.close());

  const create = (team: TestTeam, body: unknown, headers?: Record<string, string>) =>
    t.request('POST', '/api/tasks', { token: team.token, body, headers });

  /** Puts a task in a state the harness would (it is not part of this API). */
  const force = (id: string, data: { status?: string; sessionId?: string | null }) =>
    t.get(PrismaService).task.update({ where: { id }, data });

  it('creates a queued task with team and Heddle default budgets, and writes TASK_CREATED', async () => {
    const team = await t.createTeam();
    await t.request('PATCH', '/api/team', {
      token: team.token,
      body: { settings: { defaultBudgets: { maxTurns: 3, maxCostUsd: 1.5 } } },
    });
    const res = await create(team, { ...valid, budgets: { maxCostUsd: 2 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'add-health',
      status: 'queued',
      workspace: '/srv/repos/api',
      mode: 'single',
      planFile: 'PLAN.md',
      verification: 'checks',
      claimedComplete: false,
      currentTurn: 0,
      costUsd: 0,
      budgets: { maxTurns: 3, maxCostUsd: 2, maxTokens: 2000000, maxWallSeconds: 3600 },
      checkIntervalSeconds: 30,
      latestChecks: null,
    });
    const events = await t.request('GET', `/api/events?taskId=${res.body.id}`, { token: team.token });
    expect(events.body.items.map((e: any) => [e.type, e.data.status])).toEqual([['TASK_CREATED', 'queued']]);
  });

  it('marks a task without checks as weakly verified', async () => {
    const team = await t.createTeam();
    const { checks: _checks, ...noChecks } = valid;
    expect((await create(team, noChecks)).body.verification).toBe('weak');
  });

  it('replays the same Idempotency-Key and body (200, same task), refuses another body under it (409)', async () => {
    const team = await t.createTeam();
    const first = await create(team, valid, { 'idempotency-key': 'ci-run-42' });
    expect(first.status).toBe(201);
    const again = await create(
      team,
      { goal: valid.goal, name: valid.name, checks: valid.checks, steps: valid.steps, workspace: valid.workspace },
      { 'idempotency-key': 'ci-run-42' },
    );
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await create(team, { ...valid, goal: 'something else' }, { 'idempotency-key': 'ci-run-42' });
    expectErrorBody(other, 409, 'task/idempotency_key_reused');
    // Another team's key space is its own.
    const otherTeam = await t.createTeam();
    expect((await create(otherTeam, valid, { 'idempotency-key': 'ci-run-42' })).status).toBe(201);
    // Concurrent first uses of one key make one task.
    const racing = await Promise.all([1, 2, 3, 4].map(() => create(team, valid, { 'idempotency-key': 'race' })));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(racing.map((r) => r.body.id)).size).toBe(1);
    expectErrorBody(await create(team, valid, { 'idempotency-key': 'has space' }), 400, 'task/invalid_idempotency_key');
  });

  it('validates the body with field messages', async () => {
    const team = await t.createTeam();
    for (const [body, field] of [
      [{ ...valid, workspace: 'relative/path' }, 'workspace'],
      [{ ...valid, workspace: '/srv/../etc' }, 'workspace'],
      [{ ...valid, checkIntervalSeconds: 2 }, 'checkIntervalSeconds'],
      [{ ...valid, mode: 'loop' }, 'mode'],
      [{ ...valid, model: 'no-provider' }, 'model'],
      [{ ...valid, budgets: { maxTurns: 0 } }, 'budgets.maxTurns'],
      [{ ...valid, planFile: '../PLAN.md' }, 'planFile'],
      [{ ...valid, sessionId: 'abc' }, 'sessionId'],
      [{ ...valid, name: null }, 'name'],
      [{ ...valid, checks: [{ kind: 'file_exists', path: '../../etc/passwd' }] }, 'checks'],
      [{ ...valid, checks: [{ kind: 'trust_me' }] }, 'checks'],
    ] as const) {
      const res = await create(team, body);
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(res.body.details.map((d: any) => d.field)).toContain(field);
    }
    const template = await create(team, { ...valid, promptTemplate: 'Do {{GOAL}} then {{GAOL}}' });
    expectErrorBody(template, 400, 'task/unknown_placeholder');
    expect(template.body.message).toContain('{{GAOL}}');
    expectErrorBody(
      await create(team, { ...valid, hostId: '0195f3c2-9a00-7000-8000-00000000a001', labels: ['x'] }),
      400,
      'task/host_and_labels',
    );
  });

  it('refuses a bad check with 400 and a message naming the check and its field', async () => {
    const team = await t.createTeam();
    const good = valid.checks[0];
    for (const [check, message] of [
      [{ kind: 'trust_me', path: 'a' }, /^checks\[1\]\.kind must be one of file_exists, .*, json_schema, reply_json$/],
      [{ kind: 'file_exists', path: '../../etc/passwd' }, 'checks[1].path must not escape the workspace (..)'],
      [
        { kind: 'file_contains', path: 'src/../../x', pattern: 'x' },
        'checks[1].path must not escape the workspace (..)',
      ],
      [{ kind: 'file_exists', path: '/etc/passwd' }, 'checks[1].path must lie inside the workspace /srv/repos/api'],
      [
        { kind: 'file_absent', path: '/srv/repos/api-other/x' },
        'checks[1].path must lie inside the workspace /srv/repos/api',
      ],
      [{ kind: 'git_changed', paths: ['src', '../x'] }, 'checks[1].paths[1] must not escape the workspace (..)'],
      [{ kind: 'command' }, /^checks\[1\]\.command must be a string$/],
      [{ kind: 'command', command: '  ' }, 'checks[1].command must not be blank'],
      [{ kind: 'command', command: 'npm test', timeoutSeconds: 0 }, /^checks\[1\]\.timeoutSeconds /],
      [{ kind: 'file_contains', path: 'a.ts', pattern: '(', regex: true }, /^checks\[1\]\.pattern is not a valid/],
      [{ kind: 'file_exists', path: 'a.ts', extra: 1 }, 'checks[1].extra: property extra should not exist'],
      ['file_exists', 'checks[1] must be an object'],
    ] as const) {
      const res = await create(team, { ...valid, checks: [good, check] });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect({ check, details: res.body.details }).toEqual({
        check,
        details: [
          { field: 'checks', errors: [typeof message === 'string' ? message : expect.stringMatching(message)] },
        ],
      });
    }
    // Every problem is reported, each naming its check.
    const many = await create(team, {
      ...valid,
      checks: [{ kind: 'nope' }, good, { kind: 'file_exists', path: '../x' }, { kind: 'command' }],
    });
    expectErrorBody(many, 400, 'request/validation_failed');
    expect(many.body.details[0].errors[0].split('; ').map((m: string) => m.split(' ')[0])).toEqual([
      'checks[0].kind',
      'checks[2].path',
      'checks[3].command',
    ]);
    expectErrorBody(
      await create(team, { ...valid, checks: Array.from({ length: 51 }, () => good) }),
      400,
      'request/validation_failed',
    );

    // Absolute paths inside the task's workspace are fine, and so are `..` segments that stay inside.
    // (A command check also needs the team's policy: docs/security.md.)
    await setCommandChecks(t, team, true);
    const inside = await create(team, {
      ...valid,
      checks: [
        { kind: 'file_exists', path: '/srv/repos/api/src/health.ts' },
        { kind: 'file_contains', path: 'src/../README.md', pattern: 'health', name: 'documented' },
        { kind: 'git_changed', paths: ['.', '/srv/repos/api/src'] },
        { kind: 'command', command: 'npm test', timeoutSeconds: 600 },
      ],
    });
    expect(inside.status).toBe(201);
  });

  it("refuses another team's host (404) and answers 404 for another team's task on every route", async () => {
    const a = await t.createTeam();
    const b = await t.createTeam();
    const host = await t.get(PrismaService).host.create({
      data: { teamId: a.teamId, name: 'h', baseUrl: 'http://10.0.0.1', labels: [], workspaceRoots: ['/srv'] },
    });
    expectErrorBody(await create(b, { ...valid, hostId: host.id }), 404, 'host/not_found');
    expect((await create(a, { ...valid, hostId: host.id })).body.hostId).toBe(host.id);

    const id = (await create(a, valid)).body.id;
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['GET', '/turns', undefined],
      ['GET', '/checks', undefined],
      ['POST', '/abort', undefined],
      ['POST', '/pause', undefined],
      ['POST', '/resume', {}],
      ['POST', '/takeover', { goal: 'x' }],
      ['POST', '/archive', undefined],
      ['DELETE', '', undefined],
    ] as const) {
      expectErrorBody(
        await t.request(method, `/api/tasks/${id}${path}`, { token: b.token, body }),
        404,
        'task/not_found',
      );
    }
    expect((await t.request('GET', `/api/tasks/${id}`, { token: a.token })).body.status).toBe('queued');
  });

  it('moves through user actions and refuses invalid ones with 409 naming the current state', async () => {
    const team = await t.createTeam();
    const id = (await create(team, valid)).body.id as string;
    const act = (action: string, body?: unknown) =>
      t.request('POST', `/api/tasks/${id}/${action}`, { token: team.token, body });

    expectErrorBody(await act('archive'), 409, 'task/invalid_state');
    expectErrorBody(await t.request('DELETE', `/api/tasks/${id}`, { token: team.token }), 409, 'task/invalid_state');
    const takeover = await act('takeover', { goal: 'new goal' });
    expectErrorBody(takeover, 409, 'task/invalid_state');
    expect(takeover.body.message).toMatch(/cannot takeover .* a task that is queued/);
    expect(takeover.body.details).toEqual({ currentState: 'queued' });

    expect((await act('pause')).body.status).toBe('paused');
    expect((await act('resume')).body.status).toBe('queued'); // never dispatched: back in the queue
    await force(id, { status: 'running', sessionId: 'ses_abc' });
    expect((await act('pause')).body.status).toBe('paused');
    const resumed = await act('resume', { goal: 'finish it' });
    expect(resumed.body).toMatchObject({ status: 'running', goal: 'finish it' });
    expect((await act('takeover', { goal: 'do this instead' })).body).toMatchObject({
      status: 'running',
      goal: 'do this instead',
    });
    const aborted = await act('abort');
    expect(aborted.body).toMatchObject({ status: 'aborted', finishedAt: expect.any(String) });
    expectErrorBody(await act('abort'), 409, 'task/invalid_state');

    const archived = await act('archive');
    expect(archived.body.archived).toBe(true);
    expect(
      (await t.request('GET', '/api/tasks', { token: team.token })).body.items.map((x: any) => x.id),
    ).not.toContain(id);
    expect(
      (await t.request('GET', '/api/tasks?archived=true', { token: team.token })).body.items.map((x: any) => x.id),
    ).toContain(id);
    expect((await t.request('DELETE', `/api/tasks/${id}`, { token: team.token })).status).toBe(204);
    expectErrorBody(await t.request('GET', `/api/tasks/${id}`, { token: team.token }), 404, 'task/not_found');

    const events = await t.request('GET', `/api/events?taskId=${id}&limit=100`, { token: team.token });
    expect(events.body.items.map((e: any) => e.type)).toEqual([
      'TASK_CREATED',
      'TASK_UPDATED',
      'TASK_UPDATED',
      'TASK_UPDATED',
      'TASK_UPDATED',
      'TASK_UPDATED',
      'TASK_ABORTED',
      'TASK_UPDATED',
    ]);
  });

  it('lists with paging and filters', async () => {
    const team = await t.createTeam();
    const ids: string[] = [];
    for (const labels of [['linux'], ['linux', 'gpu'], ['mac']])
      ids.push((await create(team, { ...valid, labels })).body.id);
    await force(ids[0]!, { status: 'running' });
    const page1 = await t.request('GET', '/api/tasks?limit=2', { token: team.token });
    expect(page1.body.items.map((x: any) => x.id)).toEqual([ids[2], ids[1]]);
    const page2 = await t.request('GET', `/api/tasks?limit=2&cursor=${page1.body.nextCursor}`, { token: team.token });
    expect(page2.body).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    expect(
      (await t.request('GET', '/api/tasks?label=gpu', { token: team.token })).body.items.map((x: any) => x.id),
    ).toEqual([ids[1]]);
    expect(
      (await t.request('GET', '/api/tasks?status=running', { token: team.token })).body.items.map((x: any) => x.id),
    ).toEqual([ids[0]]);
    expect((await t.request('GET', '/api/tasks?status=queued,running', { token: team.token })).body.items).toHaveLength(
      3,
    );
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await t.request('GET', `/api/tasks?createdFrom=${future}`, { token: team.token })).body.items).toEqual([]);
    expect((await t.request('GET', `/api/tasks?createdTo=${future}`, { token: team.token })).body.items).toHaveLength(
      3,
    );
    expectErrorBody(
      await t.request('GET', '/api/tasks?status=bogus', { token: team.token }),
      400,
      'request/validation_failed',
    );
    expect((await t.request('GET', `/api/tasks/${ids[0]}/turns`, { token: team.token })).body).toEqual({
      items: [],
      nextCursor: null,
    });
    expect((await t.request('GET', `/api/tasks/${ids[0]}/checks`, { token: team.token })).body).toEqual({
      items: [],
      nextCursor: null,
    });
  });
});
