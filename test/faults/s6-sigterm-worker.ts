// Row 6: SIGTERM the worker while every task is mid-turn and half of them mid-step → it exits by
// itself within SHUTDOWN_TIMEOUT_MS (never "shutdown took longer"), and its tasks finish once a new
// worker starts, without waiting for the leases it held (60 s here, the default) to run out. Twice:
// with steps that can finish in the drain (a host answering in 1.5 s), and with steps that cannot
// (a host answering after the shutdown deadline: the worker must give their leases back and go).
import type { Cluster } from './cluster';
import { FAKE_WORKSPACES } from './cluster';
import { auditFakeHostRun, waitTerminal } from './invariants';
import { Findings, Scenario } from './scenario';
import { createTasks, statusLine, turnsRecorded, waitUntil } from './tasks';

const LEASE_SECONDS = 60;
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Start-up, event streams and a step or two: well under the lease. */
const RECOVERY_BOUND_MS = 30_000;

interface Phase {
  /** Names the phase in problems and in the `phases` count. */
  label: string;
  workspace: (typeof FAKE_WORKSPACES)[number];
  /** Latency the fake host adds to every call while the worker drains. */
  hostDelayMs: number;
}

const PHASES: Phase[] = [
  { label: 'drain', workspace: 'drain', hostDelayMs: 1_500 },
  { label: 'deadline', workspace: 'drain-deadline', hostDelayMs: SHUTDOWN_TIMEOUT_MS + 3_000 },
];

export const sigtermWorker: Scenario = {
  id: 6,
  title: 'SIGTERM worker mid-turn (drain)',
  async run(ctx) {
    const f = new Findings();
    const api = ctx.cluster.client();
    const counts = new Map<string, (number | string)[]>();
    for (const phase of PHASES) {
      const count = (name: string, value: number | string) => counts.set(name, [...(counts.get(name) ?? []), value]);
      await runPhase(ctx.cluster, api, phase, Math.ceil(ctx.sizes.drainTasks / 2), f, count, ctx.log);
    }
    // One count per measure, the phases' values side by side: `exitMs=3094/8239` (drain/deadline).
    f.count('phases', PHASES.map((p) => p.label).join('/'));
    for (const [name, values] of counts) f.count(name, values.join('/'));
    return f.result(api.stats.serverErrorCount, api.stats.serverErrors);
  },
};

async function runPhase(
  cluster: Cluster,
  api: ReturnType<Cluster['client']>,
  phase: Phase,
  n: number,
  f: Findings,
  count: (name: string, value: number | string) => void,
  log: (m: string) => void,
): Promise<void> {
  const problem = (message: string) => f.problem(`${phase.label}: ${message}`);
  // The worker that gets SIGTERM holds leases as long as a default install's.
  await cluster.terminate(cluster.worker);
  await cluster.startWorker({
    HARNESS_LEASE_SECONDS: String(LEASE_SECONDS),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  });
  const team = await cluster.createTeam(phase.label);
  const hostId = await cluster.registerFakeHost(team);
  const workspace = cluster.fakeWorkspace(phase.workspace);
  const ids = await createTasks(
    api,
    team,
    Array.from({ length: n }, (_, i) => ({
      name: `${phase.label}-${i}`,
      workspace,
      goal: `Write the file. SLOW:8000 FILE:${phase.label}-${i}.txt`,
      hostId,
      file: `${phase.label}-${i}.txt`,
    })),
    f,
  );
  count('tasks', ids.length);
  const sent = await waitUntil(() => turnsRecorded(cluster, [team.id]), n, 60_000);
  if (sent < n) problem(`only ${sent} of ${n} turns were running at the SIGTERM`);

  // A slow host makes every step take a while: the SIGTERM lands in the middle of steps (leases held).
  cluster.fake.setSlow(phase.hostDelayMs);
  const leased = () => leasesHeld(cluster, team.id);
  const stepping = await waitUntil(leased, Math.ceil(n / 2), 15_000);
  count('steps', stepping);
  const worker = cluster.worker!;
  log(`${phase.label}: SIGTERM with ${stepping} steps running: ${await statusLine(cluster, [team.id])}`);
  const exit = await cluster.terminate(worker, SHUTDOWN_TIMEOUT_MS + 10_000).finally(() => cluster.fake.setSlow(0));
  count('exitMs', exit?.ms ?? '?');
  if (!exit) problem('the worker had exited before the SIGTERM');
  else if (exit.killed) problem(`the worker did not exit within ${SHUTDOWN_TIMEOUT_MS + 10_000} ms of SIGTERM; killed`);
  else {
    if (exit.ms > SHUTDOWN_TIMEOUT_MS + 2_000) {
      problem(`the worker took ${exit.ms} ms to exit (SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`);
    }
    if (exit.code !== 0 && exit.signal !== 'SIGTERM') problem(`the worker exited with code ${exit.code} after SIGTERM`);
  }
  if (/shutdown took longer/.test(worker.text())) {
    problem(`the worker did not drain: it logged "shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting"`);
  }
  const errors = worker
    .text()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l));
  f.problemList(
    `${phase.label}: errors the draining worker logged`,
    errors.map((l) => l.slice(0, 400)),
    5,
  );
  const held = await leased();
  count('leasesLeft', held);

  const restarted = Date.now();
  await cluster.startWorker();
  const done = await waitTerminal(cluster, [team.id], RECOVERY_BOUND_MS);
  count('recoverS', ((Date.now() - restarted) / 1000).toFixed(1));
  if (done.open > 0) {
    problem(
      `${done.open} tasks still open ${RECOVERY_BOUND_MS} ms after the new worker started (${held} leases ` +
        `of the stopped worker were still held after its exit; statuses ${await statusLine(cluster, [team.id])})`,
    );
    // Not lost, only late: let them finish so the rest of the suite starts quiet.
    const late = await waitTerminal(cluster, [team.id], (LEASE_SECONDS + 60) * 1000);
    count('lateS', `${phase.label}:${((Date.now() - restarted) / 1000).toFixed(1)}`);
    log(`${phase.label}: the late tasks took ${late.ms} ms more`);
  }
  await auditFakeHostRun(cluster, team.id, workspace, f, count);
}

/** Tasks of the team whose lease a worker holds right now (a step is running, or was cut off). */
async function leasesHeld(cluster: Cluster, teamId: string): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM tasks WHERE "teamId" = $1 AND "leaseUntil" > now()`,
    [teamId],
  );
  return row!.n;
}
