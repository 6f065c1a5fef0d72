/**
 * GitHub deliveries → what a task needs (pure; unit-tested). Triggers:
 * - `issue_comment` (issues and pull requests) and `pull_request_review_comment`, action `created`,
 *   whose body has a line starting with the trigger (`/heddle` by default) as a word of its own;
 * - `issues` or `pull_request`, action `labeled`, with the source's `label`.
 * Anything else, and anything a bot sends, is ignored (202).
 */

export const DEFAULT_TRIGGER = '/heddle';
/** The goal a task accepts at most (CreateTaskDto). */
const MAX_GOAL = 100_000;

export interface GithubConfig {
  /** `owner/repo` → absolute workspace path on the host (case-insensitive on the repo). */
  repos: Record<string, string>;
  trigger?: string;
  label?: string;
}

/** Where a reply to the task goes (the `github_comment` sink). */
export interface GithubOrigin {
  provider: 'github';
  repo: string;
  number: number;
  url: string | null;
}

export type GithubOutcome =
  | { kind: 'task'; name: string; goal: string; workspace: string; origin: GithubOrigin }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unmapped'; repo: string };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The instruction after the trigger, when a line of `body` starts with it (leading spaces allowed);
 * `''` for a bare trigger; undefined when no line does. The trigger must end at a space or line end,
 * so `/heddle` does not fire on `/heddles`.
 */
export function matchTrigger(body: string, trigger: string = DEFAULT_TRIGGER): string | undefined {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimStart();
    if (!line.startsWith(trigger)) continue;
    const after = line.slice(trigger.length);
    if (after !== '' && !/^\s/.test(after)) continue;
    return [after.trim(), ...lines.slice(i + 1)].join('\n').trim();
  }
  return undefined;
}

/** The workspace mapped to `repo` (exact first, then case-insensitive). */
export function workspaceFor(repos: Record<string, string>, repo: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(repos, repo)) return repos[repo];
  const lower = repo.toLowerCase();
  return Object.entries(repos).find(([k]) => k.toLowerCase() === lower)?.[1];
}

export function parseGithubEvent(event: string, payload: unknown, config: GithubConfig): GithubOutcome {
  const body = obj(payload);
  if (!body) return { kind: 'ignored', reason: 'payload is not a JSON object' };
  if (event === 'ping') return { kind: 'ignored', reason: 'ping' };
  if (str(obj(body.sender)?.type) === 'Bot') return { kind: 'ignored', reason: 'sent by a bot' };
  const repo = str(obj(body.repository)?.full_name);
  if (!repo) return { kind: 'ignored', reason: 'no repository in the payload' };
  const action = str(body.action);

  let found: { instruction?: string; item: Obj; commentUrl?: string } | undefined;
  if (event === 'issue_comment' || event === 'pull_request_review_comment') {
    if (action !== 'created') return { kind: 'ignored', reason: `${event} action ${action ?? 'none'}` };
    const comment = obj(body.comment);
    const instruction = matchTrigger(str(comment?.body) ?? '', config.trigger || DEFAULT_TRIGGER);
    if (instruction === undefined) return { kind: 'ignored', reason: 'no trigger in the comment' };
    const item = obj(body.issue) ?? obj(body.pull_request);
    if (!item) return { kind: 'ignored', reason: 'no issue or pull request in the payload' };
    found = { instruction, item, commentUrl: str(comment?.html_url) };
  } else if (event === 'issues' || event === 'pull_request') {
    if (action !== 'labeled') return { kind: 'ignored', reason: `${event} action ${action ?? 'none'}` };
    if (!config.label) return { kind: 'ignored', reason: 'no label trigger configured' };
    if (str(obj(body.label)?.name) !== config.label) return { kind: 'ignored', reason: 'another label' };
    const item = obj(event === 'issues' ? body.issue : body.pull_request);
    if (!item) return { kind: 'ignored', reason: 'no issue or pull request in the payload' };
    found = { item };
  } else {
    return { kind: 'ignored', reason: `event ${event || 'none'} is not handled` };
  }

  const workspace = workspaceFor(config.repos, repo);
  if (!workspace) return { kind: 'unmapped', repo };
  const number = typeof found.item.number === 'number' ? found.item.number : 0;
  const title = str(found.item.title) ?? '';
  const text = str(found.item.body) ?? '';
  const url = str(found.item.html_url) ?? null;
  const context = [`${repo}#${number}: ${title}`, url, '', text]
    .filter((l) => l !== null)
    .join('\n')
    .trim();
  const goal = found.instruction
    ? `${found.instruction}\n\n---\nFrom ${found.commentUrl ?? url ?? `${repo}#${number}`}\n\n${context}`
    : context;
  return {
    kind: 'task',
    name: `${repo}#${number}${title ? ` ${title}` : ''}`.slice(0, 200),
    goal: goal.slice(0, MAX_GOAL) || `${repo}#${number}`,
    workspace,
    origin: { provider: 'github', repo, number, url },
  };
}
