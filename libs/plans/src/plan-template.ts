import { DEFAULT_PLAN_TEMPLATE } from '@heddle/tasks';

/**
 * The starter files of `POST /api/plans/bootstrap` (pyocloop's `ocloop bootstrap`): a PLAN.md in the
 * format libs/checks parses (`- [ ]` open, `[x]` done, `[MANUAL]`, `[BLOCKED: reason]`, a closing
 * `<plan-complete>` line) and the loop prompt. Pure.
 */
export const DEFAULT_PLAN_FILE = 'PLAN.md';
export const DEFAULT_PROMPT_FILE = '.loop-prompt.md';

/** Items of a starter plan when none are given: placeholders a person replaces. */
export const STARTER_ITEMS: readonly string[] = [
  'Describe the first concrete step (one session does one item)',
  'Describe the second step',
  'Describe the third step',
];

export interface StarterPlanInput {
  /** The plan's heading; default "Plan". */
  title?: string;
  /** One paragraph under the heading, and the loop prompt's goal. */
  goal?: string;
  /** Open items, in order; default {@link STARTER_ITEMS}. */
  items?: readonly string[];
}

/** One line of text for a plan item: no line breaks, no leading marker of its own. */
export function planItemText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:[-*+]\s+)?(?:\[[^\]]*\](?=\s|$))?/, '')
    .trim();
}

export function starterPlan(input: StarterPlanInput = {}): string {
  const title = (input.title ?? '').replace(/\s+/g, ' ').trim() || 'Plan';
  const goal = input.goal?.trim();
  const items = (input.items?.length ? input.items : STARTER_ITEMS).map(planItemText).filter(Boolean);
  return [
    `# ${title}`,
    '',
    ...(goal ? [goal, ''] : []),
    '<!--',
    'One item per loop iteration, the first open one first. Items are lines starting with a marker:',
    'open "- [ ]", done "- [x]", needs a person "- [MANUAL]" (skipped), cannot be done "- [BLOCKED: reason]".',
    'When no open item is left, the agent adds a line <plan-complete>summary</plan-complete> at the end.',
    '-->',
    '',
    '## Backlog',
    '',
    ...items.map((text) => `- [ ] ${text}`),
    '',
  ].join('\n');
}

/**
 * The loop prompt: Heddle's plan template (the one a `mode: "plan"` task uses) with the goal filled
 * in and `{{PLAN_FILE}}` kept, which pyocloop and Heddle both replace with the plan's path at run time.
 */
export function loopPrompt(goal?: string): string {
  const text = goal?.trim() || 'work through the plan, one item per session.';
  return `${DEFAULT_PLAN_TEMPLATE.replace('{{GOAL}}', text)}\n`;
}
