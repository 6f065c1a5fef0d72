import type { CheckRun, Task, TaskMessage, Turn } from '@heddle/db';
import type { TaskMessageResponseDto } from './dto/task-message.dto';
import type {
  ActivityDto,
  CheckResultDto,
  CheckRunResponseDto,
  PlanProgressDto,
  TaskResponseDto,
  TurnResponseDto,
} from './dto/task-response.dto';
import { DroppedReason, MessageLane, MessageStatus, resolveFollowUpPolicy } from './follow-ups';
import type { TaskStatus } from './task-state';

export function toTaskResponse(task: Task, latest: CheckRun | null): TaskResponseDto {
  return {
    id: task.id,
    name: task.name,
    status: task.status as TaskStatus,
    reason: task.reason,
    reasonDetail: task.reasonDetail,
    workspace: task.workspace,
    goal: task.goal,
    steps: task.steps,
    checks: task.checks as unknown[],
    mode: task.mode as 'single' | 'plan',
    planFile: task.planFile,
    hostId: task.hostId ?? task.requestedHostId,
    labels: task.labels,
    model: task.model,
    agent: task.agent,
    sessionId: task.sessionId ?? task.bindSessionId,
    budgets: task.budgets as unknown as TaskResponseDto['budgets'],
    checkIntervalSeconds: task.checkIntervalSeconds,
    currentTurn: task.currentTurn,
    tokens: {
      input: task.tokensInput,
      output: task.tokensOutput,
      reasoning: task.tokensReasoning,
      cacheRead: task.tokensCacheRead,
      cacheWrite: task.tokensCacheWrite,
    },
    costUsd: task.costUsd,
    progress: (task.progress ?? null) as unknown as PlanProgressDto | null,
    latestChecks: latest ? (latest.results as unknown as CheckResultDto[]) : null,
    claimedComplete: task.claimedComplete,
    verification: task.verification as 'checks' | 'weak' | 'manual',
    result: task.result,
    stale: task.stale,
    waiting: (task.waiting as 'permission' | 'question' | null) ?? null,
    activity: (task.activity as { texts: string[]; tools: string[] } | null) ?? null,
    permission: task.permissionPolicy ?? null,
    // Resolved at create; tasks made before follow-ups existed run under Heddle's defaults.
    followUps: resolveFollowUpPolicy(task.followUpPolicy, null),
    archived: task.archived,
    startedAt: task.startedAt?.toISOString() ?? null,
    finishedAt: task.finishedAt?.toISOString() ?? null,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

export function toTurnResponse(turn: Turn): TurnResponseDto {
  return {
    number: turn.number,
    sessionId: turn.sessionId,
    prompt: turn.prompt,
    tokens: {
      input: turn.tokensInput,
      output: turn.tokensOutput,
      reasoning: turn.tokensReasoning,
      cacheRead: turn.tokensCacheRead,
      cacheWrite: turn.tokensCacheWrite,
    },
    costUsd: turn.costUsd,
    outcome: turn.outcome,
    error: turn.error,
    sentAt: turn.sentAt?.toISOString() ?? null,
    changedFiles: turn.changedFiles,
    activity: (turn.activity ?? null) as unknown as ActivityDto | null,
    startedAt: turn.startedAt.toISOString(),
    finishedAt: turn.finishedAt?.toISOString() ?? null,
  };
}

export function toCheckRunResponse(run: CheckRun): CheckRunResponseDto {
  return {
    id: run.id,
    turnNumber: run.turnNumber,
    allPassed: run.allPassed,
    results: run.results as unknown[],
    createdAt: run.createdAt.toISOString(),
  };
}

export function toTaskMessageResponse(message: TaskMessage): TaskMessageResponseDto {
  return {
    id: message.id,
    taskId: message.taskId,
    text: message.text,
    lane: message.lane as MessageLane,
    status: message.status as MessageStatus,
    createdBy: message.createdBy,
    createdAt: message.createdAt.toISOString(),
    deliveredAt: message.deliveredAt?.toISOString() ?? null,
    turn: message.turn,
    droppedAt: message.droppedAt?.toISOString() ?? null,
    droppedReason: (message.droppedReason as DroppedReason | null) ?? null,
    mergedInto: message.mergedInto,
  };
}
