// A task's `model` and `agent` are checked at create against the host it names (`GET /config/providers`,
// `GET /agent`): unknown → 400 naming it. A host that cannot be asked does not refuse the task (the
// harness checks again at dispatch: `model.unknown` / `agent.unknown`), and neither is a task whose
// host is chosen later by labels. Each test makes its own team and host; the last one asks the real
// binary.
import { dirname } from 'node:path';
import { OpencodeClient } from '@heddle/opencode-client';
import {
  FAKE_MODEL_REF,
  FakeHosts,
  FakeOpencode,
  FakeOpencodeOptions,
  RealOpencode,
  TestApp,
  TestTeam,
  expectErrorBody,
  opencodeBinaryAvailable,
  opencodeBinaryRequired,
  registerHost,
  startFakeOpencode,
  settledTask,
  startRealOpencode,
} from '@heddle/testing';

jest.setTimeout(60_000);

describe('model and agent validated at create (e2e)', () => {
  let t: TestApp;
  const fakes: FakeOpencode[] = [];

  beforeAll(async () => {
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1' } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(fakes.map((f) => f.stop()));
  });

  interface Setup {
    team: TestTeam;
    fake: FakeOpencode;
    hostId: string;
    /** A valid body for a task on that host (no model, no agent). */
    task: { name: string; workspace: string; goal: string; hostId: string };
  }

  async function setup(options: FakeOpencodeOptions = {}): Promise<Setup> {
    const team = await t.createTeam();
    const fake = await startFakeOpencode({ git: false, ...options });
    fakes.push(fake);
    const hostId = await registerHost(t, team, {
      name: 'fake',
      baseUrl: fake.baseUrl,
      workspaceRoots: [dirname(fake.workspace)],
      labels: ['fake'],
    });
    return { team, fake, hostId, task: { name: 'm', workspace: fake.workspace, goal: 'do it', hostId } };
  }

  const create = (team: TestTeam, body: Record<string, unknown>) =>
    t.request('POST', '/api/tasks', { token: team.token, body });
  const catalogReads = (fake: FakeOpencode) =>
    fake.requests().filter((r) => r.path === '/config/providers' || r.path === '/agent');

  it('an unknown model is a 400 naming it and the models the host has', async () => {
    const { team, fake, task } = await setup({ models: ['fake/fake-model', 'acme/big', 'acme/small'] });
    const res = await create(team, { ...task, model: 'acme/huge' });
    expectErrorBody(res, 400, 'request/validation_failed');
    const message = 'model "acme/huge" is unknown on host "fake"; known models: acme/big, acme/small, fake/fake-model';
    expect(res.body).toMatchObject({ message, details: [{ field: 'model', errors: [message] }] });
    // Asked about the task's own workspace.
    expect(catalogReads(fake).map((r) => r.query.directory)).toEqual([fake.workspace, fake.workspace]);

    const provider = await create(team, { ...task, model: 'anthropic/claude-sonnet-4-5' });
    expectErrorBody(provider, 400, 'request/validation_failed');
    expect(provider.body.message).toContain('model "anthropic/claude-sonnet-4-5" is unknown on host "fake"');
    expect(provider.body.message).toContain('(it has no provider "anthropic")');
    expect((await t.request('GET', '/api/tasks', { token: team.token })).body.items).toEqual([]);
  });

  it('an unknown agent is a 400 naming it and the agents the host has; hidden helpers count as unknown', async () => {
    const { team, task } = await setup();
    const res = await create(team, { ...task, model: FAKE_MODEL_REF, agent: 'reviewer' });
    expectErrorBody(res, 400, 'request/validation_failed');
    const message = 'agent "reviewer" is unknown on host "fake"; known agents: build, explore, general, plan';
    expect(res.body).toMatchObject({ message, details: [{ field: 'agent', errors: [message] }] });
    const hidden = await create(team, { ...task, agent: 'title' });
    expectErrorBody(hidden, 400, 'request/validation_failed');
    expect(hidden.body.details).toEqual([{ field: 'agent', errors: [expect.stringContaining('agent "title"')] }]);
  });

  it('known ones are stored (201); the host is asked once for several tasks, and not at all without model or agent', async () => {
    const { team, fake, task } = await setup({ models: ['fake/fake-model', 'openrouter/anthropic/claude'] });
    const res = await create(team, { ...task, model: 'openrouter/anthropic/claude', agent: 'plan' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'queued', model: 'openrouter/anthropic/claude', agent: 'plan' });
    for (const body of [{ model: FAKE_MODEL_REF }, { agent: 'build' }, { agent: 'explore' }]) {
      expect((await create(team, { ...task, ...body })).status).toBe(201);
    }
    expect(catalogReads(fake)).toHaveLength(2); // one read, reused
    fake.clear();
    const other = await setup();
    expect((await create(other.team, other.task)).status).toBe(201);
    expect(catalogReads(other.fake)).toEqual([]);
  });

  it('a host that is down does not refuse the task (checked at dispatch instead)', async () => {
    const { team, fake, task } = await setup();
    await fake.setUnreachable(true);
    const started = Date.now();
    const res = await create(team, { ...task, model: 'acme/huge', agent: 'reviewer' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ model: 'acme/huge', agent: 'reviewer', hostId: task.hostId });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a task whose host is chosen later (labels) is not checked at create', async () => {
    const { team, fake, task } = await setup();
    const { hostId: _hostId, ...rest } = task;
    const res = await create(team, { ...rest, labels: ['fake'], model: 'acme/huge', agent: 'reviewer' });
    expect(res.status).toBe(201);
    expect(catalogReads(fake)).toEqual([]);
  });

  it('other refusals come first and never ask the host (missing host, workspace outside its roots)', async () => {
    const { team, fake, task } = await setup();
    const other = await t.createTeam();
    expectErrorBody(await create(other, { ...task, model: 'acme/huge' }), 404, 'host/not_found');
    expectErrorBody(
      await create(team, { ...task, workspace: '/elsewhere/repo', model: 'acme/huge' }),
      400,
      'task/workspace_outside_roots',
    );
    expect(catalogReads(fake)).toEqual([]);
  });

  // The real binary: its /config/providers lists the configured scripted provider (and OpenCode's
  // own Zen provider); its /agent the native agents.
  const enabled = opencodeBinaryRequired() || opencodeBinaryAvailable();
  (enabled ? describe : describe.skip)('against the real opencode serve', () => {
    let oc: RealOpencode;
    beforeAll(async () => {
      oc = await startRealOpencode();
      // A host in use: the first request for a directory starts its instance, which took up to ~3 s
      // on a cold server (HostCatalog waits CATALOG_TIMEOUT_MS, then leaves the check to dispatch).
      await new OpencodeClient({ baseUrl: oc.baseUrl, directory: oc.workspace }).configProviders({ timeoutMs: 30_000 });
    });
    afterAll(() => oc?.stop());

    it('refuses an unknown model or agent and stores known ones', async () => {
      const team = await t.createTeam();
      const hostId = await registerHost(t, team, { name: 'real', baseUrl: oc.baseUrl, workspaceRoots: [oc.root] });
      const task = { name: 'r', workspace: oc.workspace, goal: 'do it', hostId };
      const model = await create(team, { ...task, model: 'fake/nope', agent: 'build' });
      expectErrorBody(model, 400, 'request/validation_failed');
      expect(model.body.message).toMatch(
        /^model "fake\/nope" is unknown on host "real"; known models: fake\/fake-model, /,
      );
      const agent = await create(team, { ...task, model: FAKE_MODEL_REF, agent: 'no-such-agent' });
      expectErrorBody(agent, 400, 'request/validation_failed');
      expect(agent.body.details).toEqual([
        {
          field: 'agent',
          errors: ['agent "no-such-agent" is unknown on host "real"; known agents: build, explore, general, plan'],
        },
      ]);
      const ok = await create(team, { ...task, model: FAKE_MODEL_REF, agent: 'plan', start: false });
      expect(ok.status).toBe(201);
    });
  });
});

