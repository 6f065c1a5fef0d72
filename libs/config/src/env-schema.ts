import { BlockList, isIP } from 'node:net';

/**
 * The one description of every environment variable Heddle reads. `loadConfig` validates against
 * it and `docs/configuration.md` is generated from it (`npm run config:docs`; a test keeps the two
 * in step), so code, docs and deployment cannot drift.
 */
export interface EnvVar<T> {
  name: string;
  description: string;
  /** Shown in docs; `undefined` means required or optional-without-default (see `required`). */
  default?: string;
  required?: boolean;
  /** Never echoed back in error messages or docs examples. */
  secret?: boolean;
  parse(raw: string): T;
}

/** Thrown by parsers; the message is completed with the variable's name by loadConfig. */
export class EnvValueError extends Error {}

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

export const API_TOKEN_PATTERN = /^hdl_[a-z0-9]{8}_[A-Za-z0-9_-]{32,128}$/;

function url(protocols: string[]) {
  return (raw: string): string => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new EnvValueError(`is not a URL (expected e.g. ${protocols[0]}//host:port/...)`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new EnvValueError(`must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
    }
    return raw;
  };
}

function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new EnvValueError(`must be a whole number (got "${raw}")`);
    const n = Number(raw);
    if (n < min || n > max) throw new EnvValueError(`must be between ${min} and ${max} (got ${n})`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) {
      throw new EnvValueError(`must be one of ${values.join(', ')} (got "${raw}")`);
    }
    return raw as T;
  };
}

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function teamIds(raw: string): string[] | null {
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) return null;
  const bad = ids.filter((id) => !UUID.test(id));
  if (bad.length) throw new EnvValueError(`has entries that are not team ids (UUIDs): ${bad.join(', ')}`);
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxy(raw: string): boolean | number | string[] {
  const value = raw.trim();
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return integer(1, 100)(value);
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => {
    if (PROXY_NAMES.includes(e)) return false;
    const [address, bits, ...rest] = e.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return true;
    return bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (bad.length) {
    throw new EnvValueError(
      `has entries that are neither an address, a CIDR nor one of ${PROXY_NAMES.join(', ')}: ${bad.join(', ')}`,
    );
  }
  return entries;
}

function encryptionKey(raw: string): Buffer {
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== raw.trim().replace(/=+$/, '')) {
    throw new EnvValueError(
      'must be 32 random bytes in base64 (e.g. `node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"`)',
    );
  }
  return key;
}

function bootstrapToken(raw: string): string {
  if (!API_TOKEN_PATTERN.test(raw)) {
    throw new EnvValueError(
      'must look like hdl_<8 lowercase letters or digits>_<32-128 characters of A-Z a-z 0-9 _ ->',
    );
  }
  return raw;
}

/** One outbound-allow entry: a CIDR, a single IP, or a hostname (optionally `*.` wildcard). */
export interface OutboundAllow {
  blockList: BlockList;
  hostnames: string[];
  entries: string[];
}

function outboundAllow(raw: string): OutboundAllow {
  const result: OutboundAllow = { blockList: new BlockList(), hostnames: [], entries: [] };
  const bad: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [address, bits, ...extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (family && extra.length > 0) {
      bad.push(entry); // `10.0.0.0/8/9`
      continue;
    }
    if (family) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) {
        result.blockList.addAddress(address!, type);
      } else {
        const prefix = Number(bits);
        if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
          bad.push(entry);
          continue;
        }
        result.blockList.addSubnet(address!, prefix, type);
      }
    } else if (
      /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry) &&
      // A numeric last label is a malformed IP (`10.0.0.256`, `010.0.0.1`), never a hostname.
      !/(^|\.)\d+$/.test(entry)
    ) {
      result.hostnames.push(entry.toLowerCase());
    } else {
      bad.push(entry);
      continue;
    }
    result.entries.push(entry);
  }
  if (bad.length) throw new EnvValueError(`has entries that are neither CIDR, IP nor hostname: ${bad.join(', ')}`);
  return result;
}

