import { randomBytes, randomUUID } from 'node:crypto';
import { RunningProcess, TestApp, TestTeam, freePort, startProcess } from '@heddle/testing';
import { TEST_DATABASE_URL } from './env';

const STARTED = /Nest application successfully started/;

/** What an operator sets; everything else comes from the defaults. */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HEDDLE_BOOTSTRAP_TOKEN: '',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

describe('processes', () => {
  let t: TestApp;
  let team: TestTeam;
  let operatorToken: string;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    t = await TestApp.create();
    team = await t.createTeam('proc');
    operatorToken = await t.createToken(team, ['platform:admin']);
  });

  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.signal('SIGKILL');
      await p.exited;
    }
  });

  afterAll(() => t.close());

  it('`npm start` serves the API and runs a worker consumer in the same process, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    // A prefix of its own: no other worker can answer this process's jobs.
    const proc = startProcess(
      'npm',
      ['start', '--silent'],
      baseEnv({ PORT: String(port), QUEUE_PREFIX: `proc-${randomUUID().slice(0, 8)}` }),
    );
    running.push(proc);
    await proc.waitFor(STARTED);
    // One plain line for people next to the JSON logs, with the URL it listens on.
    await proc.waitFor(
      new RegExp(
        `^Heddle API \\S+ listening on http://0\\.0\\.0\\.0:${port} with every worker consumer \\(public URL \\S+\\)$`,
        'm',
      ),
    );
    expect(proc.output().match(/^Heddle /gm)).toHaveLength(1);

    const me = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { authorization: `Bearer ${team.token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { teamId: string }).teamId).toBe(team.teamId);

    const ping = await fetch(`http://127.0.0.1:${port}/api/ops/worker-ping`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}` },
    });
    expect(ping.status).toBe(200);
    const answer = (await ping.json()) as { pid: number; consumer: string };
    expect(answer.consumer).toBe('maintenance');
    expect(answer.pid).not.toBe(process.pid);

    proc.signal('SIGTERM');
    const { code, signal } = await proc.exited;
    expect(signal === 'SIGTERM' || code === 0).toBe(true);
    expect(proc.output()).not.toMatch(/shutdown took longer/);
  }, 90_000);

  it('`npm run start:worker` runs the consumers alone, with its own health server, for an API elsewhere', async () => {
    const healthPort = await freePort();
    const prefix = `split-${randomUUID().slice(0, 8)}`;
    const worker = startProcess(
      'npm',
      ['run', '--silent', 'start:worker'],
      baseEnv({ WORKER_HEALTH_PORT: String(healthPort), QUEUE_PREFIX: prefix }),
    );
    running.push(worker);
    await worker.waitFor(STARTED);
    await worker.waitFor(
      new RegExp(`^Heddle worker \\S+ running [a-z, -]+; health on http://0\\.0\\.0\\.0:${healthPort}/healthz$`, 'm'),
    );
    expect(worker.output().match(/^Heddle /gm)).toHaveLength(1);

    expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${healthPort}/api/me`)).status).toBe(404);

    // An API process without workers, on the same queues.
    const api = await TestApp.create({ env: { QUEUE_PREFIX: prefix } });
    try {
      const ping = await api.request('POST', '/api/ops/worker-ping', { token: operatorToken });
      expect(ping.status).toBe(200);
      expect(ping.body.pid).toBe(Number(/"pid":(\d+)/.exec(worker.output())?.[1]));
    } finally {
      await api.close();
    }
  }, 90_000);

  it('a bad variable stops start-up with one message naming every problem', async () => {
    const proc = startProcess(
      'node',
      ['-r', '@swc-node/register', 'apps/api/src/main.ts'],
      baseEnv({ PORT: 'eighty', WORKER_CONSUMERS: 'maintenance,bogus', HEDDLE_ENCRYPTION_KEY: 'too-short' }),
    );
    running.push(proc);
    const { code } = await proc.exited;
    expect(code).toBe(78);
    const out = proc.output();
    expect(out).toMatch(/configuration has 3 problems/);
    expect(out).toMatch(/PORT must be a whole number \(got "eighty"\)/);
    expect(out).toMatch(/WORKER_CONSUMERS names unknown consumer\(s\) bogus; known: maintenance/);
    expect(out).toMatch(/HEDDLE_ENCRYPTION_KEY must be 32 random bytes in base64/);
    expect(out).not.toMatch(/too-short/);
  }, 60_000);

  it('an unknown WORKER_CONSUMERS name stops `npm run start:worker` too', async () => {
    const proc = startProcess('npm', ['run', '--silent', 'start:worker'], baseEnv({ WORKER_CONSUMERS: 'harnes' }));
    running.push(proc);
    const { code } = await proc.exited;
    expect(code).not.toBe(0);
    expect(proc.output()).toMatch(/WORKER_CONSUMERS names unknown consumer\(s\) harnes/);
  }, 60_000);
});
