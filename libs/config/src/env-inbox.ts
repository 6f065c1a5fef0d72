// Environment variables: the watched inbox directory (the `inbox` consumer).
import { EnvValueError, EnvVar, integer, oneOf } from './env-parsers';

/** Where the inbox is, how often it is read, when a claim is stale, and whether status files are written. */
export const INBOX_ENV = {
  inboxDir: {
    name: 'INBOX_DIR',
    description:
      'Watched inbox directory (docs/inbox.md), read by the `inbox` worker consumer; unset (the default) turns it off. An absolute path holding one folder per team, named by the team id (`$INBOX_DIR/<teamId>/task.md`): a document dropped there becomes a task of that team and is renamed `processed-<taskId>-<name>` (or `failed-<name>` with `failed-<name>.error.txt`), with `<name>.status.json` and `<name>.result.md` written beside it. Create the team folders yourself (`mkdir -p $INBOX_DIR/<teamId>`); folders that are not team ids, or are symlinks, are ignored.',
    parse: (raw: string): string => {
      if (!raw.startsWith('/')) throw new EnvValueError(`must be an absolute path (got "${raw}")`);
      if (raw.includes('\0')) throw new EnvValueError('must not contain NUL');
      return raw.replace(/\/+$/, '') || '/';
    },
  },
  inboxPollMs: {
    name: 'INBOX_POLL_MS',
    description:
      'How often the `inbox` consumer looks for new documents in INBOX_DIR and brings the `.status.json` / `.result.md` files of the tasks it made up to date.',
    default: '5000',
    parse: integer(100, 3_600_000),
  },
  inboxStaleMs: {
    name: 'INBOX_STALE_MS',
    description:
      'A document being processed is renamed `.<name>.<claim>.processing` and touched while it is; one untouched for this long was left by a worker that died and is taken again (the task is not made twice: the retry replays it by its idempotency key). Keep it well above INBOX_POLL_MS.',
    default: '60000',
    parse: integer(1000, 86_400_000),
  },
  inboxStatusFiles: {
    name: 'INBOX_STATUS_FILES',
    description:
      '`false` stops writing `<name>.status.json` (each change of the task) and `<name>.result.md` (when it finishes) beside the inbox documents.',
    default: 'true',
    parse: (raw: string): boolean => oneOf(['true', 'false'] as const)(raw) === 'true',
  },
} satisfies Record<string, EnvVar<unknown>>;
