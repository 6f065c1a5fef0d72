import type { TestApp, TestTeam } from './test-app';
import { waitFor } from './wait-for';

const FINISHED = ['completed', 'failed', 'aborted'];

/** `GET /api/tasks/{id}` as the team's owner. */
export async function getTask(t: TestApp, team: TestTeam, id: string): Promise<any> {
  return (await t.request('GET', `/api/tasks/${id}`, { token: team.token })).body;
}

/** Waits until the task is completed, failed or aborted and answers it (polls; there is no event to await in-process). */
export async function settledTask(t: TestApp, team: TestTeam, id: string, timeoutMs = 15_000): Promise<any> {
  const { value } = await waitFor(
    () => getTask(t, team, id),
    (task) => FINISHED.includes(task.status),
    { timeoutMs, what: `task ${id} finished` },
  );
  return value;
}
