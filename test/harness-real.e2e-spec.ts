// The harness end to end against the REAL `opencode serve` (offline, scripted fake LLM; see
// /work/shared/opencode-offline.md and libs/testing/src/opencode). The same flows run fast against the
// in-process fake host in harness.e2e-spec.ts; here nothing about OpenCode is simulated: sessions,
// prompt_async, the tools writing files, abort, message ids and token counts are the binary's own.
//
// One server serves the whole file, with one workspace per test (a git repo each, `extraWorkspaces`),
// so the tests cannot see each other's files or sessions. Each test makes its own team and registers
// the server as that team's host through the API.
//
// The server has no password on purpose: every app with workers sweeps and probes every task and host
// in the (shared) test database, and each TestApp has its own HEDDLE_ENCRYPTION_KEY, so another test
// file's worker that picked up one of these tasks or hosts could not decrypt a stored password and
// would hold the task's step chain in a loop of failed steps. Without one, such a worker can only do
// the same correct step. (Basic auth against the real server: opencode-contract.e2e-spec.ts.)
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssistantMessage, MessageWithParts, OpencodeClient } from '@heddle/opencode-client';
import {
  FAKE_DONE_CONTENT,
  FAKE_MODEL_REF,
  RealOpencode,
  RunningProcess,
  TestApp,
  TestTeam,
  opencodeBinaryAvailable,
  opencodeBinaryRequired,
  setCommandChecks,
  startWorkerProcess,
  startRealOpencode,
  waitFor,
} from '@heddle/testing';

jest.setTimeout(60_000);

const WORKSPACES = ['happy', 'claim', 'second', 'plan', 'abort', 'takeover', 'killed', 'followup'] as const;
type WorkspaceName = (typeof WORKSPACES)[number];
const FINISHED = ['completed', 'failed', 'aborted'];

/** How fast the harness looks (the event stream usually wakes it sooner). */
const HARNESS_ENV = {
  HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
  HARNESS_POLL_MS: '200',
  HARNESS_TURN_START_GRACE_MS: '5000',
  HARNESS_HOST_WAIT_SECONDS: '5',
};

// On linux-x64 a missing binary fails the file (startRealOpencode throws); elsewhere it is skipped.
const enabled = opencodeBinaryRequired() || opencodeBinaryAvailable();
const describeReal = enabled ? describe : describe.skip;

const isAssistant = (m: MessageWithParts): m is MessageWithParts<AssistantMessage> => m.info.role === 'assistant';

/** A thin layer over the API of one TestApp: teams, hosts, tasks, turns, events. */
class Api {
  constructor(readonly t: TestApp) {}

  async hostFor(team: TestTeam, server: RealOpencode): Promise<string> {
    const host = await this.t.request('POST', '/api/hosts', {
      token: team.token,
      body: { name: 'real-opencode', baseUrl: server.baseUrl, workspaceRoots: [server.root] },
    });
    expect(host.status).toBe(201);
    const probe = await this.t.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token });
    expect(probe.status).toBe(200);
    expect(probe.body.status).toBe('online');
    return host.body.id;
  }

  async createTask(team: TestTeam, body: Record<string, unknown>): Promise<string> {
    const res = await this.t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: 'real-task', model: FAKE_MODEL_REF, ...body },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async task(team: TestTeam, id: string) {
    return (await this.t.request('GET', `/api/tasks/${id}`, { token: team.token })).body;
  }

  async settled(team: TestTeam, id: string, timeoutMs = 30_000) {
    const { value } = await waitFor(
      () => this.task(team, id),
      (task) => FINISHED.includes(task.status),
      { timeoutMs, intervalMs: 100, what: `task ${id} finished` },
    );
    return value;
  }

  async turns(team: TestTeam, id: string) {
    return (await this.t.request('GET', `/api/tasks/${id}/turns`, { token: team.token })).body.items;
  }

  async events(team: TestTeam, taskId: string): Promise<{ type: string; data: Record<string, any> }[]> {
    const res = await this.t.request('GET', `/api/events?taskId=${taskId}&limit=100`, { token: team.token });
    expect(res.status).toBe(200);
    return res.body.items;
  }
}

