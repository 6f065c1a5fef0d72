import { AUTH_ENV } from './env-auth';
import { DELIVERY_ENV } from './env-delivery';
import { HARNESS_ENV } from './env-harness';
import { HOSTS_ENV } from './env-hosts';
import { HTTP_ENV } from './env-http';
import { INBOX_ENV } from './env-inbox';
import { INSTALL_ENV } from './env-install';
import { OPERATIONS_ENV } from './env-operations';
import type { EnvVar } from './env-parsers';
import { RATE_LIMIT_ENV } from './env-rate-limits';
import { SERVER_ENV } from './env-server';

export { EnvValueError } from './env-parsers';
export type { EnvVar } from './env-parsers';
export { LOG_LEVELS, WORKER_CONSUMER_NAMES } from './env-server';
export type { LogLevel, WorkerConsumerName } from './env-server';
export { API_TOKEN_PATTERN } from './env-install';
export type { OutboundAllow } from './env-install';
export { MEMBER_ROLES } from './env-auth';
export type { GroupRoleMapping, MemberRole } from './env-auth';

/**
 * The one description of every environment variable Heddle reads. `loadConfig` validates against
 * it and `docs/configuration.md` is generated from it (`npm run config:docs`; a test keeps the two
 * in step), so code, docs and deployment cannot drift.
 *
 * Each area keeps its variables in its own env-*.ts table; this is where they are put together.
 * The order of the spreads is the order of the generated docs (and of the problems `loadConfig`
 * reports), so a new area goes where its rows should appear.
 */
export const ENV_SCHEMA = {
  ...SERVER_ENV,
  ...INSTALL_ENV,
  ...HOSTS_ENV,
  ...HARNESS_ENV,
  ...DELIVERY_ENV,
  ...HTTP_ENV,
  ...RATE_LIMIT_ENV,
  ...OPERATIONS_ENV,
  ...AUTH_ENV,
  ...INBOX_ENV,
} satisfies Record<string, EnvVar<unknown>>;

export type EnvSchema = typeof ENV_SCHEMA;
