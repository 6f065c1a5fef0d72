// Row 5: kill -9 the API during a burst of `POST /api/tasks` with Idempotency-Keys, start it again and
// retry every key → exactly one task per key (a retry answers the task the first try made), every
// task with exactly one TASK_CREATED, and every task still runs to completion.
import { randomUUID } from 'node:crypto';
import { ApiResponse, sleep } from './http';
import { auditFakeHostRun, tasksOf, waitTerminal } from './invariants';
import { Findings, Scenario } from './scenario';
import { statusLine, taskBody } from './tasks';

const IN_FLIGHT = 24;

export const killApi: Scenario = {
  id: 5,
  title: 'kill -9 API during a create burst',
  async run({ cluster, sizes, log }) {
    const f = new Findings();
    const api = cluster.client();
    const n = sizes.burstKeys;
    const team = await cluster.createTeam('burst');
    const hostId = await cluster.registerFakeHost(team);
    const workspace = cluster.fakeWorkspace('api-burst');
    const run = randomUUID().slice(0, 8);
    const key = (i: number) => `burst-${run}-${i}`;
    const body = (i: number) =>
      taskBody({ name: `burst-${i}`, workspace, goal: `FILE:burst-${i}.txt`, hostId, file: `burst-${i}.txt` });
    const post = (i: number) =>
      api.request('POST', '/api/tasks', { token: team.token, body: body(i), headers: { 'idempotency-key': key(i) } });

    // The burst: IN_FLIGHT requests at a time; the API dies once a third have been answered.
    const first = new Map<number, ApiResponse | Error>();
    let next = 0;
    let killed = false;
    let inFlightAtKill = 0;
    let inFlight = 0;
    const killAt = Math.ceil(n / 3);
    const lanes = Array.from({ length: IN_FLIGHT }, async () => {
      while (!killed && next < n) {
        const i = next++;
        inFlight++;
        try {
          first.set(i, await post(i));
        } catch (err) {
          first.set(i, err as Error);
        }
        inFlight--;
        if (!killed && [...first.values()].filter((r) => !(r instanceof Error)).length >= killAt) {
          killed = true;
          inFlightAtKill = inFlight;
          await cluster.kill(cluster.api);
        }
      }
    });
    await Promise.all(lanes);
    const answered = [...first.values()].filter((r) => !(r instanceof Error));
    const cut = [...first.values()].filter((r) => r instanceof Error).length;
    f.count('keys', n);
    f.count('answeredBeforeKill', answered.length);
    f.count('cutByKill', cut);
    f.count('inFlightAtKill', inFlightAtKill);
    f.count('unsent', n - first.size);
    f.problemList(
      'burst answers other than 201 before the kill',
      answered
        .filter((r) => (r as ApiResponse).status !== 201)
        .map((r) => `${(r as ApiResponse).status} ${(r as ApiResponse).text.slice(0, 200)}`),
    );
    log(`killed the API: ${answered.length} answered, ${cut} cut off, ${n - first.size} not sent`);

    await cluster.startApi();
    // Every key again, as a client that lost its answer (or never got to send) would.
    const retries = new Map<number, ApiResponse>();
    let cursor = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (cursor < n) {
          const i = cursor++;
          retries.set(i, await post(i));
        }
      }),
    );
    let replayed = 0;
    let createdOnRetry = 0;
    const wrong: string[] = [];
    const otherTask: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = retries.get(i)!;
      if (r.status === 200) replayed++;
      else if (r.status === 201) createdOnRetry++;
      else wrong.push(`${key(i)}: ${r.status} ${r.text.slice(0, 200)}`);
      const before = first.get(i);
      if (before && !(before instanceof Error) && before.status === 201 && r.body?.id !== before.body?.id) {
        otherTask.push(`${key(i)}: first ${before.body?.id}, retry ${r.body?.id}`);
      }
    }
    f.count('replayed', replayed);
    f.count('createdOnRetry', createdOnRetry);
    f.problemList('retries answered neither 200 nor 201', wrong);
    f.problemList('retries answering another task than the first try', otherTask);
    f.dup += otherTask.length;

    // The database: one task per key, none without a key.
    const perKey = await cluster.sql<{ key: string | null; n: number }>(
      `SELECT "idempotencyKey" AS key, count(*)::int AS n FROM tasks WHERE "teamId" = $1 GROUP BY 1`,
      [team.id],
    );
    const counts = new Map(perKey.map((r) => [r.key, r.n]));
    const dupKeys = perKey.filter((r) => r.n > 1);
    const missingKeys = Array.from({ length: n }, (_, i) => key(i)).filter((k) => !counts.has(k));
    f.dup += dupKeys.reduce((s, r) => s + r.n - 1, 0);
    f.lost += missingKeys.length;
    f.problemList(
      'keys with more than one task',
      dupKeys.map((r) => `${r.key}: ${r.n} tasks`),
    );
    f.problemList('keys without a task', missingKeys);
    if (counts.has(null)) f.problem(`${counts.get(null)} tasks without an idempotency key`);

    await sleep(500);
    const done = await waitTerminal(cluster, [team.id], 120_000 + n * 300);
    log(`tasks: ${await statusLine(cluster, [team.id])} (${done.ms} ms)`);
    f.count('tasks', (await tasksOf(cluster, [team.id])).length);
    await auditFakeHostRun(cluster, team.id, workspace, f);
    return f.result(api.stats.serverErrorCount, api.stats.serverErrors);
  },
};
