import Redis from 'ioredis';
import { FakeOpencode, TestApp, startFakeOpencode, waitFor } from '@heddle/testing';

jest.setTimeout(40_000);

/**
 * Redis never holds the only copy of anything: with every queue key of this app deleted mid-turn
 * (a flushed or failed-over Redis), the harness sweep finds the task whose next step is overdue and
 * finishes it, sending its prompt exactly once.
 */
describe('harness recovery (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpencode;
  let redis: Redis;

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '150', HARNESS_SWEEP_MS: '1000' },
    });
    fake = await startFakeOpencode();
    redis = new Redis(t.config.redisUrl);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
    redis.disconnect();
  });

  /** Deletes every key of this app's queues in one atomic step, as a FLUSHALL would (workers keep running). */
  async function deleteQueueKeys(prefix: string): Promise<number> {
    const script = `local keys = redis.call('keys', ARGV[1])
      for i = 1, #keys, 1000 do redis.call('del', unpack(keys, i, math.min(i + 999, #keys))) end
      return #keys`;
    return (await redis.eval(script, 0, `${prefix}:*`)) as number;
  }

  it('finishes a task whose jobs were all lost mid-turn, with one prompt', async () => {
    const team = await t.createTeam('recovery');
    const host = await t.request('POST', '/api/hosts', {
      token: team.token,
      body: { name: 'fake', baseUrl: fake.baseUrl, workspaceRoots: [fake.workspace] },
    });
    await t.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token });
    fake.script('RECOVERME', [
      { type: 'wait', ms: 1500 },
      { type: 'write', path: 'recovered.txt', content: 'ok' },
    ]);
    const created = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: {
        name: 'recover',
        workspace: fake.workspace,
        goal: 'RECOVERME',
        hostId: host.body.id,
        checks: [{ kind: 'file_exists', path: 'recovered.txt' }],
      },
    });
    const id = created.body.id;
    await waitFor(
      async () => (await t.request('GET', `/api/tasks/${id}`, { token: team.token })).body,
      (task) => task.status === 'running',
      { timeoutMs: 10_000, what: 'running' },
    );
    expect(await deleteQueueKeys(t.config.queuePrefix)).toBeGreaterThan(0);

    const { value: task } = await waitFor(
      async () => (await t.request('GET', `/api/tasks/${id}`, { token: team.token })).body,
      (x) => ['completed', 'failed', 'aborted'].includes(x.status),
      { timeoutMs: 30_000, what: 'the task finished after the sweep' },
    );
    expect(task.status).toBe('completed');
    expect(fake.requests().filter((r) => r.path.endsWith('/prompt_async'))).toHaveLength(1);
    const turns = await t.request('GET', `/api/tasks/${id}/turns`, { token: team.token });
    expect(turns.body.items).toHaveLength(1);
  });
});
