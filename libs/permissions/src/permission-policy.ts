/**
 * Permission policy, pure: what a task's policy tells OpenCode at session creation (the session
 * ruleset), and how Heddle answers a request that reaches it (auto-accept rules of the task, then of
 * the team; a task's own allow/deny; the team's auto-answer of questions). No Nest, no Prisma.
 */
import { wildcardMatch } from './wildcard';

export const PERMISSION_ACTIONS = ['allow', 'ask', 'deny'] as const;
export type PermissionAction = (typeof PERMISSION_ACTIONS)[number];

/** The permissions a task policy sets for the whole session (OpenCode names them so). */
export const POLICY_PERMISSIONS = ['edit', 'bash', 'webfetch'] as const;
export type PolicyPermission = (typeof POLICY_PERMISSIONS)[number];

export const PERMISSION_REPLIES = ['once', 'always', 'reject'] as const;
export type PermissionReplyKind = (typeof PERMISSION_REPLIES)[number];

export const AUTO_ANSWER_QUESTIONS = ['off', 'first', 'fixed'] as const;
export type AutoAnswerQuestions = (typeof AUTO_ANSWER_QUESTIONS)[number];

/**
 * One allow-list entry: requests for `permission` (an OpenCode permission — `edit`, `bash`,
 * `webfetch`, `read`, … — OpenCode wildcards allowed) whose every pattern matches `pattern` (any
 * pattern when omitted) are answered `once` by Heddle, with no person.
 */
export interface AutoAcceptRule {
  permission: string;
  pattern?: string;
}

/** A bash command pattern (OpenCode wildcards: `git *`, `npm test`) and what OpenCode does with it. */
export interface BashPatternRule {
  pattern: string;
  action: PermissionAction;
}

/** A task's permission policy (`permission` on task creation; tasks."permissionPolicy"). */
export interface PermissionPolicy {
  edit?: PermissionAction;
  bash?: PermissionAction;
  webfetch?: PermissionAction;
  /** After `bash`: later entries win, as in OpenCode. */
  bashPatterns?: BashPatternRule[];
  /** Checked before the team's rules. */
  autoAccept?: AutoAcceptRule[];
}

/** The team settings this lib reads (`autoAccept`, `autoAnswerQuestions`; libs/teams validates them). */
export interface TeamPermissionSettings {
  autoAccept: AutoAcceptRule[];
  /** `fixed` only with an `autoAnswerText`; otherwise `off`. */
  autoAnswerQuestions: AutoAnswerQuestions;
  /** The answer `fixed` gives to every question. */
  autoAnswerText: string | null;
}

/** One rule of OpenCode's session `permission` ruleset (`POST /session`, `PATCH /session/{id}`). */
export interface SessionPermissionRule {
  permission: string;
  pattern: string;
  action: PermissionAction;
}

/**
 * The session ruleset a task's policy stands for, to pass as `permission` when its session is
 * created: OpenCode then allows, asks or denies by itself (a session ruleset overrides the host's
 * configuration). Later rules win in OpenCode, so each permission's catch-all comes first and the
 * bash patterns after it. Auto-accept rules are not part of it: those requests must reach Heddle,
 * which records them and answers. An empty array means: no policy, pass nothing.
 */
export function sessionPermissionRuleset(policy: PermissionPolicy | null | undefined): SessionPermissionRule[] {
  if (!policy) return [];
  const rules: SessionPermissionRule[] = [];
  for (const permission of POLICY_PERMISSIONS) {
    const action = policy[permission];
    if (action) rules.push({ permission, pattern: '*', action });
  }
  for (const { pattern, action } of policy.bashPatterns ?? []) rules.push({ permission: 'bash', pattern, action });
  return rules;
}

/**
 * What a ruleset says about a request, the way OpenCode decides: for each pattern the last matching
 * rule; any `deny` denies, `allow` for every pattern allows; otherwise undefined (ask, or no rule).
 */
export function evaluateRuleset(
  rules: readonly SessionPermissionRule[],
  permission: string,
  patterns: readonly string[],
): PermissionAction | undefined {
  if (patterns.length === 0 || rules.length === 0) return undefined;
  let allAllowed = true;
  for (const pattern of patterns) {
    let action: PermissionAction | undefined;
    for (const rule of rules) {
      if (wildcardMatch(rule.permission, permission) && wildcardMatch(rule.pattern, pattern)) action = rule.action;
    }
    if (action === 'deny') return 'deny';
    if (action !== 'allow') allAllowed = false;
  }
  return allAllowed ? 'allow' : undefined;
}

/** The first rule that covers the request: its permission matches, and every pattern matches the rule's pattern. */
export function matchAutoAccept(
  rules: readonly AutoAcceptRule[],
  request: { permission: string; patterns: readonly string[] },
): AutoAcceptRule | undefined {
  return rules.find(
    (rule) =>
      wildcardMatch(rule.permission, request.permission) &&
      (rule.pattern === undefined ||
        (request.patterns.length > 0 && request.patterns.every((p) => wildcardMatch(rule.pattern!, p)))),
  );
}

export interface PolicyDecision {
  reply: 'once' | 'reject';
  /** Sent with a reject: OpenCode hands it to the model, and the turn goes on (as a deny would). */
  message?: string;
  /** Whose policy answered. */
  source: 'task' | 'team';
  /** `ruleset` (the task's allow/deny) or the auto-accept rule that matched. */
  rule: 'ruleset' | AutoAcceptRule;
}

export const DENIED_BY_POLICY = "Denied by the task's permission policy in Heddle.";

/**
 * How Heddle answers a request of a task's session without a person, or undefined to leave it to
 * one. In order: the task's own allow/deny (normally OpenCode applies it itself — a request only gets
 * here when the session was made without the ruleset, e.g. a bound session), the task's auto-accept
 * rules, the team's. Requests of sessions that belong to no task get no policy.
 */
