import { Check, ChecksEvaluation } from '@heddle/checks';
import { Host, Task, Turn } from '@heddle/db';
import { OpencodeClient } from '@heddle/opencode-client';
import type { NextDelivery } from '@heddle/tasks';
import type { SessionFacts, VerdictFacts } from './decide';
import type { observeStale } from './stale-busy';
import type { TurnObservation } from './turn-observation';

/**
 * What one step has learned so far: the task as last written, its host and current turn, and what
 * looks at the host and the checks found. Executors update it; `decide` reads a snapshot of it.
 */
export interface StepContext {
  task: Task;
  host: Host | null;
  client: OpencodeClient | null;
  turn: Turn | null;
  /** The current turn's messages as observed, and the session's state. */
  obs?: TurnObservation;
  session?: SessionFacts;
  /** The stale-busy look at a busy session. */
  stale?: ReturnType<typeof observeStale>;
  /** When the stale-busy report (or the policy's abort) falls due if nothing moves, ms. */
  staleAtMs?: number;
  /** This process follows the session's events (polling is only the fallback). */
  watched?: boolean;
  /** What the session waits for a person to answer. */
  waiting?: 'permission' | 'question' | null;
  /** The checks' evaluation this step, and what it says. */
  evaluation?: ChecksEvaluation;
  verdict?: VerdictFacts;
  verified?: boolean;
  /** Plan mode: the `<plan-complete>` summary. */
  planSummary?: string | null;
  followUps: { queued: number; readyAtMs: number | null };
  /** The follow-up messages to deliver next (read with the look at the session). */
  delivery?: NextDelivery | null;
}

export function checksOf(task: Task): Check[] {
  return Array.isArray(task.checks) ? (task.checks as unknown as Check[]) : [];
}
