export { PlansModule, PlansApiModule } from './plans.module';
export { PlansService, DRAFT_LIMITS } from './plans.service';
export {
  DEFAULT_PLAN_FILE,
  DEFAULT_PROMPT_FILE,
  STARTER_ITEMS,
  loopPrompt,
  planItemText,
  starterPlan,
} from './plan-template';
export type { StarterPlanInput } from './plan-template';
export { DRAFT_MAX_ITEMS, DRAFT_MIN_ITEMS, draftPrompt, parseDraftReply } from './draft-reply';
export type { DraftParse } from './draft-reply';
export * from './dto/plan.dto';