/** The roles of a membership (the same list as ROLES in libs/common, which config cannot import). */
export const MEMBER_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** One entry of OIDC_GROUP_ROLE_MAP: members of `group` get `role` in `team` (a name or id). */
export interface GroupRoleMapping {
  group: string;
  /** A team name or id; `default` (the first team's name) when the entry names none. */
  team: string;
  role: MemberRole;
}

/** `<group>=<role>` or `<group>=<team name or id>:<role>`, comma-separated. */
function groupRoleMap(raw: string): GroupRoleMapping[] {
  const result: GroupRoleMapping[] = [];
  const bad: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const group = eq > 0 ? entry.slice(0, eq).trim() : '';
    const target = eq > 0 ? entry.slice(eq + 1).trim() : '';
    const colon = target.lastIndexOf(':');
    const team = colon >= 0 ? target.slice(0, colon).trim() : 'default';
    const role = colon >= 0 ? target.slice(colon + 1).trim() : target;
    if (!group || !team || !(MEMBER_ROLES as readonly string[]).includes(role)) {
      bad.push(entry);
      continue;
    }
    result.push({ group, team, role: role as MemberRole });
  }
  if (bad.length) {
    throw new EnvValueError(
      `has entries that are not <group>=<role> or <group>=<team>:<role> with a role of ${MEMBER_ROLES.join(', ')}: ${bad.join(', ')}`,
    );
  }
  return result;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** An OIDC issuer: https, or http on a loopback address (a local provider in tests or development). */
function issuerUrl(raw: string): string {
  url(['https:', 'http:'])(raw);
  const parsed = new URL(raw);
  if (parsed.protocol === 'http:' && !LOOPBACK_HOSTS.includes(parsed.hostname)) {
    throw new EnvValueError(
      `must use https: (plain http is accepted only for a provider on a loopback address, got ${parsed.host})`,
    );
  }
  return raw.replace(/\/+$/, '');
}

function flag(raw: string): boolean {
  return oneOf(['true', 'false'] as const)(raw) === 'true';
}

/** A secret typed by an operator: long enough to resist guessing, no whitespace. */
function longSecret(minLength: number) {
  return (raw: string): string => {
    if (raw.length < minLength || /\s/.test(raw)) {
      throw new EnvValueError(
        `must be at least ${minLength} characters without spaces (e.g. \`openssl rand -base64 32\`)`,
      );
    }
    return raw;
  };
}

