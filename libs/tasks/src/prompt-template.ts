/**
 * The prompt a task's session gets, built from a template with placeholders. Teams and tasks may
 * bring their own template; unknown placeholders are left as they are so a typo shows in the prompt.
 */
export const PLACEHOLDERS = ['GOAL', 'STEPS', 'CHECKS', 'FAILING_CHECKS', 'PLAN_FILE', 'WORKSPACE'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_TEMPLATE = `You are working in {{WORKSPACE}}.

Goal:
{{GOAL}}

Steps:
{{STEPS}}

The work is accepted only when these checks pass against the workspace (they are run for you; saying
you are done does not count):
{{CHECKS}}
{{FAILING_CHECKS}}
When you have finished, reply with a line containing only: TASK COMPLETE`;

/** pyocloop's loop prompt: one plan item per session, the plan file is the memory between them. */
export const DEFAULT_PLAN_TEMPLATE = `Read the plan at {{PLAN_FILE}}.

Pick the first item that is still open (\`- [ ]\`), do it completely, then mark it done (\`- [x]\`) in the
plan file. Do only that one item in this session. If an item needs a person, mark it \`[MANUAL]\`; if it
cannot be done, mark it \`[BLOCKED: reason]\`.

When no open item is left, add a line \`<plan-complete>one-paragraph summary</plan-complete>\` at the end
of the plan file.

Goal of the whole plan: {{GOAL}}`;

export interface PromptValues {
  goal: string;
  steps?: readonly string[];
  /** One human-readable line per check. */
  checks?: readonly string[];
  /** Text naming each failing check and its evidence (later turns only). */
  failingChecks?: string;
  planFile?: string;
  workspace: string;
}

export function renderPrompt(template: string, values: PromptValues): string {
  const text: Record<Placeholder, string> = {
    GOAL: values.goal,
    STEPS: values.steps?.length
      ? values.steps.map((s, i) => `${i + 1}. ${s}`).join('\n')
      : '(none given: plan them yourself)',
    CHECKS: values.checks?.length
      ? values.checks.map((c) => `- ${c}`).join('\n')
      : '- (none: the working tree must change)',
    FAILING_CHECKS: values.failingChecks
      ? `\nThese checks still fail — fix what they show:\n${values.failingChecks}\n`
      : '',
    PLAN_FILE: values.planFile ?? 'PLAN.md',
    WORKSPACE: values.workspace,
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? text[name as Placeholder] : whole,
  );
}

/** Placeholders in a template that Heddle does not know (reported as a 400 when a task is created). */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{\{([A-Za-z_]+)\}\}/g)]
    .map((m) => m[1]!)
    .filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
}
