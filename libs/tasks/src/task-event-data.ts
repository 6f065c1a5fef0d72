import type { Prisma, Task } from '@heddle/db';

/**
 * What every task event carries, whoever writes it (a user action, the harness): who the task is and
 * where it stands — never tool output or secrets. The one place a task event's common payload is
 * built; each event adds its own keys (`previousStatus`, `turn`, `reason`, …).
 */
export function taskEventData(task: Task): Prisma.InputJsonObject {
  return {
    name: task.name,
    status: task.status,
    reason: task.reason,
    verification: task.verification,
    currentTurn: task.currentTurn,
    stale: task.stale,
    waiting: task.waiting,
    claimedComplete: task.claimedComplete,
    activity: (task.activity ?? null) as Prisma.InputJsonValue,
    progress: (task.progress ?? null) as Prisma.InputJsonValue,
  };
}
