import type { HeddleEvent, Task } from '@heddle/sdk';
import { formatDuration } from './duration';

export type ProgressMode = 'tty' | 'plain' | 'none';

/** `--progress auto|tty|plain|none` (auto: a live line when stderr is a terminal; FORCE_TTY=1 forces it). */
export function progressMode(option: string, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ProgressMode {
  if (option === 'tty' || option === 'plain' || option === 'none') return option;
  if (env.FORCE_TTY === '1' || env.FORCE_TTY === 'true') return 'tty';
  return stream.isTTY ? 'tty' : 'plain';
}

/** One line of what a task is doing: status, turn, tokens, cost, checks passing, plan percent and ETA. */
export function describeTask(task: Task): string {
  const parts: string[] = [task.status];
  if (task.currentTurn) parts.push(`turn ${task.currentTurn}`);
  const t = task.tokens;
  const tokens = (t?.input ?? 0) + (t?.output ?? 0) + (t?.reasoning ?? 0);
  if (tokens) parts.push(`${formatCount(tokens)} tokens`);
  if (task.costUsd) parts.push(`$${task.costUsd.toFixed(4)}`);
  const checks = task.latestChecks ?? [];
  if (checks.length) parts.push(`checks ${checks.filter((c) => c.passed).length}/${checks.length}`);
  const progress = task.progress;
  if (progress) {
    parts.push(
      `plan ${Math.round(progress.percent)}%${progress.etaMs ? ` ETA ${formatDuration(progress.etaMs)}` : ''}`,
    );
  }
  if (task.waiting) parts.push(`waiting for ${task.waiting}`);
  if (task.reason) parts.push(`reason ${task.reason}`);
  return parts.join(' · ');
}

function formatCount(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

/** What one event adds to its progress line (`data` is typed by the event's `type`). */
function describeEvent(event: HeddleEvent): string {
  switch (event.type) {
    case 'LOG_LINE':
      return `${event.data.level}: ${event.data.message}`;
    case 'TURN_STARTED':
      return `turn ${event.data.turn}`;
    case 'TURN_FINISHED':
      return `turn ${event.data.turn} ${event.data.outcome}`;
    case 'CHECK_RESULT':
      return `checks ${event.data.counts.passed}/${event.data.counts.total}${event.data.recheck ? ' (recheck)' : ''}`;
    case 'MESSAGE_DELIVERED':
      return `message ${event.data.messageId} in turn ${event.data.turn}`;
    case 'MESSAGE_DROPPED':
      return `message ${event.data.messageId} dropped: ${event.data.droppedReason}`;
    default:
      return '';
  }
}

/**
 * Progress on stderr while a task runs. `tty`: one live line, redrawn in place; `plain`: a timestamped
 * line per event (for CI logs); `none`: nothing.
 */
export class ProgressView {
  private drawn = false;

  constructor(
    private readonly mode: ProgressMode,
    private readonly out: { write(text: string): unknown },
    private readonly now: () => Date = () => new Date(),
  ) {}

  event(event: HeddleEvent, task: Task | undefined): void {
    if (this.mode === 'plain') {
      const detail = describeEvent(event);
      const state = task && event.type !== 'LOG_LINE' ? ` | ${describeTask(task)}` : '';
      this.out.write(`${this.now().toISOString()} ${event.type}${detail ? ` ${detail}` : ''}${state}\n`);
    } else if (this.mode === 'tty' && task) {
      this.draw(task);
    }
  }

  message(text: string): void {
    if (this.mode === 'none') return;
    if (this.mode === 'tty') {
      this.clear();
      this.out.write(`${text}\n`);
    } else this.out.write(`${this.now().toISOString()} ${text}\n`);
  }

  /** Ends the live line. */
  finish(task: Task): void {
    if (this.mode === 'tty') {
      this.draw(task);
      this.out.write('\n');
      this.drawn = false;
    } else if (this.mode === 'plain') {
      this.out.write(`${this.now().toISOString()} ${task.id} ${describeTask(task)}\n`);
    }
  }

  private draw(task: Task): void {
    this.out.write(`\r\x1b[2K⟳ ${task.name} · ${describeTask(task)}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