describe('model and agent validated at dispatch (e2e, host chosen by labels)', () => {
  let t: TestApp;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '200' },
    });
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  async function setup(): Promise<{ team: TestTeam; fake: FakeOpencode }> {
    const team = await t.createTeam();
    const { fake } = await hosts.forTeam(team, {
      name: 'chosen',
      labels: ['pool'],
      fake: { models: [FAKE_MODEL_REF] },
    });
    return { team, fake };
  }

  const sessionsOpened = (fake: FakeOpencode) =>
    fake.requests().filter((r) => r.method === 'POST' && r.path === '/session');

  it.each([
    ['model', { model: 'acme/huge' }, 'model.unknown', 'model "acme/huge" is unknown on host "chosen"'],
    ['agent', { agent: 'reviewer' }, 'agent.unknown', 'agent "reviewer" is unknown on host "chosen"'],
  ])('an unknown %s fails the task at dispatch, before any session is opened', async (_what, extra, reason, detail) => {
    const { team, fake } = await setup();
    const res = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: 'later', workspace: fake.workspace, goal: 'FILE:x.txt', labels: ['pool'], ...extra },
    });
    expect(res.status).toBe(201);
    const task = await settledTask(t, team, res.body.id);
    expect(task).toMatchObject({ status: 'failed', reason });
    expect(task.reasonDetail).toContain(detail);
    expect(sessionsOpened(fake)).toEqual([]);
  });

  it('a known model and agent run', async () => {
    const { team, fake } = await setup();
    const res = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: {
        name: 'later',
        workspace: fake.workspace,
        goal: 'FILE:ok.txt',
        labels: ['pool'],
        model: FAKE_MODEL_REF,
        agent: 'build',
        checks: [{ kind: 'file_exists', path: 'ok.txt' }],
      },
    });
    expect(res.status).toBe(201);
    expect(await settledTask(t, team, res.body.id)).toMatchObject({ status: 'completed' });
    expect(sessionsOpened(fake)).toHaveLength(1);
  });
});
