import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT, RunningProcess, TestApp, freePort, startFakeOpencode, startProcess } from '@heddle/testing';
import { TEST_DATABASE_URL } from './env';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');

describe('one box: host:local and what the logs never say', () => {
  let t: TestApp;
  const running: RunningProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    // Same key as the processes below, so this app can open what they sealed.
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HEDDLE_ENCRYPTION_KEY: ENCRYPTION_KEY } });
  });

  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.signal('SIGKILL');
      await p.exited;
    }
  });

  afterAll(async () => {
    await t.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function env(extra: Record<string, string>): Record<string, string> {
    return {
      DATABASE_URL: TEST_DATABASE_URL,
      HEDDLE_ENCRYPTION_KEY: ENCRYPTION_KEY,
      HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
      HEDDLE_BOOTSTRAP_TOKEN: '',
      ...extra,
    };
  }

  it('`npm run host:local` starts a real OpenCode server, registers it for the team, and the probe sees it online', async () => {
    const team = await t.createTeam('local');
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'heddle-host-local-'));
    dirs.push(home);
    const proc = startProcess(
      'npm',
      ['run', '--silent', 'host:local', '--', '--port', String(port), '--team', team.name, '--dir', home],
      env({
        // Keep the real server off the developer's own OpenCode config and off the network.
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_DATA_HOME: join(home, '.local/share'),
        XDG_CACHE_HOME: join(home, '.cache'),
        XDG_STATE_HOME: join(home, '.local/state'),
        OPENCODE_DISABLE_MODELS_FETCH: '1',
        OPENCODE_DISABLE_AUTOUPDATE: '1',
        npm_config_offline: 'true',
      }),
    );
    running.push(proc);
    await proc.waitFor(/registered as host "local" \(([0-9a-f-]{36})\)/, 60_000);
    const id = /registered as host "local" \(([0-9a-f-]{36})\)/.exec(proc.output())![1]!;

    const host = await t.request('GET', `/api/hosts/${id}`, { token: team.token });
    expect(host.body).toMatchObject({
      name: 'local',
      baseUrl: `http://127.0.0.1:${port}`,
      labels: ['local'],
      workspaceRoots: [home], // --dir is the host's only workspace root
      hasPassword: true,
    });
    const probe = await t.request('POST', `/api/hosts/${id}/probe`, { token: team.token });
    expect(probe.body).toMatchObject({ status: 'online', version: '1.18.34' });

    // The server really wants the password it was registered with.
    expect((await fetch(`http://127.0.0.1:${port}/global/health`)).status).toBe(401);

    proc.signal('SIGTERM');
    await proc.exited;
  }, 90_000);

  it('`npm run host:local` refuses to serve the directory holding .env, an ancestor of it or the repository root', async () => {
    const team = await t.createTeam('local-refused');
    const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'heddle-host-local-refused-')));
    dirs.push(scratch);
    const link = join(scratch, 'heddle-link');
    symlinkSync(REPO_ROOT, link);
    // A Heddle whose .env lives elsewhere than its code (run from that directory).
    const elsewhere = join(scratch, 'deploy');
    mkdirSync(join(elsewhere, 'workspaces'), { recursive: true });
    writeFileSync(join(elsewhere, '.env'), '# HEDDLE_ENCRYPTION_KEY=… lives here\n');
    const direct = (args: string[], cwd: string) =>
      startProcess(
        'node',
        ['-r', join(REPO_ROOT, 'node_modules/@swc-node/register'), join(REPO_ROOT, 'scripts/host-local.ts'), ...args],
        env({ SWC_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json') }),
        { cwd },
      );
    const viaNpm = (args: string[]) =>
      startProcess(
        'npm',
        ['run', '--silent', 'host:local', '--', '--team', team.name, ...args],
        // As if typed in the repository: --dir defaults to where npm was run.
        env({ INIT_CWD: REPO_ROOT }),
      );
    for (const [proc, what] of [
      [viaNpm([]), /it is the directory holding Heddle's \.env/],
      [viaNpm(['--dir', dirname(REPO_ROOT)]), /it contains the directory holding Heddle's \.env/],
      [viaNpm(['--dir', '/']), /it contains the directory holding Heddle's \.env/],
      [direct(['--dir', link], REPO_ROOT), /it \(really .*\) is the directory holding Heddle's \.env/],
      [direct(['--dir', elsewhere], elsewhere), /it is the directory holding Heddle's \.env/],
      [direct(['--dir', scratch], elsewhere), /it contains the directory holding Heddle's \.env/],
      [direct(['--dir', REPO_ROOT], elsewhere), /it is the repository Heddle runs from/],
    ] as const) {
      running.push(proc);
      const { code } = await proc.exited;
      expect({ code, output: proc.output() }).toEqual({ code: 1, output: expect.stringMatching(what) });
      expect(proc.output()).toMatch(/✖ refusing to serve .*npm run host:local -- --dir/);
      expect(proc.output()).not.toContain('registered as host');
    }
    expect((await t.request('GET', '/api/hosts', { token: team.token })).body.items).toEqual([]);
  }, 90_000);

  it('never writes a host password or a bearer token to the log, even at trace level', async () => {
    const team = await t.createTeam('logs');
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const newPassword = `pw-${randomBytes(12).toString('hex')}`;
    const fake = await startFakeOpencode({ password });
    const port = await freePort();
    const api = startProcess('npm', ['run', '--silent', 'start:api'], env({ PORT: String(port), LOG_LEVEL: 'trace' }));
    running.push(api);
    try {
      await api.waitFor(/Nest application successfully started/);
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: { authorization: `Bearer ${team.token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const created = await call('POST', '/api/hosts', {
        name: 'secretive',
        baseUrl: fake.baseUrl,
        password,
        workspaceRoots: [fake.workspace],
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect((await call('POST', `/api/hosts/${id}/probe`)).status).toBe(200);
      expect((await call('PATCH', `/api/hosts/${id}`, { password: newPassword })).status).toBe(200);
      // Now wrong: the probe fails with an auth error, which is logged nowhere with the password.
      expect(((await (await call('POST', `/api/hosts/${id}/probe`)).json()) as { error: string }).error).toMatch(
        /auth/i,
      );
      expect(
        (
          await call('POST', '/api/hosts', {
            name: 'bad label',
            baseUrl: fake.baseUrl,
            password,
            workspaceRoots: [fake.workspace],
            labels: ['NO'],
          })
        ).status,
      ).toBe(400);

      api.signal('SIGTERM');
      await api.exited;
      const log = api.output();
      expect(log).toMatch(/"req":\{/); // trace logging did log the requests
      for (const secret of [password, newPassword, team.token, team.token.slice(13)]) expect(log).not.toContain(secret);
      expect(log).not.toMatch(/authorization":"Bearer/i);
    } finally {
      await fake.stop();
    }
  }, 90_000);
});
