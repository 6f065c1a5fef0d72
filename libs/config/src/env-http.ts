// Environment variables: the API's HTTP edge (request bodies, proxies, token cache, event streams).
import { isIP } from 'node:net';
import { EnvValueError, EnvVar, integer } from './env-parsers';

/** Team ids of WORKER_TEAMS. */
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

/**
 * What the API accepts and whom it believes: body limits, trusted proxies, the token cache, event
 * streams. WORKER_TEAMS is a worker setting; it sits here only because docs/configuration.md has
 * always listed it between HTTP_BODY_LIMIT_BYTES and TRUST_PROXY (the table order is the docs order).
 */
export const HTTP_ENV = {
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
} satisfies Record<string, EnvVar<unknown>>;
