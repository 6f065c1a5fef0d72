// Row 1: kill -9 the worker with hundreds of tasks in flight (queued, dispatching, mid-turn), start a
// new one → every task completes, each turn's prompt reached its session once, event seqs stay whole.
import {
  auditPrompts,
  checkCompleted,
  checkEventSeqs,
  checkTaskEvents,
  statusCounts,
  tasksOf,
  waitTerminal,
} from './invariants';
import { sleep } from './http';
import type { Cluster } from './cluster';
import { Findings, Scenario } from './scenario';
import { createTasks, statusLine, turnsRecorded, waitUntil } from './tasks';

export const killWorker: Scenario = {
  id: 1,
  title: 'kill -9 worker mid-run (fake host)',
  async run({ cluster, sizes, log }) {
    const f = new Findings();
    const api = cluster.client();
    const n = sizes.killWorkerTasks;
    const team = await cluster.createTeam('kill-worker');
    const hostId = await cluster.registerFakeHost(team);
    const workspace = cluster.fakeWorkspace('kill-worker');
    // Turns long enough that none has finished when half the tasks have their prompt: every task is
    // in flight at the kill, in every state from queued to mid-turn.
    const slowMs = Math.max(8_000, n * 50);
    log(`creating ${n} tasks (turns of ${slowMs} ms)`);
    const ids = await createTasks(
      api,
      team,
      Array.from({ length: n }, (_, i) => ({
        name: `kw-${i}`,
        workspace,
        goal: `Write the file. SLOW:${slowMs} FILE:kw-${i}.txt`,
        hostId,
        file: `kw-${i}.txt`,
      })),
      f,
    );
    f.count('tasks', ids.length);

    // Kill once half the prompts are out, or as soon as a first turn ends (a slow machine dispatches
    // slower than turns run), so that no task has finished yet.
    const sentOrFinished = async () =>
      (await turnsEnded(cluster, team.id)) > 0 ? n : turnsRecorded(cluster, [team.id]);
    await waitUntil(sentOrFinished, Math.ceil(n / 2), 120_000);
    const sent = await turnsRecorded(cluster, [team.id]);
    const atKill = await statusCounts(cluster, [team.id]);
    const inFlight = Object.entries(atKill)
      .filter(([s]) => !['completed', 'failed', 'aborted'].includes(s))
      .reduce((sum, [, c]) => sum + c, 0);
    const exit = await cluster.kill(cluster.worker);
    log(
      `killed the worker (${exit?.signal}) with ${inFlight} tasks in flight: ${await statusLine(cluster, [team.id])}`,
    );
    f.count('inFlight', inFlight);
    f.count('promptsSentAtKill', sent);
    if (inFlight < Math.min(n, 300)) f.problem(`only ${inFlight} of ${n} tasks were in flight at the kill`);

    // The host goes on with the turns while no worker runs.
    await sleep(2_000);
    const restarted = Date.now();
    await cluster.startWorker();
    const done = await waitTerminal(cluster, [team.id], 120_000 + n * 500);
    f.count('recoverS', ((Date.now() - restarted) / 1000).toFixed(1));
    log(`after the restart: ${await statusLine(cluster, [team.id])} in ${done.ms} ms`);

    const tasks = await tasksOf(cluster, [team.id]);
    f.count('completed', tasks.filter((t) => t.status === 'completed').length);
    checkCompleted(tasks, f);
    const audit = await auditPrompts(
      cluster,
      { baseUrl: cluster.fake.baseUrl, directories: [workspace] },
      [team.id],
      f,
    );
    f.count('turns', audit.turns);
    f.count('userMsgs', audit.userMessages);
    f.count('orphanSessions', audit.orphanSessions);
    await checkTaskEvents(cluster, [team.id], f);
    f.count('events', await checkEventSeqs(cluster, [team.id], f));
    return f.result(api.stats.serverErrorCount, api.stats.serverErrors);
  },
};

/** Turns of the team that ended (finished, failed or aborted). */
async function turnsEnded(cluster: Cluster, teamId: string): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM turns WHERE "teamId" = $1 AND outcome <> 'sent'`,
    [teamId],
  );
  return row!.n;
}
