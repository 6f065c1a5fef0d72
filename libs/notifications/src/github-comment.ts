import type { AttemptOutcome } from '@heddle/delivery';
import { postOnce } from '@heddle/delivery';
import { eventLink, oneLine, type MessageEvent } from './sink-message';

/**
 * The `github_comment` sink: a comment on the issue or pull request a task came from (the origin
 * its GitHub hook delivery recorded), when the task starts or ends. Pure body building plus one
 * guarded POST; the comment carries a hidden marker of its event so that a retry after an answer
 * that never arrived finds the first comment instead of posting a second.
 */

/** Where the comment goes: what libs/hooks stored as the delivery's origin. */
export interface GithubCommentTarget {
  repo: string;
  number: number;
}

/** The origin as stored (JSON), or null when it is not a GitHub issue or pull request. */
export function githubTarget(origin: unknown): GithubCommentTarget | null {
  if (!origin || typeof origin !== 'object') return null;
  const o = origin as Record<string, unknown>;
  if (o.provider !== 'github' || typeof o.repo !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(o.repo)) return null;
  if (o.repo.split('/').some((part) => /^\.+$/.test(part))) return null;
  if (typeof o.number !== 'number' || !Number.isSafeInteger(o.number) || o.number < 1) return null;
  return { repo: o.repo, number: o.number };
}

const HEADLINES: Record<string, string> = {
  TASK_STARTED: '▶️ Heddle started working on this',
  TASK_COMPLETED: '✅ Heddle finished: the checks pass',
  TASK_FAILED: '❌ Heddle could not finish this',
  TASK_ABORTED: '⛔ Heddle stopped this task',
};

/** The hidden line that names the event a comment was made for. */
export function commentMarker(eventId: string): string {
  return `<!-- heddle-event:${eventId} -->`;
}

function field(data: unknown, key: string): unknown {
  return data && typeof data === 'object' ? (data as Record<string, unknown>)[key] : undefined;
}

function text(data: unknown, key: string, max: number): string | undefined {
  const value = field(data, key);
  return typeof value === 'string' && value.trim() !== '' ? oneLine(value, max) : undefined;
}

/** Markdown inline code that no backtick in `value` can break out of. */
function code(value: string): string {
  return `\`${value.replace(/`/g, "'")}\``;
}

/**
 * The comment for one task event: headline, task name, verdict (checks passed, reason), a link
 * to the task, the marker. Built from the event alone; names and reasons are one line and cut.
 */
export function githubCommentBody(event: MessageEvent & { id: string }, publicUrl: string): string {
  const data = event.data;
  const lines = [`**${HEADLINES[event.type] ?? `Heddle: ${oneLine(event.type, 60)}`}**`, ''];
  const name = text(data, 'name', 200);
  if (name) lines.push(`Task ${code(name)}`);
  const checks = field(data, 'checks') as { passed?: unknown; total?: unknown } | undefined;
  if (checks && typeof checks.passed === 'number' && typeof checks.total === 'number')
    lines.push(`Checks: ${checks.passed}/${checks.total} passed`);
  const verification = text(data, 'verification', 20);
  if (event.type === 'TASK_COMPLETED' && verification && verification !== 'checks')
    lines.push(`Verification: ${verification}`);
  const reason = text(data, 'reason', 100);
  const detail = text(data, 'reasonDetail', 500);
  if (reason && event.type !== 'TASK_COMPLETED')
    lines.push(`Reason: ${code(reason)}${detail ? ` — ${detail.replace(/[<>]/g, '')}` : ''}`);
  lines.push('', `[Open the task in Heddle](${eventLink(event, publicUrl)})`, '', commentMarker(event.id));
  return lines.join('\n');
}

export interface GithubCommentRequest {
  /** API base: `https://api.github.com` or a GitHub Enterprise `https://<host>/api/v3`. */
  apiUrl: string;
  token: string;
  target: GithubCommentTarget;
  body: string;
  marker: string;
  /** A retry first looks for its own comment among those made since the event. */
  lookFirstSince: Date | null;
  timeoutMs: number;
}

function commentsUrl(req: GithubCommentRequest): string {
  const [owner, repo] = req.target.repo.split('/') as [string, string];
  const base = req.apiUrl.replace(/\/+$/, '');
  return `${base}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues/${req.target.number}/comments`;
}

function headers(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'Heddle-Notify/1',
  };
}

/**
 * Whether a comment with `marker` exists already (made by an attempt whose answer was lost).
 * Unknown (null) when GitHub cannot be asked: the caller then posts, preferring a duplicate
 * comment to a missing one.
 */
async function alreadyCommented(fetchFn: typeof fetch, req: GithubCommentRequest): Promise<boolean | null> {
  const since = req.lookFirstSince!;
  const url = `${commentsUrl(req)}?since=${encodeURIComponent(since.toISOString())}&per_page=100`;
  try {
    const res = await fetchFn(url, {
      headers: headers(req.token),
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    if (!res.ok) return null;
    const comments = (await res.json()) as unknown;
    if (!Array.isArray(comments)) return null;
    return comments.some((c) => typeof c?.body === 'string' && c.body.includes(req.marker));
  } catch {
    return null;
  }
}

/** One attempt: POST the comment (after checking for a previous attempt's when retrying). */
export async function postGithubComment(fetchFn: typeof fetch, req: GithubCommentRequest): Promise<AttemptOutcome> {
  const started = performance.now();
  if (req.lookFirstSince && (await alreadyCommented(fetchFn, req)) === true)
    return {
      statusCode: 200,
      latencyMs: Math.round(performance.now() - started),
      responseExcerpt: 'the comment was already made by an earlier attempt',
    };
  return postOnce(fetchFn, {
    url: commentsUrl(req),
    headers: headers(req.token),
    body: JSON.stringify({ body: req.body }),
    timeoutMs: req.timeoutMs,
  });
}
