import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './app-config';
import { ENV_SCHEMA, WORKER_CONSUMER_NAMES } from './env-schema';

const KEY = randomBytes(32).toString('base64');

/** The smallest valid environment: only the one required variable. */
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HEDDLE_ENCRYPTION_KEY: KEY, ...extra });

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw). */
function configError(values: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(values);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(values)}`);
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('refuses an empty environment, naming only the required HEDDLE_ENCRYPTION_KEY', () => {
      const err = configError({});

      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatch(/^HEDDLE_ENCRYPTION_KEY is required/);
      expect(err.message).toContain('1 problem:');
      expect(err.message).toContain('docs/configuration.md');
    });

    it('fills every other variable with its default', () => {
      const config = loadConfig(env());

      expect({ ...config, encryptionKey: undefined, outboundAllow: undefined }).toEqual({
        databaseUrl: 'postgresql://postgres@127.0.0.1:5432/heddle',
        redisUrl: 'redis://127.0.0.1:6379',
        port: 8080,
        host: '0.0.0.0',
        workerHealthPort: 8081,
        logLevel: 'info',
        queuePrefix: 'heddle',
        workerConsumers: [...WORKER_CONSUMER_NAMES],
        encryptionKey: undefined,
        outboundAllow: undefined,
        publicUrl: 'http://localhost:8080',
        bodyLimitBytes: 1048576,
        trustProxy: ['loopback', 'linklocal', 'uniquelocal'],
        workerTeams: null,
        bodyMaxDepth: 32,
        bodyMaxFields: 10000,
        tokenCacheMs: 1000,
        shutdownTimeoutMs: 45000,
        sseHeartbeatMs: 15000,
        sseMaxStreamsPerToken: 20,
        rateLimitEnabled: true,
        rateLimitWindowMs: 60000,
        rateLimitReads: 6000,
        rateLimitWrites: 1200,
        rateLimitAnonymous: 600,
        rateLimitAuthFailures: 300,
        hostProbeIntervalMs: 30000,
        hostProbeTimeoutMs: 5000,
        hostDegradedLatencyMs: 2000,
        hostOfflineAfterFailures: 3,
        hostProbeConcurrency: 16,
        harnessPollMs: 2000,
        harnessConcurrency: 16,
        harnessHostWaitSeconds: 600,
        harnessHostLostSeconds: 300,
        harnessHostLostWaitSeconds: 600,
        harnessWatchedPollMs: 15000,
        harnessTurnStartGraceMs: 15000,
        harnessCallTimeoutMs: 15000,
        harnessSweepMs: 15000,
        harnessLeaseSeconds: 60,
        permissionsReconcileMs: 10000,
        checkEvidenceMaxBytes: 1024,
        outboxPollMs: 1000,
        deliverySweepMs: 10000,
        webhookTimeoutMs: 10000,
        webhookDisableAfterSeconds: 432000,
        webhookConcurrency: 32,
        webhookEndpointConcurrency: 4,
        docsEnabled: true,
        oidcScopes: 'openid email profile',
        oidcGroupsClaim: 'groups',
        oidcGroupRoleMap: [],
        sessionTtlSeconds: 43200,
        inboxPollMs: 5000,
        inboxStaleMs: 60000,
        inboxStatusFiles: true,
      });
      expect(config.bootstrapToken).toBeUndefined();
      expect(config.encryptionKey).toEqual(Buffer.from(KEY, 'base64'));
      expect(config.outboundAllow.entries).toEqual([]);
      expect(config.outboundAllow.hostnames).toEqual([]);
      expect(Object.isFrozen(config)).toBe(true);
    });

    it('treats empty and blank values as unset', () => {
      const config = loadConfig(env({ PORT: '', LOG_LEVEL: '   ', HEDDLE_BOOTSTRAP_TOKEN: '' }));
      expect(config.port).toBe(8080);
      expect(config.logLevel).toBe('info');
      expect(config.bootstrapToken).toBeUndefined();

      expect(configError({ HEDDLE_ENCRYPTION_KEY: '  ' }).problems).toEqual([
        expect.stringMatching(/^HEDDLE_ENCRYPTION_KEY is required/),
      ]);
    });

    it('trims surrounding whitespace before parsing', () => {
      expect(loadConfig(env({ PORT: ' 9000 ', LOG_LEVEL: 'debug\n' }))).toMatchObject({
        port: 9000,
        logLevel: 'debug',
      });
    });

    it('accepts good values of every validated variable', () => {
      const token = `hdl_abcd1234_${'x_Y-9'.repeat(8)}`;
      const config = loadConfig(
        env({
          DATABASE_URL: 'postgres://u:p@db:5432/h',
          REDIS_URL: 'rediss://cache:6380',
          PORT: '1',
          WORKER_HEALTH_PORT: '65535',
          LOG_LEVEL: 'silent',
          QUEUE_PREFIX: 'a_B-1',
          WORKER_CONSUMERS: 'maintenance',
          HEDDLE_BOOTSTRAP_TOKEN: token,
          HEDDLE_PUBLIC_URL: 'https://heddle.example.com/base',
          HTTP_BODY_LIMIT_BYTES: '1024',
          TOKEN_CACHE_MS: '0',
          SHUTDOWN_TIMEOUT_MS: '600000',
        }),
      );
      expect(config).toMatchObject({
        databaseUrl: 'postgres://u:p@db:5432/h',
        redisUrl: 'rediss://cache:6380',
        port: 1,
        workerHealthPort: 65535,
        logLevel: 'silent',
        queuePrefix: 'a_B-1',
        workerConsumers: ['maintenance'],
        bootstrapToken: token,
        publicUrl: 'https://heddle.example.com/base',
        bodyLimitBytes: 1024,
        tokenCacheMs: 0,
        shutdownTimeoutMs: 600000,
      });
    });
  });

  describe('bad values', () => {
    // One bad value per validated variable, with the part of the message that explains it.
    // HOST is free text (any address or name the OS accepts), so it has no bad value.
    const cases: Array<[name: string, value: string, reason: RegExp]> = [
      ['DATABASE_URL', 'not a url', /is not a URL/],
      ['DATABASE_URL', 'mysql://db/heddle', /must use postgresql: or postgres: \(got mysql:\)/],
      ['REDIS_URL', 'localhost:6379', /must use redis: or rediss:/],
      ['REDIS_URL', '::nonsense', /is not a URL/],
      ['PORT', 'eighty', /must be a whole number \(got "eighty"\)/],
      ['PORT', '0', /must be between 1 and 65535 \(got 0\)/],
      ['PORT', '65536', /must be between 1 and 65535/],
      ['PORT', '-1', /must be a whole number/],
      ['PORT', '80.5', /must be a whole number/],
      ['WORKER_HEALTH_PORT', '70000', /must be between 1 and 65535/],
      ['LOG_LEVEL', 'verbose', /must be one of fatal, error, warn, info, debug, trace, silent \(got "verbose"\)/],
      ['QUEUE_PREFIX', 'has space', /must be 1-64 letters, digits, _ or -/],
      ['HOST_PROBE_INTERVAL_MS', '999', /must be between 1000 and 3600000/],
      ['HOST_PROBE_TIMEOUT_MS', 'soon', /must be a whole number/],
      ['HOST_DEGRADED_LATENCY_MS', '0', /must be between 1 and 60000/],
      ['HOST_OFFLINE_AFTER_FAILURES', '101', /must be between 1 and 100/],
      ['HOST_PROBE_CONCURRENCY', '0', /must be between 1 and 1000/],
      ['QUEUE_PREFIX', 'x'.repeat(65), /must be 1-64/],
      ['WORKER_CONSUMERS', 'nope', /unknown consumer\(s\) nope/],
      ['HEDDLE_BOOTSTRAP_TOKEN', 'hdl_short_secret', /must look like hdl_/],
      ['HEDDLE_ENCRYPTION_KEY', randomBytes(16).toString('base64'), /must be 32 random bytes in base64/],
      ['HEDDLE_ENCRYPTION_KEY', `${KEY.slice(0, -4)}!!!!`, /must be 32 random bytes in base64/],
      ['HEDDLE_OUTBOUND_ALLOW', '10.0.0.0/33', /neither CIDR, IP nor hostname: 10\.0\.0\.0\/33/],
      ['HEDDLE_PUBLIC_URL', 'ftp://files.example.com', /must use http: or https: \(got ftp:\)/],
      ['HEDDLE_PUBLIC_URL', 'heddle.example.com', /is not a URL/],
      ['HTTP_BODY_LIMIT_BYTES', '1023', /must be between 1024 and 104857600/],
      ['HTTP_BODY_MAX_DEPTH', '3', /must be between 4 and 256/],
      ['WORKER_TEAMS', '0195f3c2-7a1b-7c3d-8e4f-0123456789ab,team-a', /not team ids \(UUIDs\): team-a/],
      ['TRUST_PROXY', '10.0.0.0/8,proxy.example.com', /neither an address, a CIDR nor one of .*: proxy\.example\.com/],
      ['HTTP_BODY_MAX_FIELDS', '99', /must be between 100 and 1000000/],
      ['TOKEN_CACHE_MS', '1001', /must be between 0 and 1000/],
      ['SHUTDOWN_TIMEOUT_MS', '1e3', /must be a whole number/],
      ['SSE_HEARTBEAT_MS', '9', /must be between 10 and 300000/],
      ['SSE_MAX_STREAMS_PER_TOKEN', '-1', /must be a whole number/],
      ['RATE_LIMIT_ENABLED', 'no', /must be one of true, false \(got "no"\)/],
      ['RATE_LIMIT_WINDOW_MS', '999', /must be between 1000 and 3600000/],
      ['RATE_LIMIT_READS', 'many', /must be a whole number/],
      ['RATE_LIMIT_WRITES', '100000001', /must be between 0 and 100000000/],
      ['RATE_LIMIT_ANONYMOUS', '1.5', /must be a whole number/],
      ['RATE_LIMIT_AUTH_FAILURES', '-3', /must be a whole number/],
      ['HARNESS_POLL_MS', '99', /must be between 100 and 60000/],
      ['HARNESS_CONCURRENCY', '0', /must be between 1 and 1000/],
      ['HARNESS_HOST_WAIT_SECONDS', 'ten', /must be a whole number/],
      ['HARNESS_HOST_LOST_SECONDS', '0', /must be between 1 and 86400/],
      ['HARNESS_HOST_LOST_WAIT_SECONDS', 'soon', /must be a whole number/],
      ['HARNESS_WATCHED_POLL_MS', '99', /must be between 100 and 600000/],
      ['HARNESS_TURN_START_GRACE_MS', '99', /must be between 100 and 600000/],
      ['HARNESS_CALL_TIMEOUT_MS', '600001', /must be between 100 and 600000/],
      ['HARNESS_SWEEP_MS', '999', /must be between 1000 and 3600000/],
      ['HARNESS_LEASE_SECONDS', '4', /must be between 5 and 3600/],
      ['PERMISSIONS_RECONCILE_MS', '199', /must be between 200 and 600000/],
      ['CHECK_EVIDENCE_MAX_BYTES', '65537', /must be between 0 and 65536/],
      ['OUTBOX_POLL_MS', '49', /must be between 50 and 60000/],
      ['DELIVERY_SWEEP_MS', '999', /must be between 1000 and 3600000/],
      ['WEBHOOK_TIMEOUT_MS', '99', /must be between 100 and 120000/],
      ['WEBHOOK_DISABLE_AFTER_SECONDS', '0', /must be between 1 and 7776000/],
      ['WEBHOOK_CONCURRENCY', '0', /must be between 1 and 1000/],
      ['WEBHOOK_ENDPOINT_CONCURRENCY', 'x', /must be a whole number/],
      ['HEDDLE_FILE_SINK_ROOT', 'relative/dir', /must be an absolute path/],
      ['DOCS_ENABLED', 'off', /must be one of true, false \(got "off"\)/],
      ['METRICS_TOKEN', 'short', /must be at least 16 characters without spaces/],
      [
        'OIDC_ISSUER_URL',
        'http://idp.example.com/realms/x',
        /must use https: \(plain http is accepted only for a provider on a loopback address/,
      ],
      ['OIDC_ISSUER_URL', 'idp.example.com', /is not a URL/],
      ['OIDC_CLIENT_ID', 'has space', /must be 1-255 characters without spaces/],
      ['OIDC_CLIENT_SECRET', 'two words', /must be 1-1024 characters without spaces/],
      ['OIDC_SCOPES', 'email profile', /must include openid/],
      ['OIDC_GROUPS_CLAIM', 'groups claim', /must be a claim name/],
      [
        'OIDC_GROUP_ROLE_MAP',
        'devs=member,ops=superuser',
        /not <group>=<role> or <group>=<team>:<role> .*: ops=superuser/,
      ],
      ['SESSION_SECRET', 'too-short', /must be at least 32 characters without spaces/],
      ['SESSION_TTL_SECONDS', '299', /must be between 300 and 2592000/],
      ['INBOX_DIR', 'relative/inbox', /must be an absolute path/],
      ['INBOX_POLL_MS', '50', /must be between 100 and 3600000/],
      ['INBOX_STALE_MS', 'soon', /must be a whole number/],
      ['INBOX_STATUS_FILES', 'no', /must be one of true, false \(got "no"\)/],
    ];

    it.each(cases)('reports %s=%j', (name, value, reason) => {
      const base = name === 'HEDDLE_ENCRYPTION_KEY' ? {} : env();
      const err = configError({ ...base, [name]: value });

      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]!.startsWith(`${name} `)).toBe(true);
      expect(err.problems[0]).toMatch(reason);
      expect(err.message).toContain(err.problems[0]);
    });

    it('covers every validated variable of the schema', () => {
      const covered = new Set(cases.map(([name]) => name));
      const validated = Object.values(ENV_SCHEMA)
        .map((spec) => spec.name)
        .filter((name) => name !== 'HOST');
      expect(validated.filter((name) => !covered.has(name))).toEqual([]);
    });

    it('reports several problems together in one message naming each variable', () => {
      const err = configError({
        DATABASE_URL: 'mysql://db',
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        WORKER_CONSUMERS: 'bogus',
        TOKEN_CACHE_MS: '5000',
        // HEDDLE_ENCRYPTION_KEY missing
      });

      expect(err.problems).toHaveLength(6);
      for (const name of [
        'DATABASE_URL',
        'PORT',
        'LOG_LEVEL',
        'WORKER_CONSUMERS',
        'TOKEN_CACHE_MS',
        'HEDDLE_ENCRYPTION_KEY',
      ]) {
        expect(err.message).toContain(`  - ${name} `);
      }
      expect(err.message).toMatch(/^Heddle cannot start: the configuration has 6 problems:\n/);
      expect(err.message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(6);
    });

    it('reports every variable at once when all of them are wrong', () => {
      const firstCasePerVariable = new Map<string, string>();
      for (const [name, value] of cases) if (!firstCasePerVariable.has(name)) firstCasePerVariable.set(name, value);

      const err = configError(Object.fromEntries(firstCasePerVariable));

      expect(err.problems).toHaveLength(firstCasePerVariable.size);
      for (const name of firstCasePerVariable.keys()) expect(err.message).toContain(`  - ${name} `);
    });
  });

  describe('secrets', () => {
    const SENTINEL = 'Sup3rS3cretVALUE';
    const badSecrets: Record<string, string> = {
      DATABASE_URL: `mysql://admin:${SENTINEL}@db/heddle`,
      REDIS_URL: `http://:${SENTINEL}@cache:6379`,
      HEDDLE_BOOTSTRAP_TOKEN: `hdl_ABCDEFGH_${SENTINEL}`,
      HEDDLE_ENCRYPTION_KEY: `${SENTINEL}==`,
      METRICS_TOKEN: `${SENTINEL} x`,
      OIDC_CLIENT_SECRET: `${SENTINEL} x`,
      SESSION_SECRET: `${SENTINEL} x`,
    };

    it('has a bad value below for each variable marked secret', () => {
      const secretNames = Object.values(ENV_SCHEMA)
        .filter((spec) => 'secret' in spec && spec.secret)
        .map((spec) => spec.name)
        .sort();
      expect(Object.keys(badSecrets).sort()).toEqual(secretNames);
    });

    it.each(Object.entries(badSecrets))('never echoes a bad %s', (name, value) => {
      const err = configError({ ...env(), [name]: value });

      expect(err.problems).toEqual([expect.stringMatching(new RegExp(`^${name} `))]);
      expect(err.message).not.toContain(SENTINEL);
      expect(JSON.stringify(err.problems)).not.toContain(SENTINEL);
    });

    it('never echoes a bootstrap token that is almost right', () => {
      const almost = `hdl_abcd1234_${'s'.repeat(20)}${SENTINEL}+`;
      const err = configError(env({ HEDDLE_BOOTSTRAP_TOKEN: almost }));
      expect(err.message).not.toContain(SENTINEL);
      expect(err.message).not.toContain('abcd1234');
    });
  });

  describe('login (OIDC) and the protected routes', () => {
    const oidc = { OIDC_ISSUER_URL: 'https://idp.example.com/realms/heddle/', OIDC_CLIENT_ID: 'heddle' };

    it('turns login on with an issuer and a client id; trailing slashes of the issuer go', () => {
      const config = loadConfig(env({ ...oidc, OIDC_CLIENT_SECRET: 's3cret', OIDC_SCOPES: ' openid  groups ' }));
      expect(config).toMatchObject({
        oidcIssuerUrl: 'https://idp.example.com/realms/heddle',
        oidcClientId: 'heddle',
        oidcClientSecret: 's3cret',
        oidcScopes: 'openid groups',
      });
    });

    it('accepts plain http for a loopback issuer only', () => {
      for (const issuer of ['http://127.0.0.1:9999', 'http://localhost:8080/realms/x', 'http://[::1]:1']) {
        expect(loadConfig(env({ ...oidc, OIDC_ISSUER_URL: issuer })).oidcIssuerUrl).toBe(issuer);
      }
      expect(configError(env({ ...oidc, OIDC_ISSUER_URL: 'http://10.0.0.5' })).problems[0]).toMatch(/must use https:/);
    });

    it('wants OIDC_CLIENT_ID with OIDC_ISSUER_URL, and the issuer with any other OIDC variable', () => {
      expect(configError(env({ OIDC_ISSUER_URL: oidc.OIDC_ISSUER_URL })).problems).toEqual([
        expect.stringMatching(/^OIDC_CLIENT_ID is required with OIDC_ISSUER_URL/),
      ]);
      expect(configError(env({ OIDC_CLIENT_ID: 'heddle', OIDC_GROUP_ROLE_MAP: 'devs=member' })).problems).toEqual([
        'OIDC_CLIENT_ID, OIDC_GROUP_ROLE_MAP are set but OIDC_ISSUER_URL is not: set the issuer to turn login on, or unset them',
      ]);
      // A bad issuer is reported once, for its value.
      expect(configError(env({ ...oidc, OIDC_ISSUER_URL: 'nope' })).problems).toEqual([
        expect.stringMatching(/^OIDC_ISSUER_URL is not a URL/),
      ]);
    });

    it('parses OIDC_GROUP_ROLE_MAP entries with and without a team', () => {
      const config = loadConfig(
        env({ ...oidc, OIDC_GROUP_ROLE_MAP: 'heddle-admins=admin, /devs=platform team:member,x:y=ops:viewer' }),
      );
      expect(config.oidcGroupRoleMap).toEqual([
        { group: 'heddle-admins', team: 'default', role: 'admin' },
        { group: '/devs', team: 'platform team', role: 'member' },
        { group: 'x:y', team: 'ops', role: 'viewer' },
      ]);
      for (const bad of ['=admin', 'devs', 'devs=', 'devs=:admin', 'devs=team:king']) {
        expect(configError(env({ ...oidc, OIDC_GROUP_ROLE_MAP: bad })).problems).toHaveLength(1);
      }
    });

    it('reads DOCS_ENABLED, METRICS_TOKEN, SESSION_SECRET and SESSION_TTL_SECONDS', () => {
      const config = loadConfig(
        env({
          DOCS_ENABLED: 'false',
          METRICS_TOKEN: 'scrape-me-please-0123',
          SESSION_SECRET: 'x'.repeat(32),
          SESSION_TTL_SECONDS: '3600',
        }),
      );
      expect(config).toMatchObject({
        docsEnabled: false,
        metricsToken: 'scrape-me-please-0123',
        sessionSecret: 'x'.repeat(32),
        sessionTtlSeconds: 3600,
      });
    });
  });

  describe('WORKER_CONSUMERS', () => {
    it('lists the known names when a name is unknown', () => {
      const err = configError(env({ WORKER_CONSUMERS: 'maintenance, mailer, harnes' }));

      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toContain('unknown consumer(s) mailer, harnes');
      expect(err.problems[0]).toContain(`known: ${WORKER_CONSUMER_NAMES.join(', ')} (or "all")`);
    });

    it('expands `all` to every consumer', () => {
      expect(loadConfig(env({ WORKER_CONSUMERS: 'all' })).workerConsumers).toEqual([...WORKER_CONSUMER_NAMES]);
      expect(loadConfig(env({ WORKER_CONSUMERS: ' , ' })).workerConsumers).toEqual([...WORKER_CONSUMER_NAMES]);
    });

    it('keeps a list without duplicates', () => {
      expect(loadConfig(env({ WORKER_CONSUMERS: 'maintenance, maintenance,' })).workerConsumers).toEqual([
        'maintenance',
      ]);
    });

    it('does not treat `all` inside a list as a wildcard', () => {
      expect(configError(env({ WORKER_CONSUMERS: 'all,maintenance' })).problems[0]).toContain(
        'unknown consumer(s) all',
      );
    });
  });

  describe('HEDDLE_OUTBOUND_ALLOW', () => {
    it('parses CIDRs, single IPs and hostnames', () => {
      const allow = loadConfig(
        env({
          HEDDLE_OUTBOUND_ALLOW: '10.0.0.0/8, 192.168.1.5 ,::1,fd00::/8,*.Example.internal,opencode-1, host.local',
        }),
      ).outboundAllow;

      expect(allow.entries).toEqual([
        '10.0.0.0/8',
        '192.168.1.5',
        '::1',
        'fd00::/8',
        '*.Example.internal',
        'opencode-1',
        'host.local',
      ]);
      expect(allow.hostnames).toEqual(['*.example.internal', 'opencode-1', 'host.local']);
      expect(allow.blockList.check('10.255.0.1', 'ipv4')).toBe(true);
      expect(allow.blockList.check('11.0.0.1', 'ipv4')).toBe(false);
      expect(allow.blockList.check('192.168.1.5', 'ipv4')).toBe(true);
      expect(allow.blockList.check('192.168.1.6', 'ipv4')).toBe(false);
      expect(allow.blockList.check('::1', 'ipv6')).toBe(true);
      expect(allow.blockList.check('fd12::34', 'ipv6')).toBe(true);
      expect(allow.blockList.check('fe80::1', 'ipv6')).toBe(false);
    });

    it('accepts the prefix-length edges /0 and /32, /128', () => {
      const allow = loadConfig(env({ HEDDLE_OUTBOUND_ALLOW: '0.0.0.0/0,1.2.3.4/32,::/128' })).outboundAllow;
      expect(allow.blockList.check('8.8.8.8', 'ipv4')).toBe(true);
      expect(allow.entries).toHaveLength(3);
    });

    it.each([
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/x',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0.0/8/9',
      '10.0.0.256',
      '999.1.1.1/8',
      '010.0.0.1',
      'example.com/24',
      'exa mple.com',
      'https://example.com',
      'example.com:443',
      '*',
      '*.',
      'foo_bar.com',
      '-bad.example.com',
      'bad-.example.com',
      'a..b',
    ])('rejects %j', (entry) => {
      const err = configError(env({ HEDDLE_OUTBOUND_ALLOW: `10.0.0.0/8,${entry},example.com` }));

      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toBe(
        `HEDDLE_OUTBOUND_ALLOW has entries that are neither CIDR, IP nor hostname: ${entry}`,
      );
    });

    it('names every rejected entry in one problem', () => {
      const err = configError(env({ HEDDLE_OUTBOUND_ALLOW: 'ok.example, 1.2.3.4/40, bad host, fd00::/8' }));
      expect(err.problems).toEqual([
        'HEDDLE_OUTBOUND_ALLOW has entries that are neither CIDR, IP nor hostname: 1.2.3.4/40, bad host',
      ]);
    });
  });

  describe('HEDDLE_PUBLIC_URL', () => {
    it('defaults to localhost on PORT', () => {
      expect(loadConfig(env({ PORT: '9123' })).publicUrl).toBe('http://localhost:9123');
    });

    it('wins over the default when set', () => {
      expect(loadConfig(env({ PORT: '9123', HEDDLE_PUBLIC_URL: 'https://heddle.example.com' })).publicUrl).toBe(
        'https://heddle.example.com',
      );
    });
  });
});