export function decidePermission(
  request: { permission: string; patterns: readonly string[] },
  policies: { task: PermissionPolicy | null; team: TeamPermissionSettings },
): PolicyDecision | undefined {
  const { task, team } = policies;
  if (task) {
    const verdict = evaluateRuleset(sessionPermissionRuleset(task), request.permission, request.patterns);
    if (verdict === 'allow') return { reply: 'once', source: 'task', rule: 'ruleset' };
    if (verdict === 'deny') return { reply: 'reject', message: DENIED_BY_POLICY, source: 'task', rule: 'ruleset' };
    const rule = matchAutoAccept(task.autoAccept ?? [], request);
    if (rule) return { reply: 'once', source: 'task', rule };
  }
  const rule = matchAutoAccept(team.autoAccept, request);
  return rule ? { reply: 'once', source: 'team', rule } : undefined;
}

// ---- stored JSON, read defensively (a bad value means "no policy", never a crash) ----------------

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isAction = (v: unknown): v is PermissionAction => PERMISSION_ACTIONS.includes(v as PermissionAction);

function readRules(value: unknown): AutoAcceptRule[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((r): AutoAcceptRule[] =>
    isObject(r) && typeof r.permission === 'string'
      ? [{ permission: r.permission, ...(typeof r.pattern === 'string' ? { pattern: r.pattern } : {}) }]
      : [],
  );
}

/** A task's `permissionPolicy` column. */
export function readPermissionPolicy(value: unknown): PermissionPolicy | null {
  if (!isObject(value)) return null;
  const policy: PermissionPolicy = {};
  for (const permission of POLICY_PERMISSIONS) {
    if (isAction(value[permission])) policy[permission] = value[permission];
  }
  if (Array.isArray(value.bashPatterns)) {
    policy.bashPatterns = value.bashPatterns.flatMap((r): BashPatternRule[] =>
      isObject(r) && typeof r.pattern === 'string' && isAction(r.action)
        ? [{ pattern: r.pattern, action: r.action }]
        : [],
    );
  }
  if (value.autoAccept !== undefined) policy.autoAccept = readRules(value.autoAccept);
  return policy;
}

/** The permission part of a team's `settings`. */
export function readTeamPermissionSettings(settings: unknown): TeamPermissionSettings {
  const s = isObject(settings) ? settings : {};
  const text = typeof s.autoAnswerText === 'string' && s.autoAnswerText.trim() ? s.autoAnswerText : null;
  return {
    autoAccept: readRules(s.autoAccept),
    autoAnswerQuestions:
      s.autoAnswerQuestions === 'first' ? 'first' : s.autoAnswerQuestions === 'fixed' && text ? 'fixed' : 'off',
    autoAnswerText: text,
  };
}

// ---- questions -----------------------------------------------------------------------------------

/** A question as OpenCode asks it (QuestionInfo). */
export interface QuestionSpec {
  question: string;
  header?: string;
  options: { label: string; description?: string }[];
  multiple?: boolean;
  /** OpenCode lets the person type an answer of their own unless this is false. */
  custom?: boolean;
}

/** `autoAnswerQuestions: 'first'`: the first option of every question, or undefined when one has none. */
export function firstOptionAnswers(questions: readonly QuestionSpec[]): string[][] | undefined {
  if (questions.length === 0) return undefined;
  const answers: string[][] = [];
  for (const q of questions) {
    const first = q.options[0]?.label;
    if (first === undefined) return undefined;
    answers.push([first]);
  }
  return answers;
}

/**
 * `autoAnswerQuestions: 'fixed'`: the team's text as the answer to every question — typed in as the
 * person's own answer where the question allows one (`custom` is not false), else the option with
 * that label (case and surrounding space aside). Undefined when a question takes neither: a person
 * answers it.
 */
export function fixedAnswers(questions: readonly QuestionSpec[], text: string): string[][] | undefined {
  if (questions.length === 0) return undefined;
  const answers: string[][] = [];
  const wanted = text.trim().toLowerCase();
  for (const q of questions) {
    if (q.custom !== false) {
      answers.push([text]);
      continue;
    }
    const option = q.options.find((o) => o.label.trim().toLowerCase() === wanted);
    if (!option) return undefined;
    answers.push([option.label]);
  }
  return answers;
}

/**
 * Whether `answers` fit the questions asked, as OpenCode takes them: one array of labels per
 * question, in order; at least one label each, exactly one unless the question is `multiple`; labels
 * among the options unless the question allows a `custom` answer. Answers the first problem, with
 * the field it is about, or undefined.
 */
export function answersProblem(
  questions: readonly QuestionSpec[],
  answers: readonly (readonly string[])[],
): { field: string; message: string } | undefined {
  if (answers.length !== questions.length) {
    return {
      field: 'answers',
      message: `answers must hold one array of labels per question: ${questions.length} expected, ${answers.length} given`,
    };
  }
  for (const [i, q] of questions.entries()) {
    const chosen = answers[i]!;
    const field = `answers[${i}]`;
    if (chosen.length === 0) return { field, message: `${field} must choose at least one option of "${q.question}"` };
    if (!q.multiple && chosen.length > 1) {
      return { field, message: `${field}: "${q.question}" takes one answer, ${chosen.length} given` };
    }
    if (q.custom === false) {
      const labels = q.options.map((o) => o.label);
      const j = chosen.findIndex((label) => !labels.includes(label));
      if (j >= 0) {
        return {
          field: `${field}[${j}]`,
          message: `${field}[${j}] "${chosen[j]}" is not an option of "${q.question}" (${labels.join(', ')})`,
        };
      }
    }
  }
  return undefined;
}
