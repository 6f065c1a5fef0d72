/** The CLI's exit codes: a contract with CI pipelines (docs/ci.md). */
export const EXIT = {
  completed: 0,
  failed: 1,
  aborted: 2,
  timedOut: 3,
  usage: 4,
  unreachable: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of a finished task's status (anything unfinished counts as failed). */
export function exitCodeOfStatus(status: string): ExitCode {
  if (status === 'completed') return EXIT.completed;
  if (status === 'aborted') return EXIT.aborted;
  return EXIT.failed;
}

/** A usage mistake found after parsing (a missing variable, a bad value): exit 4. */
export class UsageError extends Error {}