export const ENV_SCHEMA = {
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
  bootstrapToken: {
    name: 'HEDDLE_BOOTSTRAP_TOKEN',
    description:
      'When set and no team exists, the first start creates the first team with this value as its owner token (every scope, `platform:admin` included). Stored hashed.',
    secret: true,
    parse: bootstrapToken,
  },
  encryptionKey: {
    name: 'HEDDLE_ENCRYPTION_KEY',
    description:
      'Key for secrets at rest (AES-256-GCM): 32 random bytes, base64. `npm run setup` writes one into `.env`; in production set it from a secret store.',
    required: true,
    secret: true,
    parse: encryptionKey,
  },
  outboundAllow: {
    name: 'HEDDLE_OUTBOUND_ALLOW',
    description:
      'Comma-separated CIDRs, IPs or hostnames (`*.example.internal` allowed) that outbound calls to hosts, webhooks and sinks may reach although they are private or loopback. Metadata and link-local addresses are never allowed.',
    default: '',
    parse: outboundAllow,
  },
  publicUrl: {
    name: 'HEDDLE_PUBLIC_URL',
    description:
      'URL where people reach this server; used for links in notifications. Default `http://localhost:<PORT>`.',
    parse: url(['http:', 'https:']),
  },
  hostProbeIntervalMs: {
    name: 'HOST_PROBE_INTERVAL_MS',
    description: 'How often the `host-health` consumer probes every enabled host.',
    default: '30000',
    parse: integer(1000, 3_600_000),
  },
  hostProbeTimeoutMs: {
    name: 'HOST_PROBE_TIMEOUT_MS',
    description: 'A probe that takes longer fails.',
    default: '5000',
    parse: integer(100, 60_000),
  },
  hostDegradedLatencyMs: {
    name: 'HOST_DEGRADED_LATENCY_MS',
    description: 'A host that answers slower than this is `degraded`, not `online`.',
    default: '2000',
    parse: integer(1, 60_000),
  },
  hostOfflineAfterFailures: {
    name: 'HOST_OFFLINE_AFTER_FAILURES',
    description:
      'Consecutive failed probes before a host is `offline` (fewer make it `degraded`), so one lost probe does not flap it.',
    default: '3',
    parse: integer(1, 100),
  },
  hostProbeConcurrency: {
    name: 'HOST_PROBE_CONCURRENCY',
    description: 'Probes one worker runs at once.',
    default: '16',
    parse: integer(1, 1000),
  },
  harnessPollMs: {
    name: 'HARNESS_POLL_MS',
    description:
      'How often the `harness` consumer looks at each running task (session status, messages, budgets) when no event from its host arrives first. It is also the unit of stale-busy observations (team settings).',
    default: '2000',
    parse: integer(100, 60_000),
  },
  harnessWatchedPollMs: {
    name: 'HARNESS_WATCHED_POLL_MS',
    description:
      "How often the `harness` consumer looks at a busy task whose host's event stream is open: the stream wakes the task when its session reports something, so this look is only the fallback. Looks still come when a stale-busy report, a mid-turn check or the wall-clock budget falls due. Never more often than HARNESS_POLL_MS.",
    default: '15000',
    parse: integer(100, 600_000),
  },
  harnessConcurrency: {
    name: 'HARNESS_CONCURRENCY',
    description: 'Task steps one worker runs at once (each step is a few calls to a host and to Postgres).',
    default: '16',
    parse: integer(1, 1000),
  },
  harnessHostWaitSeconds: {
    name: 'HARNESS_HOST_WAIT_SECONDS',
    description:
      'How long a queued task waits for a suitable host (retrying with backoff) before it fails with `host.unavailable`.',
    default: '600',
    parse: integer(1, 7 * 24 * 3600),
  },
  harnessHostLostSeconds: {
    name: 'HARNESS_HOST_LOST_SECONDS',
    description:
      'How long a running task may fail to reach its host before the host counts as lost (at once when the registry already marks it offline): the task is dispatched again to another matching host with a fresh session (the turn in flight recorded `lost`); a task bound to a session on that host fails `host.lost`.',
    default: '300',
    parse: integer(1, 24 * 3600),
  },
  harnessHostLostWaitSeconds: {
    name: 'HARNESS_HOST_LOST_WAIT_SECONDS',
    description:
      'How long a task whose host was lost waits for another matching host (or its named host to come back) before it fails with `host.lost`.',
    default: '600',
    parse: integer(1, 7 * 24 * 3600),
  },
  harnessTurnStartGraceMs: {
    name: 'HARNESS_TURN_START_GRACE_MS',
    description:
      'After a prompt is sent, how long an idle session with no answer counts as "not started yet" rather than a turn that ended without a reply (`agent.error`).',
    default: '15000',
    parse: integer(100, 600_000),
  },
  harnessCallTimeoutMs: {
    name: 'HARNESS_CALL_TIMEOUT_MS',
    description: 'Timeout of each call the harness makes to an OpenCode host (command checks have their own).',
    default: '15000',
    parse: integer(100, 600_000),
  },
  harnessSweepMs: {
    name: 'HARNESS_SWEEP_MS',
    description:
      'How often the `harness` consumer looks for active tasks whose next step is overdue (its job was lost, e.g. Redis was flushed or a worker died) and enqueues them again.',
    default: '15000',
    parse: integer(1000, 3_600_000),
  },
  harnessLeaseSeconds: {
    name: 'HARNESS_LEASE_SECONDS',
    description:
      'A task step holds a lease on its task (renewed while it runs); a worker that dies leaves the task to others after this long.',
    default: '60',
    parse: integer(5, 3600),
  },
  permissionsReconcileMs: {
    name: 'PERMISSIONS_RECONCILE_MS',
    description:
      'How often the `harness` consumer lists the pending permission requests and questions (`GET /permission`, `GET /question`) of every (host, workspace) it watches, and of those with requests still pending: a dropped event stream or a restart loses none, and requests gone from the host are marked `expired`. A stream that reconnects is listed again at once.',
    default: '10000',
    parse: integer(200, 600_000),
  },
  checkEvidenceMaxBytes: {
    name: 'CHECK_EVIDENCE_MAX_BYTES',
    description:
      'Largest excerpt (UTF-8 bytes) a check stores as evidence and quotes in the next prompt: file heads, matched lines and texts, open checklist items, command output tails, JSON parse and schema error texts. 0 stores no file content or command output at all. Check results are kept in Postgres and sent in events, webhooks and notifications.',
    default: '1024',
    parse: integer(0, 65_536),
  },
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
  bodyLimitBytes: {
    name: 'HTTP_BODY_LIMIT_BYTES',
    description: 'Largest accepted request body; larger ones answer 413.',
    default: '1048576',
    parse: integer(1024, 100 * 1024 * 1024),
  },
  workerTeams: {
    name: 'WORKER_TEAMS',
    description:
      "Team ids (comma-separated) whose background work this process does — harness steps and sweeps, host probes and event streams, the outbox relay and deliveries; empty (the default) means every team. For workers dedicated to some teams' hosts (isolation), and for tests that run a worker process beside others on one database.",
    default: '',
    parse: teamIds,
  },
  trustProxy: {
    name: 'TRUST_PROXY',
    description:
      'Which peers may name the client in `X-Forwarded-For` (the address per-IP rate limits count and logs show): `true` (any — only when every request comes through your proxy), `false` (none), a number of proxy hops, or a comma-separated list of addresses, CIDRs and the names `loopback`, `linklocal`, `uniquelocal` (private ranges, where ingress controllers and load balancers usually are).',
    default: 'loopback,linklocal,uniquelocal',
    parse: trustProxy,
  },
  bodyMaxDepth: {
    name: 'HTTP_BODY_MAX_DEPTH',
    description:
      'Deepest nesting of objects and arrays a JSON body may have; deeper ones answer 400 `request/too_complex` before validation.',
    default: '32',
    parse: integer(4, 256),
  },
  bodyMaxFields: {
    name: 'HTTP_BODY_MAX_FIELDS',
    description:
      'Most object keys and array items a JSON body may hold in all; more answer 400 `request/too_complex` before validation (its cost grows with them).',
    default: '10000',
    parse: integer(100, 1_000_000),
  },
  tokenCacheMs: {
    name: 'TOKEN_CACHE_MS',
    description:
      'How long a verified token is trusted without asking Postgres; also the longest a revocation can take to reach another replica.',
    default: '1000',
    parse: integer(0, 1000),
  },
  sseHeartbeatMs: {
    name: 'SSE_HEARTBEAT_MS',
    description:
      'How often an open event stream (`GET /api/events/stream`) sends a `: heartbeat` comment, so proxies and load balancers do not close it as idle. Keep it below their idle timeout.',
    default: '15000',
    parse: integer(10, 300_000),
  },
  sseMaxStreamsPerToken: {
    name: 'SSE_MAX_STREAMS_PER_TOKEN',
    description:
      'Event streams (`GET /api/events/stream`, `GET /api/tasks/{id}/events`) one token may hold open at once on one API process; one more answers 429 `request/rate_limited`. Counted per process: with N replicas behind a balancer a token may hold up to N times this. 0: no cap.',
    default: '20',
    parse: integer(0, 100_000),
  },
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
  oidcIssuerUrl: {
    name: 'OIDC_ISSUER_URL',
    description:
      "OpenID Connect issuer people log in with (discovery at `<issuer>/.well-known/openid-configuration`), e.g. `https://keycloak.example.com/realms/heddle`, `https://accounts.google.com`, `https://login.microsoftonline.com/<tenant>/v2.0`. Register `<HEDDLE_PUBLIC_URL>/auth/callback` as the client's redirect URI. Unset: login is off (`/auth/login` answers 501) and only API tokens work. https only (http for a loopback provider). See docs/auth.md.",
    parse: issuerUrl,
  },
  oidcClientId: {
    name: 'OIDC_CLIENT_ID',
    description: 'Client id of Heddle at the OIDC provider (required with OIDC_ISSUER_URL).',
    parse: (raw: string): string => {
      if (!/^\S{1,255}$/.test(raw)) throw new EnvValueError('must be 1-255 characters without spaces');
      return raw;
    },
  },
  oidcClientSecret: {
    name: 'OIDC_CLIENT_SECRET',
    description:
      'Client secret of a confidential client (sent with `client_secret_post`). Unset: a public client (PKCE only).',
    secret: true,
    parse: (raw: string): string => {
      if (!/^\S{1,1024}$/.test(raw)) throw new EnvValueError('must be 1-1024 characters without spaces');
      return raw;
    },
  },
  oidcScopes: {
    name: 'OIDC_SCOPES',
    description:
      'Scopes asked of the provider at login, space-separated; must include `openid`. Add the scope that releases the groups claim when OIDC_GROUP_ROLE_MAP is used, if your provider needs one.',
    default: 'openid email profile',
    parse: (raw: string): string => {
      const scopes = raw.split(/\s+/).filter(Boolean);
      if (!scopes.includes('openid')) throw new EnvValueError(`must include openid (got "${raw}")`);
      return scopes.join(' ');
    },
  },
  oidcGroupsClaim: {
    name: 'OIDC_GROUPS_CLAIM',
    description:
      'Claim (ID token, else userinfo) holding the list of groups OIDC_GROUP_ROLE_MAP matches, e.g. `groups` (Keycloak with a group mapper, Entra) or `roles`.',
    default: 'groups',
    parse: (raw: string): string => {
      if (!/^[A-Za-z0-9_:./-]{1,200}$/.test(raw))
        throw new EnvValueError('must be a claim name (letters, digits, _ : . / -)');
      return raw;
    },
  },
  oidcGroupRoleMap: {
    name: 'OIDC_GROUP_ROLE_MAP',
    description:
      'Team roles from IdP groups, kept in step at each login: comma-separated `<group>=<role>` (in the team named `default`, the first team) or `<group>=<team name or id>:<role>`, e.g. `heddle-admins=admin,heddle-devs=platform:member`. A person gets the strongest role their groups map to; a membership that came from a group goes when they leave every mapped group. Empty: memberships come from invites only.',
    default: '',
    parse: groupRoleMap,
  },
  sessionSecret: {
    name: 'SESSION_SECRET',
    description:
      'Key that signs the login cookie and derives CSRF tokens (HMAC-SHA256), at least 32 characters. Unset: derived from HEDDLE_ENCRYPTION_KEY (HKDF), so it changes when that key does. Changing it logs every person out.',
    secret: true,
    parse: longSecret(32),
  },
  sessionTtlSeconds: {
    name: 'SESSION_TTL_SECONDS',
    description:
      'How long a login lasts (the session row and the cookie expire together); logout, and removal from a team, end it sooner.',
    default: '43200',
    parse: integer(300, 30 * 24 * 3600),
  },
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

export type EnvSchema = typeof ENV_SCHEMA;
