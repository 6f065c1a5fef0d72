// Creating the scenarios' tasks through the API, and waiting for the points at which faults strike.
import type { Cluster, Team } from './cluster';
import { ApiClient, pool, sleep } from './http';
import type { Findings } from './scenario';

export interface TaskSpec {
  name: string;
  workspace: string;
  goal: string;
  hostId: string;
  /** The file the agent writes; the task's only check is that it exists. */
  file: string;
  model?: string;
}

export function taskBody(spec: TaskSpec): Record<string, unknown> {
  return {
    name: spec.name,
    workspace: spec.workspace,
    goal: spec.goal,
    hostId: spec.hostId,
    checks: [{ kind: 'file_exists', path: spec.file }],
    ...(spec.model ? { model: spec.model } : {}),
  };
}

/** A task per spec, `concurrency` requests at a time; a create that is not 201 is a problem. */
export async function createTasks(
  api: ApiClient,
  team: Team,
  specs: TaskSpec[],
  f: Findings,
  concurrency = 16,
): Promise<string[]> {
  const ids = await pool(specs, concurrency, async (spec) => {
    const res = await api.request('POST', '/api/tasks', { token: team.token, body: taskBody(spec) });
    if (res.status !== 201) {
      f.problem(`POST /api/tasks (${spec.name}) answered ${res.status}: ${res.text.slice(0, 300)}`);
      return undefined;
    }
    return res.body.id as string;
  });
  return ids.filter((id): id is string => id !== undefined);
}

/** Turns recorded for the teams' tasks (a turn is recorded just before its prompt is sent). */
export async function turnsRecorded(cluster: Cluster, teamIds: string[]): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM turns WHERE "teamId" = ANY($1::uuid[]) AND "sentAt" IS NOT NULL`,
    [teamIds],
  );
  return row!.n;
}

/** Polls `probe` until it reaches `target`; answers the last value (the caller decides what a miss means). */
export async function waitUntil(probe: () => Promise<number>, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (value < target && Date.now() < deadline) {
    await sleep(100);
    value = await probe();
  }
  return value;
}

/** Tasks of the teams by status, as `queued:3 running:5`. */
export async function statusLine(cluster: Cluster, teamIds: string[]): Promise<string> {
  const rows = await cluster.sql<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM tasks WHERE "teamId" = ANY($1::uuid[]) GROUP BY status ORDER BY status`,
    [teamIds],
  );
  return rows.map((r) => `${r.status}:${r.n}`).join(' ');
}
