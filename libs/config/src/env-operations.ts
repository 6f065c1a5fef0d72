// Environment variables: running the processes in production (shutdown, API docs, metrics).
import { EnvVar, flag, integer, longSecret } from './env-parsers';

/** Graceful shutdown, the served API docs and who may scrape `/metrics`. */
export const OPERATIONS_ENV = {
  shutdownTimeoutMs: {
    name: 'SHUTDOWN_TIMEOUT_MS',
    description:
      "On SIGTERM, how long to let in-flight requests and jobs finish before exiting anyway. The default covers a harness step against a slow host (three calls at `HARNESS_CALL_TIMEOUT_MS`); jobs still running shortly before it (5 s, or a fifth of it when shorter) are let go: each harness step gives its task back at once, due now, instead of holding its lease for `HARNESS_LEASE_SECONDS`. Keep orchestrators' grace period (Kubernetes `terminationGracePeriodSeconds`) above it.",
    default: '45000',
    parse: integer(0, 600000),
  },
  docsEnabled: {
    name: 'DOCS_ENABLED',
    description:
      'Serve Swagger UI at `/docs` and the OpenAPI document at `/docs/openapi.json`. `false` answers 404 there (the committed `docs/openapi.json` still describes the API).',
    default: 'true',
    parse: flag,
  },
  metricsToken: {
    name: 'METRICS_TOKEN',
    description:
      'When set, `/metrics` (API and worker) answers only requests with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise); give the same value to your Prometheus scrape config. Unset: `/metrics` is open to anyone who can reach the port. At least 16 characters.',
    secret: true,
    parse: longSecret(16),
  },
} satisfies Record<string, EnvVar<unknown>>;
