import { BudgetUse, exhaustedBudget, readBudgets } from './budgets';

const budgets = readBudgets({
  maxTurns: 3,
  maxTokens: 1000,
  maxCostUsd: 1,
  maxWallSeconds: 60,
  maxNoProgressIterations: 2,
});
const use = (over: Partial<BudgetUse> = {}): BudgetUse => ({
  turns: 0,
  tokens: 0,
  costUsd: 0,
  wallSeconds: 0,
  noProgressStreak: 0,
  ...over,
});

describe('budgets', () => {
  it('falls back to defaults for missing or malformed limits (fail closed, never unlimited)', () => {
    expect(readBudgets({ maxTurns: 'many', maxTokens: -1, maxCostUsd: null })).toEqual({
      maxTurns: 10,
      maxTokens: 2_000_000,
      maxCostUsd: 10,
      maxWallSeconds: 3600,
      maxNoProgressIterations: 3,
    });
    expect(readBudgets(null).maxTurns).toBe(10);
  });

  it('passes within every budget', () => {
    expect(exhaustedBudget(budgets, use({ turns: 2, tokens: 1000, costUsd: 1, wallSeconds: 60 }), true)).toBeNull();
  });

  it('refuses a turn past maxTurns only when one is about to start', () => {
    expect(exhaustedBudget(budgets, use({ turns: 3 }), true)?.reason).toBe('budget.turns');
    expect(exhaustedBudget(budgets, use({ turns: 3 }), false)).toBeNull();
  });

  it.each([
    [{ tokens: 1001 }, 'budget.tokens'],
    [{ costUsd: 1.0001 }, 'budget.cost'],
    [{ wallSeconds: 61 }, 'budget.wall'],
    [{ noProgressStreak: 2 }, 'budget.no_progress'],
  ])('fails %j with %s, mid-turn too', (over, reason) => {
    const verdict = exhaustedBudget(budgets, use(over), false);
    expect(verdict?.reason).toBe(reason);
    expect(verdict?.detail).toMatch(/budget/);
  });
});
