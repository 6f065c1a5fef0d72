// Environment variables: getting events out (outbox relay, webhook and sink deliveries, file sinks).
import { EnvValueError, EnvVar, integer } from './env-parsers';

/** The outbox relay and the deliveries to webhook endpoints and sinks. */
export const DELIVERY_ENV = {
  outboxPollMs: {
    name: 'OUTBOX_POLL_MS',
    description:
      'The `outbox` relay turns committed events into deliveries as soon as Postgres announces them (LISTEN/NOTIFY); it also looks this often in case an announcement was lost.',
    default: '1000',
    parse: integer(50, 60_000),
  },
  deliverySweepMs: {
    name: 'DELIVERY_SWEEP_MS',
    description:
      'How often the `outbox` consumer re-enqueues pending deliveries whose attempt is overdue (their job was lost, e.g. Redis was flushed).',
    default: '10000',
    parse: integer(1000, 3_600_000),
  },
  webhookTimeoutMs: {
    name: 'WEBHOOK_TIMEOUT_MS',
    description:
      'A webhook or sink receiver that has not answered within this long counts as a failed attempt (retried).',
    default: '10000',
    parse: integer(100, 120_000),
  },
  webhookDisableAfterSeconds: {
    name: 'WEBHOOK_DISABLE_AFTER_SECONDS',
    description:
      'A webhook endpoint or sink whose every attempt has failed for this long is disabled (`WEBHOOK_DISABLED` / `SINK_DISABLED`).',
    default: '432000',
    parse: integer(1, 90 * 24 * 3600),
  },
  webhookConcurrency: {
    name: 'WEBHOOK_CONCURRENCY',
    description: 'Delivery attempts one `webhooks` (or `notify`) worker makes at once.',
    default: '32',
    parse: integer(1, 1000),
  },
  webhookEndpointConcurrency: {
    name: 'WEBHOOK_ENDPOINT_CONCURRENCY',
    description:
      'Attempts to one endpoint or sink one worker makes at once, so one slow receiver cannot take every slot; further attempts wait their turn.',
    default: '4',
    parse: integer(1, 1000),
  },
  fileSinkRoot: {
    name: 'HEDDLE_FILE_SINK_ROOT',
    description:
      'Directory under which file sinks write (each team in its own subdirectory). Unset: file sinks cannot be created.',
    parse: (raw: string): string => {
      if (!raw.startsWith('/')) throw new EnvValueError(`must be an absolute path (got "${raw}")`);
      return raw.replace(/\/+$/, '') || '/';
    },
  },
} satisfies Record<string, EnvVar<unknown>>;
