/**
 * Plan files (pyocloop / ocloop semantics, SPEC §5) and the agent's "TASK COMPLETE" claim. Pure.
 *
 * Grammar: an item is a line that, after trimming, starts with `- [` followed by a marker and `]`:
 *   `[ ]` (or `[]`) open · `[x]`/`[X]` done · `[MANUAL]` manual · `[BLOCKED]`/`[BLOCKED: reason]` blocked
 *   (MANUAL/BLOCKED in any case) · any other single character (`[~]`, `[-]`, `[?]`) open: an unknown
 *   marker never counts as closed. Longer bracket text (`- [README](README.md)`) is not an item.
 * `<plan-complete>` counts only at the start of a line (leading blanks allowed); the last one wins,
 * and the text after it up to `</plan-complete>` (or the end of the file) is the summary.
 */

export type PlanItemState = 'done' | 'open' | 'manual' | 'blocked';

export interface PlanItem {
  /** 1-based line number in the text parsed. */
  line: number;
  /** The item's text after the marker, trimmed. */
  text: string;
  state: PlanItemState;
  /** `[BLOCKED: reason]`. */
  reason?: string;
  /** The marker when it is not one of the known ones (`~`, `-`, …); such items are open. */
  marker?: string;
}

export interface PlanCounts {
  total: number;
  done: number;
  open: number;
  manual: number;
  blocked: number;
}

export type PlanCompleteReason = 'tag' | 'no_open_items' | 'empty';

export interface ParsedPlan {
  items: PlanItem[];
  counts: PlanCounts;
  /** done ÷ (total − manual) × 100, one decimal; 100 when the denominator is 0. */
  percent: number;
  /** The first open item, or null. */
  current: PlanItem | null;
  /** A line-anchored `<plan-complete>` exists, or no item is open (an empty plan is complete: reason `empty`). */
  complete: boolean;
  completeReason: PlanCompleteReason | null;
  /** The last line-anchored `<plan-complete>`, or null. */
  tag: { line: number; summary: string } | null;
}

const ITEM = /^- \[([^\]\n]*)\](.*)$/;
const TAG_OPEN = '<plan-complete>';
const TAG_CLOSE = '</plan-complete>';

function classify(marker: string): Pick<PlanItem, 'state' | 'reason' | 'marker'> | undefined {
  const m = marker.trim();
  if (m === '') return { state: 'open' };
  if (m === 'x' || m === 'X') return { state: 'done' };
  if (/^manual$/i.test(m)) return { state: 'manual' };
  const blocked = /^blocked(?:\s*:\s*([\s\S]*))?$/i.exec(m);
  if (blocked) return { state: 'blocked', ...(blocked[1]?.trim() ? { reason: blocked[1].trim() } : {}) };
  if ([...m].length === 1) return { state: 'open', marker: m };
  return undefined;
}

export function parsePlan(text: string): ParsedPlan {
  const source = text.replace(/^\uFEFF/, '');
  const lines = source.split('\n');
  const items: PlanItem[] = [];
  let tag: { line: number; offset: number } | null = null;
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.replace(/\r$/, '');
    const m = ITEM.exec(line.trim());
    if (m && !m[2]!.startsWith('(')) {
      const kind = classify(m[1]!);
      if (kind) items.push({ line: i + 1, text: m[2]!.trim(), ...kind });
    }
    const lead = line.length - line.trimStart().length;
    if (line.startsWith(TAG_OPEN, lead)) tag = { line: i + 1, offset: offset + lead + TAG_OPEN.length };
    offset += raw.length + 1;
  }
  const counts: PlanCounts = { total: items.length, done: 0, open: 0, manual: 0, blocked: 0 };
  for (const item of items) counts[item.state]++;
  const denominator = counts.total - counts.manual;
  const percent = denominator === 0 ? 100 : Math.round((counts.done / denominator) * 1000) / 10;
  let found: { line: number; summary: string } | null = null;
  if (tag) {
    const end = source.indexOf(TAG_CLOSE, tag.offset);
    found = { line: tag.line, summary: source.slice(tag.offset, end < 0 ? undefined : end).trim() };
  }
  const completeReason: PlanCompleteReason | null = found
    ? 'tag'
    : counts.total === 0
      ? 'empty'
      : counts.open === 0
        ? 'no_open_items'
        : null;
  return {
    items,
    counts,
    percent,
    current: items.find((i) => i.state === 'open') ?? null,
    complete: completeReason !== null,
    completeReason,
    tag: found,
  };
}

/** Items closed (done, manual or blocked) between two readings of a plan; ≤ 0 means no progress. */
export function itemsClosed(before: Pick<ParsedPlan, 'counts'>, after: Pick<ParsedPlan, 'counts'>): number {
  const closed = (c: PlanCounts) => c.total - c.open;
  return closed(after.counts) - closed(before.counts);
}

/** One finished plan-loop iteration, as the harness records it. */
export interface PlanIterationRecord {
  durationMs: number;
  /** Items the iteration closed (see {@link itemsClosed}); ≤ 0 counts as no progress. */
  closed?: number;
  tokens?: number;
}

export interface PlanProgress {
  iterations: number;
  totalMs: number;
  lastMs: number | null;
  /** Mean iteration time, or null before the first iteration. */
  averageMs: number | null;
  open: number;
  /** averageMs × open items (0 when nothing is open), or null without history. */
  etaMs: number | null;
  tokens: number;
  /** Iterations that closed nothing, in total and at the end of the history (for a no-progress budget). */
  noProgressTotal: number;
  noProgressStreak: number;
}

/** Iteration times, average and ETA (= average × open items) of a plan loop. */
export function planProgress(
  history: readonly PlanIterationRecord[],
  plan: Pick<ParsedPlan, 'counts'> | number,
): PlanProgress {
  const open = typeof plan === 'number' ? plan : plan.counts.open;
  const totalMs = history.reduce((sum, h) => sum + h.durationMs, 0);
  const averageMs = history.length === 0 ? null : Math.round(totalMs / history.length);
  const stalled = (h: PlanIterationRecord) => h.closed !== undefined && h.closed <= 0;
  let noProgressStreak = 0;
  for (let i = history.length - 1; i >= 0 && stalled(history[i]!); i--) noProgressStreak++;
  return {
    iterations: history.length,
    totalMs,
    lastMs: history.length === 0 ? null : history[history.length - 1]!.durationMs,
    averageMs,
    open,
    etaMs: averageMs === null ? null : averageMs * open,
    tokens: history.reduce((sum, h) => sum + (h.tokens ?? 0), 0),
    noProgressTotal: history.filter(stalled).length,
    noProgressStreak,
  };
}

/**
 * The agent says it is done: a line that is exactly `TASK COMPLETE` (after trimming). A flag for the
 * record (`claimedComplete`) — it never completes a task by itself.
 */
export function claimsComplete(text: string | null | undefined): boolean {
  return !!text && text.split('\n').some((line) => line.trim() === 'TASK COMPLETE');
}
