/** A task's budgets as stored (team and Heddle defaults already applied at create). */
export interface Budgets {
  maxTurns: number;
  maxTokens: number;
  maxCostUsd: number;
  maxWallSeconds: number;
  /** Plan mode: iterations in a row that close no item. */
  maxNoProgressIterations: number;
}

/** What a task has used since its budget base (creation, or the last resume). */
export interface BudgetUse {
  turns: number;
  tokens: number;
  costUsd: number;
  wallSeconds: number;
  noProgressStreak: number;
}

export type BudgetReason = 'budget.turns' | 'budget.tokens' | 'budget.cost' | 'budget.wall' | 'budget.no_progress';

export interface BudgetVerdict {
  reason: BudgetReason;
  detail: string;
}

const FALLBACK: Budgets = {
  maxTurns: 10,
  maxTokens: 2_000_000,
  maxCostUsd: 10,
  maxWallSeconds: 3600,
  maxNoProgressIterations: 3,
};

/**
 * Budgets from the stored JSON. Fails closed: a missing or malformed limit takes Heddle's default
 * rather than none, so no task runs without every budget.
 */
export function readBudgets(raw: unknown): Budgets {
  const source = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out = { ...FALLBACK };
  for (const key of Object.keys(FALLBACK) as (keyof Budgets)[]) {
    const value = source[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
  }
  return out;
}

/**
 * The first budget a task has used up, or null. `startingTurn`: a new turn is about to be sent, so
 * the turns already used must leave room for it. Tokens, cost and wall time fail once exceeded;
 * they are checked while a turn runs too (the harness then aborts the session).
 */
export function exhaustedBudget(budgets: Budgets, use: BudgetUse, startingTurn: boolean): BudgetVerdict | null {
  if (use.wallSeconds > budgets.maxWallSeconds)
    return {
      reason: 'budget.wall',
      detail: `ran ${Math.round(use.wallSeconds)} s, over the budget of ${budgets.maxWallSeconds} s`,
    };
  if (use.tokens > budgets.maxTokens)
    return { reason: 'budget.tokens', detail: `used ${use.tokens} tokens, over the budget of ${budgets.maxTokens}` };
  if (use.costUsd > budgets.maxCostUsd)
    return {
      reason: 'budget.cost',
      detail: `cost $${use.costUsd.toFixed(4)}, over the budget of $${budgets.maxCostUsd}`,
    };
  if (use.noProgressStreak >= budgets.maxNoProgressIterations && budgets.maxNoProgressIterations > 0)
    return {
      reason: 'budget.no_progress',
      detail: `${use.noProgressStreak} plan iterations in a row closed no item (budget ${budgets.maxNoProgressIterations})`,
    };
  if (startingTurn && use.turns >= budgets.maxTurns)
    return { reason: 'budget.turns', detail: `used all ${budgets.maxTurns} turns without passing the checks` };
  return null;
}
