// Applying committed migrations, shared by `npm run db:migrate` (scripts/db-migrate.mjs) and the
// jest global setup (test/global-setup.ts). No import.meta here: jest loads this file through its
// CommonJS transform, so callers pass the repository root.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The advisory lock key serialising migration runs ("HEDL"). It must differ from the key Prisma's
 * native engine takes itself during `migrate deploy` (72707369): ours is held on another
 * connection for the whole run, and sharing the key would make the engine wait on us forever.
 */
export const MIGRATE_LOCK_KEY = 0x4845444c;

export const START_POSTGRES_HINT = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOENT', 'EAI_AGAIN']);

/** `heddle at 127.0.0.1:5432`, for messages (never shows the password). */
export function describeUrl(url) {
  const u = new URL(url);
  const host = u.searchParams.get('host') ?? `${u.hostname}:${u.port || 5432}`;
  return `${databaseName(url)} at ${host}`;
}

export function databaseName(url) {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

/** Postgres is not running (or not where DATABASE_URL says). */
export class DatabaseUnreachableError extends Error {
  constructor(url, cause) {
    const u = new URL(url);
    super(
      `Cannot reach Postgres at ${u.hostname}:${u.port || 5432} (${cause.code ?? cause.message}).\n` +
        `Is it running? On this machine start it with:\n  ${START_POSTGRES_HINT}`,
    );
    this.name = 'DatabaseUnreachableError';
    this.cause = cause;
  }
}

const isUnreachable = (err) =>
  NETWORK_ERRORS.has(err?.code) || (err?.errors ?? []).some((e) => NETWORK_ERRORS.has(e.code));

/** Connects a pg.Client, turning "server not there" into DatabaseUnreachableError. */
export async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    throw isUnreachable(err) ? new DatabaseUnreachableError(url, err) : err;
  }
}

/** Runs `fn(client)` on a connection to the server's `postgres` maintenance database. */
async function withMaintenanceClient(url, fn) {
  const client = await connect(withDatabase(url, 'postgres'));
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates the database named by `url`; resolves to false when it already existed. */
export async function createDatabase(url) {
  return withMaintenanceClient(url, async (client) => {
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(databaseName(url))}`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database; 23505 when a concurrent CREATE DATABASE of the same name won the race
      if (err?.code === '42P04' || err?.code === '23505') return false;
      throw err;
    }
  });
}

/** Drops the database named by `url`, closing other sessions on it (Postgres 13+). */
export async function dropDatabase(url) {
  await withMaintenanceClient(url, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseName(url))} WITH (FORCE)`),
  );
}

/** Creates the database if it does not exist; resolves to true when it was created. */
export async function ensureDatabase(url) {
  try {
    const client = await connect(url);
    await client.end();
    return false;
  } catch (err) {
    if (err?.code !== '3D000') throw err; // 3D000: invalid_catalog_name, the database does not exist
    return createDatabase(url);
  }
}

/** Migration directory names in `migrationsDir`, in the order Prisma applies them. */
export function localMigrations(migrationsDir) {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort((a, b) => a.localeCompare(b));
}

/**
 * The local migrations not (successfully, unchanged) recorded in `_prisma_migrations`. Prisma's
 * checksum is the sha256 of migration.sql. A cheap check that lets callers skip starting the CLI.
 */
export async function unappliedMigrations(client, migrationsDir) {
  const { rows: table } = await client.query(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`);
  const applied = new Map();
  if (table[0].present) {
    const { rows } = await client.query(
      `SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    for (const row of rows) applied.set(row.migration_name, row.checksum);
  }
  return localMigrations(migrationsDir).filter((name) => {
    const sql = readFileSync(join(migrationsDir, name, 'migration.sql'));
    return applied.get(name) !== createHash('sha256').update(sql).digest('hex');
  });
}

/** Runs `node scripts/prisma.mjs …args`; resolves to { code, output } (output only when captured). */
function runPrismaScript(root, args, { env, quiet }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'prisma.mjs'), ...args], {
      cwd: root,
      env,
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * Creates the database if needed, then applies committed migrations with `prisma migrate deploy`
 * while holding MIGRATE_LOCK_KEY on a separate connection, so concurrent runs apply each migration
 * once: the second waits, then finds nothing to apply.
 *
 * options: databaseUrl, root (repository root), log (messages), quiet (capture Prisma's output and
 * show it only on failure), onlyIfPending (skip the CLI when _prisma_migrations is already current).
 */
export async function migrate({ databaseUrl, root, log = console.log, quiet = false, onlyIfPending = false }) {
  const where = describeUrl(databaseUrl);
  const migrationsDir = join(root, 'prisma', 'migrations');

  if (await ensureDatabase(databaseUrl)) log(`Created database ${where}.`);

  const lock = await connect(databaseUrl);
  try {
    if (onlyIfPending && (await unappliedMigrations(lock, migrationsDir)).length === 0) {
      log(`Database ${where} is up to date.`);
      return;
    }
    const { rows } = await lock.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATE_LOCK_KEY]);
    if (!rows[0].locked) {
      log(`Another migration run holds the lock on ${where}; waiting for it to finish…`);
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK_KEY]);
    }
    log(`Applying migrations to ${where}…`);
    const env = { ...process.env, DATABASE_URL: databaseUrl };
    const { code, output } = await runPrismaScript(root, ['migrate', 'deploy'], { env, quiet });
    if (code !== 0) {
      throw new Error(`prisma migrate deploy failed on ${where} (exit code ${code}).${output ? `\n${output}` : ''}`);
    }
    log(`Database ${where} is up to date.`);
  } finally {
    // Closing the session releases the advisory lock too; unlocking first just makes it prompt.
    await lock.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    await lock.end().catch(() => {});
  }
}
