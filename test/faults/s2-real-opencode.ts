// Row 2: the same kill -9, against the REAL `opencode serve` (offline, scripted fake LLM): every task
// completes, each session holds exactly one user message per turn, and the model was asked once per turn.
import { randomBytes } from 'node:crypto';
import { OpencodeClient } from '@heddle/opencode-client';
import {
  FAKE_MODEL_REF,
  RealOpencode,
  opencodeBinaryAvailable,
  opencodeBinaryRequired,
  startRealOpencode,
} from '@heddle/testing';
import { auditPrompts, checkCompleted, checkEventSeqs, checkTaskEvents, tasksOf, waitTerminal } from './invariants';
import { sleep } from './http';
import { Findings, Scenario } from './scenario';
import { createTasks, statusLine } from './tasks';

export const realOpencode: Scenario = {
  id: 2,
  title: 'kill -9 worker mid-turn (real opencode)',
  async run({ cluster, sizes, log }) {
    const f = new Findings();
    const api = cluster.client();
    const n = sizes.realTasks;
    if (!opencodeBinaryRequired() && !opencodeBinaryAvailable()) {
      // Only linux-x64 gets the binary (an optionalDependency); there a missing one fails the row.
      f.count('skipped', `no opencode binary for ${process.platform}-${process.arch}`);
      return f.result(0);
    }
    const names = Array.from({ length: n }, (_, i) => `real-${i}`);
    const password = randomBytes(12).toString('base64url');
    let server: RealOpencode | undefined;
    try {
      server = await startRealOpencode({ extraWorkspaces: names, password, startTimeoutMs: 60_000 });
      const auth = { username: server.username, password };
      // Each directory's first request boots an OpenCode instance for it: done before the clock runs.
      await Promise.all(
        names.map((name) =>
          new OpencodeClient({
            baseUrl: server!.baseUrl,
            directory: server!.workspaces[name],
            auth,
            timeoutMs: 60_000,
          }).sessionStatuses(),
        ),
      );
      const team = await cluster.createTeam('real');
      const hostId = await cluster.registerHost(team, {
        name: 'real-opencode',
        baseUrl: server.baseUrl,
        workspaceRoots: [server.root],
        password,
        maxSessions: n + 2,
      });
      const file = (i: number) => `real-${i}.txt`;
      const ids = await createTasks(
        api,
        team,
        names.map((name, i) => ({
          name,
          workspace: server!.workspaces[name]!,
          goal: `Write it slowly. SLOW:8000 FILE:${file(i)}`,
          hostId,
          file: file(i),
          model: FAKE_MODEL_REF,
        })),
        f,
      );
      f.count('tasks', ids.length);
      const asked = (i: number) =>
        server!.llm
          .requests()
          .filter((r) => r.tools.length > 0 && r.lastRole === 'user' && r.userText.includes(`FILE:${file(i)}`));

      // Every prompt reached the model: every turn runs (replies come 8 s later). Kill the worker now.
      const deadline = Date.now() + 90_000;
      while (names.some((_, i) => asked(i).length === 0) && Date.now() < deadline) await sleep(100);
      const reached = names.filter((_, i) => asked(i).length > 0).length;
      f.count('midTurnAtKill', reached);
      if (reached < n) f.problem(`only ${reached} of ${n} prompts reached the model before the kill`);
      const exit = await cluster.kill(cluster.worker);
      log(`killed the worker (${exit?.signal}) mid-turn: ${await statusLine(cluster, [team.id])}`);

      const restarted = Date.now();
      await cluster.startWorker();
      await waitTerminal(cluster, [team.id], 90_000);
      f.count('recoverS', ((Date.now() - restarted) / 1000).toFixed(1));
      const tasks = await tasksOf(cluster, [team.id]);
      f.count('completed', tasks.filter((t) => t.status === 'completed').length);
      checkCompleted(tasks, f);

      const audit = await auditPrompts(
        cluster,
        { baseUrl: server.baseUrl, directories: names.map((name) => server!.workspaces[name]!), auth },
        [team.id],
        f,
      );
      f.count('turns', audit.turns);
      f.count('userMsgs', audit.userMessages);
      // The model itself: asked once per turn (a prompt sent twice would ask it again).
      const turns = await cluster.sql<{ name: string; turns: number }>(
        `SELECT t.name, count(u.id)::int AS turns FROM tasks t LEFT JOIN turns u ON u."taskId" = t.id
          WHERE t."teamId" = $1 GROUP BY t.name`,
        [team.id],
      );
      const extraAsks: string[] = [];
      for (const row of turns) {
        const count = asked(names.indexOf(row.name)).length;
        if (count > row.turns) {
          f.dup += count - row.turns;
          extraAsks.push(`${row.name}: the model was asked ${count} times for ${row.turns} turns`);
        }
      }
      f.problemList('tasks whose model was asked more than once per turn', extraAsks);
      await checkTaskEvents(cluster, [team.id], f);
      f.count('events', await checkEventSeqs(cluster, [team.id], f));
    } finally {
      await server?.stop();
    }
    return f.result(api.stats.serverErrorCount, api.stats.serverErrors);
  },
};
