// Row 3: Redis killed and restarted empty mid-run, with tasks in flight and webhooks delivering →
// every task finishes, every event reaches the receiver, none under two webhook-ids. The API keeps
// being used while Redis is down; its answers count (a 5xx fails the row).
import { WebhookReceiver } from '@heddle/testing';
import { auditDeliveries, createWebhook, eventSeq, waitDelivered } from './deliveries';
import { ApiResponse, pool, sleep } from './http';
import { auditFakeHostRun, tasksOf, waitTerminal } from './invariants';
import { Findings, Scenario } from './scenario';
import { createTasks, statusLine, taskBody, turnsRecorded, waitUntil } from './tasks';

const REDIS_DOWN_MS = 3_000;

export const redisRestart: Scenario = {
  id: 3,
  title: 'Redis restarted empty mid-run',
  async run({ cluster, sizes, log }) {
    const f = new Findings();
    const api = cluster.client();
    const n = sizes.redisTasks;
    const receiver = await WebhookReceiver.start();
    try {
      const team = await cluster.createTeam('redis');
      const hostId = await cluster.registerFakeHost(team);
      const workspace = cluster.fakeWorkspace('redis-restart');
      const webhook = await createWebhook(cluster, team, receiver, '/redis');
      const fromSeq = await eventSeq(cluster, team);
      const spec = (i: number) => ({
        name: `rr-${i}`,
        workspace,
        goal: `Write the file. SLOW:4000 FILE:rr-${i}.txt`,
        hostId,
        file: `rr-${i}.txt`,
      });
      const ids = await createTasks(
        api,
        team,
        Array.from({ length: n }, (_, i) => spec(i)),
        f,
      );
      // Strike while prompts are out and deliveries flow.
      await waitUntil(() => turnsRecorded(cluster, [team.id]), Math.ceil(n / 3), 90_000);
      await waitUntil(async () => receiver.accepted('/redis').length, n, 30_000);
      f.count('receivedBefore', receiver.accepted('/redis').length);
      log(`killing Redis: ${await statusLine(cluster, [team.id])}`);
      await cluster.redis.kill();

      // The API while Redis is down: creates, reads and lists must not answer 5xx.
      const extra = Math.max(5, Math.round(n / 10));
      const during = pool(
        Array.from({ length: extra }, (_, i) => n + i),
        4,
        async (i): Promise<ApiResponse | undefined> => {
          const created = await api.attempt('POST', '/api/tasks', {
            token: team.token,
            body: taskBody(spec(i)),
            timeoutMs: 60_000,
          });
          await api.attempt('GET', `/api/tasks?limit=20`, { token: team.token, timeoutMs: 60_000 });
          await api.attempt('GET', `/api/tasks/${ids[i % ids.length]}`, { token: team.token, timeoutMs: 60_000 });
          return created;
        },
      );
      await sleep(REDIS_DOWN_MS);
      await cluster.redis.start();
      log(`Redis is back (empty) after ${REDIS_DOWN_MS} ms`);
      const created = await during;
      const okCreates = created.filter((r) => r?.status === 201).length;
      f.count('createdWhileDown', `${okCreates}/${extra}`);
      const refused = created.filter((r) => r && r.status !== 201 && r.status < 500);
      f.problemList(
        'creates refused while Redis was down',
        refused.map((r) => `${r!.status} ${r!.text.slice(0, 200)}`),
      );
      const noAnswer = created.filter((r) => r === undefined).length;
      if (noAnswer > 0) f.problem(`${noAnswer} creates got no answer while Redis was down`);

      const done = await waitTerminal(cluster, [team.id], 120_000 + n * 500);
      log(`tasks: ${await statusLine(cluster, [team.id])} (${done.ms} ms after Redis came back)`);
      f.count('tasks', (await tasksOf(cluster, [team.id])).length);
      const delivered = await waitDelivered(cluster, team, webhook.id, fromSeq, 60_000);
      await sleep(500); // answers of the last attempts reach the receiver's log
      const audit = await auditDeliveries(cluster, team, webhook, receiver, '/redis', fromSeq, f);
      f.count('events', audit.events);
      f.count('delivered', audit.delivered);
      f.count('received', audit.received);
      f.count('redelivered', audit.redelivered);
      f.count('deliverS', (delivered.ms / 1000).toFixed(1));
      await auditFakeHostRun(cluster, team.id, workspace, f);
    } finally {
      await receiver.stop();
    }
    return f.result(api.stats.serverErrorCount, api.stats.serverErrors);
  },
};