describeReal('harness (e2e, real opencode serve)', () => {
  let server: RealOpencode;

  beforeAll(async () => {
    server = await startRealOpencode({ extraWorkspaces: [...WORKSPACES] });
    // Each directory's first request boots an OpenCode instance for it (about a second, much more on a
    // loaded machine): done here, at once, so the tests' timings are the harness's, not the boots'.
    await Promise.all(WORKSPACES.map((name) => direct(name).sessionStatuses()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const ws = (name: WorkspaceName) => server.workspaces[name]!;
  /** A client of the real server itself, to look at what the harness did there. */
  const direct = (name: WorkspaceName) =>
    new OpencodeClient({ baseUrl: server.baseUrl, directory: ws(name), timeoutMs: 30_000 });
  const userMessages = async (name: WorkspaceName, sessionId: string) =>
    (await direct(name).listMessages(sessionId)).messages.filter((m) => m.info.role === 'user');

  describe('with the workers in the API process', () => {
    let t: TestApp;
    let api: Api;

    beforeAll(async () => {
      t = await TestApp.create({ withWorkers: true, env: HARNESS_ENV });
      api = new Api(t);
    });
    afterAll(async () => {
      await t?.close();
    });

    async function setup(prefix: string): Promise<{ team: TestTeam; hostId: string }> {
      const team = await t.createTeam(prefix);
      return { team, hostId: await api.hostFor(team, server) };
    }

    it('create → dispatch → the agent writes the file → idle → checks pass → completed, with the exact events', async () => {
      const { team, hostId } = await setup('real-happy');
      // No stale-busy report in the middle of the sequence, however slow the first turn of a directory is.
      const patched = await t.request('PATCH', '/api/team', {
        token: team.token,
        body: { settings: { staleBusyObservations: 1000 } },
      });
      expect(patched.status).toBe(200);
      const id = await api.createTask(team, {
        workspace: ws('happy'),
        goal: 'Create the file. FILE:hello.txt',
        hostId,
        checks: [{ kind: 'file_exists', path: 'hello.txt' }],
      });
      const task = await api.settled(team, id);
      expect(task).toMatchObject({ status: 'completed', reason: null, hostId, verification: 'checks', currentTurn: 1 });
      expect(task.sessionId).toMatch(/^ses_/);

      const events = await api.events(team, id);
      expect(events.map((e) => e.type)).toEqual([
        'TASK_CREATED',
        'TASK_UPDATED',
        'TASK_STARTED',
        'TURN_STARTED',
        'TURN_FINISHED',
        'TASK_UPDATED',
        'CHECK_RESULT',
        'TASK_COMPLETED',
      ]);
      expect(events[1]!.data).toMatchObject({ status: 'dispatching', previousStatus: 'queued' });
      expect(events[5]!.data).toMatchObject({ status: 'verifying', previousStatus: 'running' });
      expect(events[6]!.data).toMatchObject({ allPassed: true, midTurn: false });
      expect(events[4]!.data).toMatchObject({ turn: 1, outcome: 'finished' });

      // The file is really on disk, written by OpenCode's own write tool.
      expect(readFileSync(join(ws('happy'), 'hello.txt'), 'utf8')).toBe(FAKE_DONE_CONTENT);

      // The turn's tokens are recorded, and they are what the real session's assistant messages say.
      const [turn] = await api.turns(team, id);
      expect(turn).toMatchObject({ number: 1, sessionId: task.sessionId, outcome: 'finished' });
      const messages = (await direct('happy').listMessages(task.sessionId)).messages;
      expect(messages.filter((m) => m.info.role === 'user').map((m) => m.info.id)).toEqual([events[3]!.data.messageId]);
      const replies = messages.filter(isAssistant);
      const sum = (f: (m: MessageWithParts<AssistantMessage>) => number) => replies.reduce((n, m) => n + f(m), 0);
      expect(turn.tokens.input).toBeGreaterThan(0);
      expect(turn.tokens.output).toBeGreaterThan(0);
      expect(turn.tokens).toMatchObject({
        input: sum((m) => m.info.tokens.input),
        output: sum((m) => m.info.tokens.output),
      });
      expect(task.tokens).toMatchObject({ input: turn.tokens.input, output: turn.tokens.output });

      const host = await t.request('GET', `/api/hosts/${hostId}`, { token: team.token });
      expect(host.body.activeSessions).toBe(0);
    });

    it('a model that only replies TASK COMPLETE ends failed, never completed, with claimedComplete', async () => {
      const { team, hostId } = await setup('real-claim');
      // No checks: weak verification, which needs the working tree to change.
      const id = await api.createTask(team, {
        workspace: ws('claim'),
        goal: 'SAY:TASK COMPLETE',
        hostId,
        budgets: { maxTurns: 2 },
      });
      const task = await api.settled(team, id);
      expect(task).toMatchObject({
        status: 'failed',
        reason: 'checks.failed',
        verification: 'weak',
        claimedComplete: true,
        currentTurn: 2,
      });
      const types = (await api.events(team, id)).map((e) => e.type);
      expect(types).not.toContain('TASK_COMPLETED');
      expect(types.filter((x) => x === 'CHECK_RESULT')).toHaveLength(2);
      const turns = await api.turns(team, id);
      expect(turns.map((x: { sessionId: string }) => x.sessionId)).toEqual([task.sessionId, task.sessionId]);
      expect(turns.map((x: { outcome: string }) => x.outcome)).toEqual(['finished', 'finished']);
      expect(await userMessages('claim', task.sessionId)).toHaveLength(2);
      // Nothing was written.
      expect(existsSync(join(ws('claim'), 'DONE.md'))).toBe(false);
    });

    it('a failing check yields a second turn in the same session whose prompt names it, which then passes', async () => {
      const { team, hostId } = await setup('real-second');
      await setCommandChecks(t, team, true);
      // Turn 1's prompt holds no directive: the fake LLM writes DONE.md, and the check fails. Its
      // output (built so that the command's own text, which every prompt lists, holds no directive)
      // says FILE:fixed.txt; only the second prompt carries it, inside the failing-check block.
      const check = {
        kind: 'command',
        name: 'fixed file present',
        command: `test -f fixed.txt || { echo "missing: FI""LE:fixed.txt"; exit 1; }`,
        timeoutSeconds: 20,
      };
      const id = await api.createTask(team, {
        workspace: ws('second'),
        goal: 'Make the acceptance check pass.',
        hostId,
        checks: [check],
      });
      const task = await api.settled(team, id);
      expect(task).toMatchObject({ status: 'completed', currentTurn: 2 });
      const [first, second] = await api.turns(team, id);
      expect(first.prompt).not.toContain('FILE:');
      expect(first.prompt).not.toContain('These checks still fail');
      expect(second.sessionId).toBe(first.sessionId);
      expect(second.prompt).toContain('These checks still fail');
      expect(second.prompt).toContain('[command] fixed file present — FAILED');
      expect(second.prompt).toContain('missing: FILE:fixed.txt');
      expect(existsSync(join(ws('second'), 'DONE.md'))).toBe(true);
      expect(readFileSync(join(ws('second'), 'fixed.txt'), 'utf8')).toBe(FAKE_DONE_CONTENT);
      const checks = await t.request('GET', `/api/tasks/${id}/checks`, { token: team.token });
      expect(checks.body.items.map((c: { allPassed: boolean }) => c.allPassed)).toEqual([true, false]);
      // Two prompts, both in the task's session, and nothing else sent to it.
      expect((await userMessages('second', task.sessionId)).map((m) => m.info.id)).toHaveLength(2);
    });

    it('runs a plan: one item ticked per iteration, a fresh session each, progress, the summary from the tag', async () => {
      const { team, hostId } = await setup('real-plan');
      const planPath = join(ws('plan'), 'PLAN.md');
      writeFileSync(
        planPath,
        ['# Plan', '', '- [ ] item one', '- [ ] item two', '- [ ] item three', '- [MANUAL] ask legal', ''].join('\n'),
      );
      // The agent's bash tool ticks the first open item; once none is left it adds the tag. The same
      // command every iteration: what it does depends on the plan file, like a real agent's work.
      const tick =
        `sed -i '0,/^- \\[ \\]/s//- [x]/' ${planPath} && ` +
        `{ grep -q '^- \\[ \\]' ${planPath} || echo '<plan-complete>three items ticked</plan-complete>' >> ${planPath}; }`;
      const goal = `Work through the plan. CALL:bash ${JSON.stringify({ command: tick, description: 'Tick the next plan item' })}`;
      const id = await api.createTask(team, { workspace: ws('plan'), goal, hostId, mode: 'plan' });
      const task = await api.settled(team, id, 45_000);
      expect(task).toMatchObject({ status: 'completed', currentTurn: 3, result: { summary: 'three items ticked' } });
      expect(task.progress).toMatchObject({
        mode: 'plan',
        percent: 100,
        done: 3,
        total: 4,
        manual: 1,
        open: 0,
        iterations: 3,
        etaMs: 0,
      });
      expect(readFileSync(planPath, 'utf8')).toBe(
        [
          '# Plan',
          '',
          '- [x] item one',
          '- [x] item two',
          '- [x] item three',
          '- [MANUAL] ask legal',
          '<plan-complete>three items ticked</plan-complete>',
          '',
        ].join('\n'),
      );
      const turns = await api.turns(team, id);
      const sessions = turns.map((x: { sessionId: string }) => x.sessionId);
      expect(new Set(sessions).size).toBe(3);
      expect(turns[0].prompt).toContain(`Read the plan at ${planPath}`);
      // Progress after each iteration: one item closed per iteration.
      const iterations = (await api.events(team, id)).filter((e) => e.type === 'TASK_UPDATED' && e.data.iteration);
      expect(iterations.map((e) => [e.data.iteration, e.data.progress.done, e.data.progress.open])).toEqual([
        [1, 1, 2],
        [2, 2, 1],
        [3, 3, 0],
      ]);
      // One prompt per session.
      for (const sessionId of sessions) expect(await userMessages('plan', sessionId)).toHaveLength(1);
    });

    it('aborts a hung session: task aborted, turn aborted, the session idle on the server', async () => {
      const { team, hostId } = await setup('real-abort');
      const id = await api.createTask(team, { workspace: ws('abort'), goal: 'HANG', hostId });
      const { value: running } = await waitFor(
        () => api.task(team, id),
        (task) => task.status === 'running' && task.currentTurn === 1,
        { timeoutMs: 15_000, what: 'the turn running' },
      );
      // The LLM call is held open: the session is busy on the server.
      await server.llm.waitForRequest((r) => r.reply === 'hang' && r.userText.includes(ws('abort')));
      expect(await direct('abort').sessionStatus(running.sessionId)).toEqual({ type: 'busy' });

      const res = await t.request('POST', `/api/tasks/${id}/abort`, { token: team.token });
      expect(res.status).toBe(200);
      await waitFor(
        () => api.turns(team, id),
        (items) => items[0]?.outcome === 'aborted',
        { timeoutMs: 10_000, what: 'the turn marked aborted' },
      );
      expect(await api.task(team, id)).toMatchObject({ status: 'aborted', currentTurn: 1 });
      await server.llm.waitForNoHangs();
      const statuses = await direct('abort').sessionStatuses();
      expect(statuses[running.sessionId]).toBeUndefined();
      expect(await direct('abort').sessionStatus(running.sessionId)).toEqual({ type: 'idle' });
      const reply = (await direct('abort').listMessages(running.sessionId)).messages.filter(isAssistant).at(-1);
      expect((reply?.info.error as { name?: string } | undefined)?.name).toBe('MessageAbortedError');
    });

    it('takes over a hung task: the same session gets a turn with the new goal, and the task completes', async () => {
      const { team, hostId } = await setup('real-takeover');
      const id = await api.createTask(team, {
        workspace: ws('takeover'),
        goal: 'HANG',
        hostId,
        checks: [{ kind: 'file_exists', path: 'taken.txt' }],
      });
      const { value: running } = await waitFor(
        () => api.task(team, id),
        (task) => task.status === 'running' && task.currentTurn === 1,
        { timeoutMs: 15_000, what: 'the first turn running' },
      );
      await server.llm.waitForRequest((r) => r.reply === 'hang' && r.userText.includes(ws('takeover')));
      const res = await t.request('POST', `/api/tasks/${id}/takeover`, {
        token: team.token,
        body: { goal: 'FILE:taken.txt' },
      });
      expect(res.status).toBe(200);
      const task = await api.settled(team, id);
      expect(task).toMatchObject({ status: 'completed', currentTurn: 2, sessionId: running.sessionId });
      const [first, second] = await api.turns(team, id);
      expect(first.outcome).toBe('aborted');
      expect(second).toMatchObject({ sessionId: running.sessionId, outcome: 'finished' });
      expect(second.prompt).toContain('FILE:taken.txt');
      expect(existsSync(join(ws('takeover'), 'taken.txt'))).toBe(true);
      expect(await userMessages('takeover', running.sessionId)).toHaveLength(2);
      const replies = (await direct('takeover').listMessages(running.sessionId)).messages.filter(isAssistant);
      expect((replies[0]?.info.error as { name?: string } | undefined)?.name).toBe('MessageAbortedError');
    });

    it('a follow-up posted while a turn runs is the next turn in the same session; the running turn is not cut', async () => {
      const { team, hostId } = await setup('real-followup');
      const id = await api.createTask(team, {
        workspace: ws('followup'),
        goal: 'SLOW:3000 FILE:first.txt',
        hostId,
        checks: [
          { kind: 'file_exists', path: 'first.txt' },
          { kind: 'file_exists', path: 'second.txt' },
        ],
        followUps: { debounceMs: 0 },
      });
      const { value: running } = await waitFor(
        () => api.task(team, id),
        (task) => task.status === 'running' && task.currentTurn === 1,
        { timeoutMs: 15_000, what: 'the first turn running' },
      );
      // The model is answering turn 1 (slowly): the message is queued, not sent.
      await server.llm.waitForRequest((r) => r.userText.includes('FILE:first.txt'));
      const sent = await t.request('POST', `/api/tasks/${id}/messages`, {
        token: team.token,
        body: { text: 'One more thing: FILE:second.txt' },
      });
      expect(sent.status).toBe(202);
      const task = await api.settled(team, id);
      expect(task).toMatchObject({ status: 'completed', currentTurn: 2, sessionId: running.sessionId });
      const [first, second] = await api.turns(team, id);
      expect(first).toMatchObject({ outcome: 'finished', sessionId: running.sessionId });
      expect(second).toMatchObject({
        outcome: 'finished',
        sessionId: running.sessionId,
        prompt: 'One more thing: FILE:second.txt',
      });
      expect(existsSync(join(ws('followup'), 'first.txt'))).toBe(true);
      expect(existsSync(join(ws('followup'), 'second.txt'))).toBe(true);
      // Two prompts in the session, the second being the message itself; no reply was aborted.
      const prompts = await userMessages('followup', running.sessionId);
      const started = (await api.events(team, id)).filter((e) => e.type === 'TURN_STARTED');
      expect(prompts.map((m) => m.info.id)).toEqual(started.map((e) => e.data.messageId));
      const replies = (await direct('followup').listMessages(running.sessionId)).messages.filter(isAssistant);
      expect(
        replies.filter((r) => (r.info.error as { name?: string } | undefined)?.name === 'MessageAbortedError'),
      ).toEqual([]);
      const checks = await t.request('GET', `/api/tasks/${id}/checks`, { token: team.token });
      expect(checks.body.items).toHaveLength(1); // judged once: after the follow-up's turn
    });
  });

  describe('workspace roots (docs/security.md)', () => {
    let t: TestApp;
    let api: Api;
    let outside: string;

    beforeAll(async () => {
      t = await TestApp.create({ withWorkers: true, env: HARNESS_ENV });
      api = new Api(t);
      outside = realpathSync(mkdtempSync(join(tmpdir(), 'heddle-outside-roots-')));
    });
    afterAll(async () => {
      await t?.close();
      rmSync(outside, { recursive: true, force: true });
    });

    it('a workspace inside the roots that is a symlink to a directory outside them fails workspace.outside_roots, with no session', async () => {
      // The host's roots hold every workspace of the server; the link in them leads out.
      const link = join(server.root, 'escape');
      symlinkSync(outside, link);
      const team = await t.createTeam('real-roots');
      const hostId = await api.hostFor(team, server);
      const id = await api.createTask(team, { workspace: link, goal: 'FILE:pwned.txt', hostId });
      const task = await api.settled(team, id);
      expect(task).toMatchObject({ status: 'failed', reason: 'workspace.outside_roots', sessionId: null });
      expect(task.reasonDetail).toContain(`resolves to ${outside}`);
      expect(task.reasonDetail).toContain(server.root);
      // The real server was never asked to open a session there, and nothing was written.
      const there = new OpencodeClient({ baseUrl: server.baseUrl, directory: outside, timeoutMs: 30_000 });
      expect(await there.listSessions()).toEqual([]);
      expect(existsSync(join(outside, 'pwned.txt'))).toBe(false);
      expect((await api.events(team, id)).map((e) => e.type)).not.toContain('TASK_STARTED');
    });
  });

  describe('with the harness worker in its own process', () => {
    // Runs after the in-process workers above are closed, so no other worker of this file can
    // take the task's steps. API in-process without workers; the harness consumer in child processes.
    const prefix = `hreal-${randomUUID().slice(0, 8)}`;
    // API and workers of one install share the key, as in a deployment.
    const encryptionKey = randomBytes(32).toString('base64');
    let t: TestApp;
    let api: Api;
    const workers: RunningProcess[] = [];

    async function startWorker(team: TestTeam): Promise<RunningProcess> {
      const worker = await startWorkerProcess(
        {
          // Only this team's tasks: the sweep must not step tasks other test files left behind.
          WORKER_TEAMS: team.teamId,
          HEDDLE_ENCRYPTION_KEY: encryptionKey,
          QUEUE_PREFIX: prefix,
          WORKER_CONSUMERS: 'harness',
          HARNESS_LEASE_SECONDS: '5',
          HARNESS_SWEEP_MS: '1000',
          ...HARNESS_ENV,
        },
        30_000,
      );
      workers.push(worker);
      return worker;
    }

    beforeAll(async () => {
      t = await TestApp.create({ env: { ...HARNESS_ENV, QUEUE_PREFIX: prefix, HEDDLE_ENCRYPTION_KEY: encryptionKey } });
      api = new Api(t);
    });
    afterAll(async () => {
      for (const w of workers) {
        w.signal('SIGKILL');
        await w.exited;
      }
      await t?.close();
    });

    it('a worker killed with SIGKILL mid-turn is replaced; the task finishes with exactly one prompt per turn', async () => {
      const team = await t.createTeam('real-killed');
      const hostId = await api.hostFor(team, server);
      const first = await startWorker(team);
      const id = await api.createTask(team, {
        workspace: ws('killed'),
        goal: 'Write it slowly. SLOW:5000 FILE:slow.txt',
        hostId,
        checks: [{ kind: 'file_exists', path: 'slow.txt' }],
      });
      // The prompt reached the model: the turn runs (the reply comes in 5 s). Kill the worker now.
      await server.llm
        .waitForRequest((r) => r.lastRole === 'user' && r.userText.includes('FILE:slow.txt'), 45_000)
        .catch(async (err: Error) => {
          const task = await api.task(team, id);
          const events = (await api.events(team, id)).map((e) => [e.type, e.data]);
          throw new Error(
            `${err.message.slice(0, 300)}\ntask: ${JSON.stringify(task)}\nevents: ${JSON.stringify(events)}\n` +
              `worker: ${first.output().slice(-3000)}`,
          );
        });
      const before = await api.task(team, id);
      expect(before).toMatchObject({ status: 'running', currentTurn: 1 });
      first.signal('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      // Mid-turn: the session is still busy and nothing is written yet.
      expect(await direct('killed').sessionStatus(before.sessionId)).toEqual({ type: 'busy' });
      expect(existsSync(join(ws('killed'), 'slow.txt'))).toBe(false);

      const second = await startWorker(team);
      const task = await api.settled(team, id, 30_000);
      expect(task).toMatchObject({ status: 'completed', currentTurn: 1, sessionId: before.sessionId });
      expect(existsSync(join(ws('killed'), 'slow.txt'))).toBe(true);

      const turns = await api.turns(team, id);
      expect(turns).toHaveLength(1);
      expect(turns[0]).toMatchObject({ outcome: 'finished', sessionId: before.sessionId });
      // Exactly one prompt per turn reached the session, and the model was asked once per turn.
      expect(await userMessages('killed', task.sessionId)).toHaveLength(turns.length);
      const asked = server.llm
        .requests()
        .filter((r) => r.tools.length > 0 && r.lastRole === 'user' && r.userText.includes('FILE:slow.txt'));
      expect(asked).toHaveLength(turns.length);
      // The replacement worker logged no failed step, and the events end in completion.
      expect(
        second
          .output()
          .split('\n')
          .filter((line) => line.includes('"level":50')),
      ).toEqual([]);
      const types = (await api.events(team, id)).map((e) => e.type);
      expect(types.filter((x) => x === 'TURN_STARTED')).toHaveLength(1);
      expect(types.at(-1)).toBe('TASK_COMPLETED');
    }, 120_000);
  });
});
