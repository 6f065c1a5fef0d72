// Environment variables: request rate limits (the `RATE_LIMIT_*` classes).
import { EnvVar, integer, oneOf } from './env-parsers';

/** The switch, the window and the per-class limits of request rate limiting. */
export const RATE_LIMIT_ENV = {
  rateLimitEnabled: {
    name: 'RATE_LIMIT_ENABLED',
    description:
      'Request rate limits (the `RATE_LIMIT_*` classes below): `false` turns every class off, e.g. for benchmarks. Over a limit a request answers 429 `request/rate_limited` with `Retry-After`.',
    default: 'true',
    parse: (raw: string): boolean => oneOf(['true', 'false'] as const)(raw) === 'true',
  },
  rateLimitWindowMs: {
    name: 'RATE_LIMIT_WINDOW_MS',
    description:
      'The window every rate limit counts in. Counters live in Redis (shared by all replicas); while Redis is unreachable each process counts on its own, so no request waits for it.',
    default: '60000',
    parse: integer(1000, 3_600_000),
  },
  rateLimitReads: {
    name: 'RATE_LIMIT_READS',
    description: 'Reads (`GET`, `HEAD`) one token may make per window, all routes together. 0: unlimited.',
    default: '6000',
    parse: integer(0, 100_000_000),
  },
  rateLimitWrites: {
    name: 'RATE_LIMIT_WRITES',
    description:
      'Writes (`POST`, `PATCH`, `PUT`, `DELETE`) one token may make per window, all routes together. 0: unlimited.',
    default: '1200',
    parse: integer(0, 100_000_000),
  },
  rateLimitAnonymous: {
    name: 'RATE_LIMIT_ANONYMOUS',
    description:
      'Requests to routes without a token (`/metrics`; never the `/healthz` and `/readyz` probes) one client address may make per window. 0: unlimited.',
    default: '600',
    parse: integer(0, 100_000_000),
  },
  rateLimitAuthFailures: {
    name: 'RATE_LIMIT_AUTH_FAILURES',
    description:
      'Failed authentications (missing, malformed, unknown, revoked or expired token) one client address may cause per window; beyond it they answer 429 instead of 401. The address is the one Fastify reports behind trusted proxies (`X-Forwarded-For`). 0: unlimited.',
    default: '300',
    parse: integer(0, 100_000_000),
  },
} satisfies Record<string, EnvVar<unknown>>;
