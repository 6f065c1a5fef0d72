import { PrismaService } from '@heddle/db';
import { TestApp, startFakeOpencode, FakeOpencode, waitFor } from '@heddle/testing';

jest.setTimeout(30_000);

/** /metrics carries the queue and fan-out metrics operators alert on. */
describe('/metrics (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpencode;

  beforeAll(async () => {
    t = await TestApp.create({
      withWorkers: true,
      env: {
        HEDDLE_OUTBOUND_ALLOW: '127.0.0.1',
        WORKER_CONSUMERS: 'harness,outbox',
        HARNESS_POLL_MS: '150',
        OUTBOX_POLL_MS: '100',
      },
    });
    fake = await startFakeOpencode();
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  const metric = (text: string, name: string, labels = ''): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels}`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('reports queue depth per queue, job wait, and relay lag', async () => {
    const team = await t.createTeam('metrics');
    await t.get(PrismaService).webhookEndpoint.create({
      data: { teamId: team.teamId, url: 'https://hooks.example.com/m', secretEnc: 'sealed' },
    });
    const host = await t.request('POST', '/api/hosts', {
      token: team.token,
      body: { name: 'f', baseUrl: fake.baseUrl, workspaceRoots: [fake.workspace] },
    });
    await t.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token });
    const task = await t.request('POST', '/api/tasks', {
      token: team.token,
      body: { name: 'm', workspace: fake.workspace, goal: 'FILE:m.txt', hostId: host.body.id },
    });
    await waitFor(
      async () => (await t.request('GET', `/api/tasks/${task.body.id}`, { token: team.token })).body.status,
      (status) => status === 'completed',
      { timeoutMs: 15_000, what: 'the task completed' },
    );
    const { value: text } = await waitFor(
      async () => (await t.request('GET', '/metrics')).body as string,
      (body) => (metric(body, 'heddle_relay_lag_seconds_count') ?? 0) > 0,
      { timeoutMs: 10_000, what: 'relay lag observed' },
    );
    for (const queue of ['harness', 'webhooks', 'notify', 'host-health', 'maintenance']) {
      expect(metric(text, 'heddle_queue_jobs', `{queue="${queue}",state="waiting"}`)).toBeGreaterThanOrEqual(0);
    }
    // The webhook's deliveries wait in their queue: no `webhooks` consumer runs here.
    expect(metric(text, 'heddle_queue_jobs', '{queue="webhooks",state="waiting"}')).toBeGreaterThan(0);
    expect(metric(text, 'heddle_job_wait_seconds_count', '{queue="harness"}')).toBeGreaterThan(0);
  });
});
