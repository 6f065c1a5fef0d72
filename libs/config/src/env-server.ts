// Environment variables: the processes themselves (storage, listening, logging, queues, worker roles).
import { EnvValueError, EnvVar, integer, oneOf, url } from './env-parsers';

export const WORKER_CONSUMER_NAMES = [
  'maintenance',
  'host-health',
  'harness',
  'outbox',
  'webhooks',
  'notify',
  'inbox',
] as const;
export type WorkerConsumerName = (typeof WORKER_CONSUMER_NAMES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function consumers(raw: string): WorkerConsumerName[] {
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0 || (names.length === 1 && names[0] === 'all')) return [...WORKER_CONSUMER_NAMES];
  const unknown = names.filter((n) => !(WORKER_CONSUMER_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new EnvValueError(
      `names unknown consumer(s) ${unknown.join(', ')}; known: ${WORKER_CONSUMER_NAMES.join(', ')} (or "all")`,
    );
  }
  return [...new Set(names)] as WorkerConsumerName[];
}

/** Where the data lives, where the API and worker listen, how they log and which queues a worker consumes. */
export const SERVER_ENV = {
  databaseUrl: {
    name: 'DATABASE_URL',
    description: 'Postgres connection string (the source of truth).',
    default: 'postgresql://postgres@127.0.0.1:5432/heddle',
    secret: true,
    parse: url(['postgresql:', 'postgres:']),
  },
  redisUrl: {
    name: 'REDIS_URL',
    description: 'Redis connection string for queues and caches (holds no fact Postgres lacks).',
    default: 'redis://127.0.0.1:6379',
    secret: true,
    parse: url(['redis:', 'rediss:']),
  },
  port: {
    name: 'PORT',
    description: 'HTTP port of the API.',
    default: '8080',
    parse: integer(1, 65535),
  },
  host: {
    name: 'HOST',
    description: 'Address the API listens on.',
    default: '0.0.0.0',
    parse: (raw: string) => raw,
  },
  workerHealthPort: {
    name: 'WORKER_HEALTH_PORT',
    description:
      "Port of the worker-only process's `/healthz` and `/readyz` (not used by `npm start`, where the API serves them).",
    default: '8081',
    parse: integer(1, 65535),
  },
  logLevel: {
    name: 'LOG_LEVEL',
    description: `Log level: ${LOG_LEVELS.join(', ')}.`,
    default: 'info',
    parse: oneOf(LOG_LEVELS),
  },
  queuePrefix: {
    name: 'QUEUE_PREFIX',
    description: 'Prefix of every BullMQ key in Redis, so several installs (or test runs) can share one Redis.',
    default: 'heddle',
    parse: (raw: string) => {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new EnvValueError('must be 1-64 letters, digits, _ or -');
      return raw;
    },
  },
  workerConsumers: {
    name: 'WORKER_CONSUMERS',
    description: `Comma-separated worker consumers this process runs: ${WORKER_CONSUMER_NAMES.join(', ')}, or \`all\`. An unknown name stops the start.`,
    default: 'all',
    parse: consumers,
  },
} satisfies Record<string, EnvVar<unknown>>;
