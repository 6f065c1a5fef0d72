// What a scenario is given and what it answers: one row of the table.
import type { Cluster } from './cluster';

export type Size = 'ci' | 'full';

/** How big each scenario runs. `ci` keeps every row meaningful at a fraction of the time. */
export interface Sizes {
  /** Row 1: tasks in flight when the worker is killed (≥ 300 at full size). */
  killWorkerTasks: number;
  /** Row 2: tasks on the real OpenCode binary (≥ 5). */
  realTasks: number;
  /** Row 3: tasks running while Redis restarts. */
  redisTasks: number;
  /** Row 4: events delivered through the receiver outage. */
  outageEvents: number;
  /** Row 4: how long the receiver stays down (ms; longer than the first retry's 5 s ± 20 %). */
  outageDownMs: number;
  /** Row 5: idempotency keys in the burst the API is killed in. */
  burstKeys: number;
  /** Row 6: tasks mid-turn when the worker gets SIGTERM. */
  drainTasks: number;
  /** Row 7: bad requests at least (≥ 1,000). */
  badRequests: number;
}

export const SIZES: Record<Size, Sizes> = {
  ci: {
    killWorkerTasks: 120,
    realTasks: 5,
    redisTasks: 40,
    outageEvents: 60,
    outageDownMs: 8_000,
    burstKeys: 150,
    drainTasks: 12,
    badRequests: 1_000,
  },
  full: {
    killWorkerTasks: 400,
    realTasks: 8,
    redisTasks: 150,
    outageEvents: 300,
    outageDownMs: 12_000,
    burstKeys: 600,
    drainTasks: 40,
    badRequests: 2_500,
  },
};

export interface ScenarioContext {
  cluster: Cluster;
  size: Size;
  sizes: Sizes;
  log(message: string): void;
}

/** What a scenario found. It passes when lost, dup and http5xx are 0 and there are no problems. */
export interface RowResult {
  /** Counts to print, in order (e.g. tasks, completed, prompts). */
  counts: Record<string, number | string>;
  /** Work or data that went missing: tasks never finished, events never delivered, keys without a task… */
  lost: number;
  /** Work or data done twice: prompts per turn, event seqs, webhook ids per event, tasks per key… */
  dup: number;
  /** Answers ≥ 500 the scenario got from the API. */
  http5xx: number;
  /** Every other failed expectation, precisely (route, status, body). */
  problems: string[];
}

export interface Scenario {
  id: number;
  title: string;
  run(ctx: ScenarioContext): Promise<RowResult>;
}

/** Collects a scenario's findings while it runs. */
export class Findings {
  readonly counts: Record<string, number | string> = {};
  lost = 0;
  dup = 0;
  readonly problems: string[] = [];

  count(name: string, value: number | string): void {
    this.counts[name] = value;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Records `n` problems of one kind with the first few examples. */
  problemList(what: string, items: string[], show = 10): void {
    if (items.length === 0) return;
    const more = items.length > show ? ` (and ${items.length - show} more)` : '';
    this.problems.push(`${what}: ${items.length}${more}\n      ${items.slice(0, show).join('\n      ')}`);
  }

  result(http5xx: number, serverErrors: string[] = []): RowResult {
    const problems = [...this.problems];
    if (serverErrors.length > 0) problems.push(`answers ≥ 500:\n      ${serverErrors.slice(0, 10).join('\n      ')}`);
    return { counts: this.counts, lost: this.lost, dup: this.dup, http5xx, problems };
  }
}
