import type { TaskResponseDto } from '@heddle/tasks';

/**
 * `<name>.status.json`: the task as `GET /api/tasks/{id}` shows it, under the document's name.
 * Deterministic for one state of the task, so an unchanged task is not rewritten.
 */
export function renderStatus(document: string, task: TaskResponseDto): string {
  const t = task as unknown as Record<string, unknown>;
  return `${JSON.stringify(
    {
      document,
      taskId: task.id,
      status: task.status,
      reason: task.reason,
      reasonDetail: t.reasonDetail ?? null,
      sessionId: t.sessionId ?? null,
      hostId: task.hostId,
      progress: task.progress ?? null,
      latestChecks: task.latestChecks,
      verification: task.verification,
      updatedAt: task.updatedAt,
      finishedAt: task.finishedAt,
      task,
    },
    null,
    2,
  )}\n`;
}

/** `<name>.result.md`, once the task has finished: verdict, checks with their evidence, summary. */
export function renderResult(document: string, task: TaskResponseDto): string {
  const t = task as unknown as Record<string, unknown>;
  const checks = (task.latestChecks ?? []) as unknown as Record<string, unknown>[];
  const lines = [
    `# ${task.name}`,
    '',
    `- document: ${document}`,
    `- task: ${task.id}`,
    `- status: **${task.status}**${task.reason ? ` (${task.reason})` : ''}`,
    `- verification: ${task.verification}`,
    ...(t.reasonDetail ? [`- detail: ${String(t.reasonDetail as string)}`] : []),
    `- finished: ${task.finishedAt ?? ''}`,
    '',
    '## checks',
    '',
    ...(checks.length
      ? checks.map((c) => {
          const name = (c.name as string | undefined) ?? (c.kind as string | undefined) ?? 'check';
          const evidence = c.evidence ? ` — evidence: \`${JSON.stringify(c.evidence)}\`` : '';
          return `- [${c.passed ? 'x' : ' '}] ${name}${c.detail ? `: ${String(c.detail as string)}` : ''}${evidence}`;
        })
      : ['(none: the weak default)']),
    '',
    '## summary',
    '',
    t.result !== undefined && t.result !== null
      ? '```json\n' + JSON.stringify(t.result, null, 2) + '\n```'
      : '(no structured result)',
    '',
  ];
  return lines.join('\n');
}
