export { HarnessWorkerModule } from './harness.module';
export { observeTurn } from './turn-observation';
export type { TurnObservation, Activity, TokenUse } from './turn-observation';
export { exhaustedBudget, readBudgets } from './budgets';
export type { Budgets, BudgetUse, BudgetVerdict, BudgetReason } from './budgets';
export { observeStale, INITIAL_STALE } from './stale-busy';
export type { StaleState, StalePolicy, StaleDecision } from './stale-busy';
