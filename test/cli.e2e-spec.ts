// The `heddle` CLI as a child process (apps/cli/bin/heddle.js, as `npx heddle` runs it) against the real
// API on a real port, a worker in the same process and a fake OpenCode host: the exit codes 0–5, progress
// on a terminal and in a log, --json, and the idempotent CI retry. Each test makes its own team and host.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHosts, FakeOpencode, REPO_ROOT, TestApp, TestTeam, freePort, getTask, waitFor } from '@heddle/testing';

jest.setTimeout(60_000);

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('heddle CLI (e2e, real server, fake host)', () => {
  let t: TestApp;
  let url: string;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '200' },
    });
    url = await t.baseUrl();
  });
  afterAll(async () => {
    await t.close();
    await hosts.stopAll();
  });

  async function setup(): Promise<{ team: TestTeam; fake: FakeOpencode; hostId: string }> {
    const team = await t.createTeam();
    return { team, ...(await hosts.forTeam(team)) };
  }

  /** Starts `heddle <args>`; `done` resolves with its exit code and output. No CI variables unless given. */
  function start(team: TestTeam | null, args: string[], env: Record<string, string> = {}) {
    const child = spawn('node', ['apps/cli/bin/heddle.js', ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        HEDDLE_URL: url,
        HEDDLE_TOKEN: team?.token ?? '',
        GITHUB_RUN_ID: '',
        CI_PIPELINE_ID: '',
        FORCE_TTY: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const done = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    return { done, stderr: () => stderr };
  }
  const heddle = (team: TestTeam | null, args: string[], env?: Record<string, string>) => start(team, args, env).done;

  const dispatchArgs = (fake: FakeOpencode, hostId: string, goal: string, ...more: string[]) => [
    'dispatch',
    '--workspace',
    fake.workspace,
    '--goal',
    goal,
    '--host',
    hostId,
    ...more,
  ];

  it('exit 0 when the task completes; --json prints the final task; plain progress is timestamped lines', async () => {
    const { team, fake, hostId } = await setup();
    const run = await heddle(
      team,
      dispatchArgs(
        fake,
        hostId,
        'FILE:done.txt',
        '--check',
        'file_exists:done.txt',
        '--wait',
        '--json',
        '--progress',
        'plain',
      ),
    );
    expect(run).toMatchObject({ code: 0 });
    const task = JSON.parse(run.stdout);
    expect(task).toMatchObject({ status: 'completed', workspace: fake.workspace, hostId });
    expect(run.stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z TURN_STARTED turn 1 \| /m);
    expect(run.stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z TASK_COMPLETED \| completed · turn 1/m);
    expect(run.stderr).not.toContain('\x1b[');
    // The task's log, and the other read commands, see the same task.
    const logs = await heddle(team, ['logs', task.id]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/TASK_CREATED[\s\S]*TASK_COMPLETED/);
    const shown = await heddle(team, ['show', task.id, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: task.id, status: 'completed' });
    const listed = await heddle(team, ['status', '--status', 'completed']);
    expect(listed.stdout).toContain(task.id);
    expect(JSON.parse((await heddle(team, ['hosts', '--json'])).stdout)).toEqual([
      expect.objectContaining({ id: hostId }),
    ]);
  });

  it('on a terminal (--progress tty): one live line redrawn in place with turn, tokens and checks', async () => {
    const { team, fake, hostId } = await setup();
    const run = await heddle(
      team,
      dispatchArgs(fake, hostId, 'FILE:tty.txt', '--check', 'file_exists:tty.txt', '--wait'),
      { FORCE_TTY: '1' },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('\r\x1b[2K⟳ ');
    expect(run.stderr).toMatch(/completed · turn 1 · \d+ tokens.* · checks 1\/1/);
    expect(run.stderr).not.toMatch(/^\d{4}-\d\d-\d\dT/m);
    expect(run.stdout).toMatch(/^[0-9a-f-]{36} completed\n$/);
  });

  it('exit 1 when the task fails', async () => {
    const { team, fake, hostId } = await setup();
    const run = await heddle(
      team,
      dispatchArgs(fake, hostId, 'FILE:a.txt', '--check', 'file_exists:b.txt', '--budget-turns', '1', '--wait'),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ failed checks\.failed\n$/);
  });

  it('exit 2 when the task is aborted while followed', async () => {
    const { team, fake, hostId } = await setup();
    const cli = start(team, dispatchArgs(fake, hostId, 'SLOW:20000 FILE:x.txt', '--wait', '--progress', 'plain'));
    const { value: id } = await waitFor(
      async () => /task ([0-9a-f-]{36}) .*created/.exec(cli.stderr())?.[1],
      (v) => !!v,
      { timeoutMs: 15_000, what: 'the CLI to create the task' },
    );
    await waitFor(
      () => getTask(t, team, id!),
      (task) => task.status === 'running',
      { timeoutMs: 15_000, what: 'running' },
    );
    expect((await t.request('POST', `/api/tasks/${id}/abort`, { token: team.token })).status).toBe(200);
    const run = await cli.done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('TASK_ABORTED');
  });

  it('exit 3 on --timeout: the task is aborted, or left running with --keep-on-timeout', async () => {
    const { team, fake, hostId } = await setup();
    const run = await heddle(
      team,
      dispatchArgs(fake, hostId, 'SLOW:20000 FILE:y.txt', '--wait', '--timeout', '1s', '--json'),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/timed out after 1000 ms; aborting task/);
    const task = JSON.parse(run.stdout);
    expect((await getTask(t, team, task.id)).status).toBe('aborted');

    const kept = await heddle(
      team,
      dispatchArgs(fake, hostId, 'SLOW:20000 FILE:z.txt', '--wait', '--timeout', '1s', '--keep-on-timeout', '--json'),
    );
    expect(kept.code).toBe(3);
    const keptTask = JSON.parse(kept.stdout);
    expect(['queued', 'dispatching', 'running']).toContain((await getTask(t, team, keptTask.id)).status);
    await heddle(team, ['abort', keptTask.id]);
  });

  it('exit 4 on usage and auth errors, printing the server message and requestId; exit 5 when unreachable', async () => {
    const { team, fake, hostId } = await setup();
    const missing = await heddle(team, ['dispatch', '--goal', 'x']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("required option '--workspace <dir>'");

    const denied = await heddle({ ...team, token: 'hdl_aaaaaaaa_nope' }, dispatchArgs(fake, hostId, 'FILE:q.txt'));
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/^heddle: .+ \(auth\/\w+, HTTP 401, requestId \S+\)$/m);

    const notFound = await heddle(team, ['show', '00000000-0000-4000-8000-000000000000']);
    expect(notFound.code).toBe(4);
    expect(notFound.stderr).toMatch(/task\/not_found, HTTP 404, requestId/);

    const down = await heddle(team, ['status'], { HEDDLE_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/cannot reach Heddle at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('a retried CI step makes one task; another dispatch in the same job makes another', async () => {
    const { team, fake, hostId } = await setup();
    const ci = { GITHUB_RUN_ID: '987654', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'agent' };
    const args = dispatchArgs(fake, hostId, 'SLOW:20000 FILE:ci.txt', '--check', 'file_exists:ci.txt');
    const first = await heddle(team, args, ci);
    const retry = await heddle(team, args, ci);
    expect(first.code).toBe(0);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toBe(first.stdout);
    expect(retry.stderr).toMatch(/already exists for idempotency key heddle-cli-gh-987654-1-agent-/);
    const other = await heddle(team, dispatchArgs(fake, hostId, 'SLOW:20000 FILE:ci2.txt'), ci);
    expect(other.stdout).not.toBe(first.stdout);
    const gitlab = await heddle(team, args, { CI_PIPELINE_ID: '5', CI_JOB_ID: '6' });
    expect(gitlab.stdout).not.toBe(first.stdout);
    for (const id of [first.stdout, other.stdout, gitlab.stdout]) await heddle(team, ['abort', id.trim()]);
  });

  it('message queues a follow-up; tokens create, list, revoke', async () => {
    const { team, fake, hostId } = await setup();
    const id = (await heddle(team, dispatchArgs(fake, hostId, 'SLOW:20000 FILE:m.txt'))).stdout.trim();
    const sent = await heddle(team, ['message', id, 'Also FILE:n.txt', '--lane', 'advice', '--json']);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: 'queued', lane: 'advice' });
    expect((await heddle(team, ['abort', id])).stdout).toBe(`${id} aborted\n`);

    const created = await heddle(team, ['tokens', 'create', '--name', 'ci', '--scope', 'tasks:read', '--json']);
    const token = JSON.parse(created.stdout);
    expect(token.token).toMatch(/^hdl_/);
    expect((await heddle(team, ['tokens', 'list'])).stdout).toContain(token.id);
    expect((await heddle(team, ['tokens', 'revoke', token.id])).code).toBe(0);
    expect((await heddle(team, ['tokens', 'list'])).stdout).not.toContain(token.id);
  });

  it('inbox: a Markdown file becomes a task and --wait follows it (exit 0); a bad one is exit 4 naming the line', async () => {
    const { team, fake, hostId } = await setup();
    const dir = await mkdtemp(join(tmpdir(), 'heddle-cli-inbox-'));
    const good = join(dir, 'task.md');
    await writeFile(
      good,
      `# from-file\nworkspace: ${fake.workspace}\nhost: ${hostId}\n\n## goal\nFILE:inboxed.txt\n\n## acceptance\n- file_exists: inboxed.txt\n`,
    );
    const run = await heddle(team, ['inbox', good, '--wait', '--json', '--progress', 'none']);
    expect(run).toMatchObject({ code: 0 });
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'from-file', status: 'completed', hostId });
    const bad = join(dir, 'bad.md');
    await writeFile(bad, `# broken\nworkspace: relative/dir\n\n## goal\nx\n`);
    const refused = await heddle(team, ['inbox', bad]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/line \d+/);
    expect((await heddle(team, ['inbox', join(dir, 'task.pdf')])).code).toBe(4);
    await rm(dir, { recursive: true, force: true });
  });

  it('plan bootstrap prints a starter PLAN.md; plan draft asks the host for a checklist', async () => {
    const { team, fake, hostId } = await setup();
    const boot = await heddle(team, [
      'plan',
      'bootstrap',
      '--goal',
      'Ship the health route',
      '--item',
      'Add GET /health',
    ]);
    expect(boot.code).toBe(0);
    expect(boot.stdout).toContain('- [ ] Add GET /health');
    fake.script(/checklist/i, [{ type: 'text', text: '- [ ] Add the route\n- [ ] Test it\n- [ ] Document it\n' }]);
    const draft = await heddle(team, ['plan', 'draft', '--intent', 'health route', '--host', hostId, '--json']);
    expect(draft.code).toBe(0);
    expect(JSON.parse(draft.stdout).items).toEqual(['Add the route', 'Test it', 'Document it']);
  });
});
