// The migration tooling against the real Postgres: db:migrate from nothing, db:drift, and two
// concurrent db:migrate runs. Each test works on databases of its own and drops them afterwards.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { TEST_DATABASE_URL } from '../test/env';
import { MIGRATE_LOCK_KEY } from './db-migrate-lib.mjs';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '..');
const migrationNames = readdirSync(path.join(root, 'prisma', 'migrations'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function urlFor(database: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

interface Run {
  code: number | null;
  output: string;
}

/**
 * Runs one of the scripts with node. `exited` resolves when it exits; `printed(text)` resolves as
 * soon as its output contains `text`.
 */
function startScript(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(root, 'scripts', script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const watchers: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    watchers.forEach((check) => check());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => output.includes(text) && resolve();
      watchers.push(check);
      check();
      void exited.then(() => reject(new Error(`exited without printing "${text}":\n${output}`)));
    });
  return { exited, printed };
}

const runScript = (script: string, args: string[], env: Record<string, string>): Promise<Run> =>
  startScript(script, args, env).exited;

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const scratchDatabases: string[] = [];
function scratchDatabase(label: string): string {
  const name = `heddle_it_${label}_${randomBytes(4).toString('hex')}`;
  scratchDatabases.push(name);
  return name;
}

afterAll(async () => {
  await withClient(urlFor('postgres'), async (client) => {
    for (const name of scratchDatabases) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
});

describe('db:migrate', () => {
  it('creates a brand-new database and applies every migration to it', async () => {
    const database = scratchDatabase('fresh');

    const run = await runScript('db-migrate.mjs', [], { DATABASE_URL: urlFor(database) });

    expect(run).toMatchObject({ code: 0 });
    expect(run.output).toContain(`Created database ${database}`);
    const tables = await withClient(urlFor(database), async (client) => {
      const { rows } = await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
      );
      return rows.map((r) => r.table_name);
    });
    expect(tables).toEqual(
      expect.arrayContaining(['teams', 'api_tokens', 'audit_logs', 'events', '_prisma_migrations']),
    );
  });

  it('waits for the advisory lock before applying anything', async () => {
    const database = scratchDatabase('lock');
    await withClient(urlFor('postgres'), (client) => client.query(`CREATE DATABASE "${database}"`));

    await withClient(urlFor(database), async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK_KEY]);
      const run = startScript('db-migrate.mjs', [], { DATABASE_URL: urlFor(database) });
      await run.printed('waiting for it to finish');

      const { rows } = await holder.query(`SELECT to_regclass('_prisma_migrations') AS t`);
      expect(rows[0].t).toBeNull();

      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK_KEY]);
      const result = await run.exited;
      expect(result.code).toBe(0);
      expect(result.output).toContain('have been applied');
    });
  });

  it('applies each migration once when two runs race on a database that does not exist yet', async () => {
    const database = scratchDatabase('race');
    const env = { DATABASE_URL: urlFor(database) };

    const runs = await Promise.all([runScript('db-migrate.mjs', [], env), runScript('db-migrate.mjs', [], env)]);

    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    // The lock serialises them: one applies everything, the other then finds nothing pending.
    const outputs = runs.map((r) => r.output);
    expect(outputs.filter((o) => o.includes('have been applied'))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('No pending migrations to apply'))).toHaveLength(1);
    const rows = await withClient(urlFor(database), async (client) => {
      const result = await client.query<{ migration_name: string; applied_steps_count: number }>(
        `SELECT migration_name, applied_steps_count FROM _prisma_migrations
          WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
      );
      const all = await client.query<{ n: string }>('SELECT count(*) AS n FROM _prisma_migrations');
      return { applied: result.rows, total: Number(all.rows[0].n) };
    });
    expect(rows.total).toBe(migrationNames.length);
    expect(rows.applied.map((r) => r.migration_name)).toEqual(migrationNames);
    expect(rows.applied.every((r) => r.applied_steps_count === 1)).toBe(true);
  });
});

describe('data migrations', () => {
  it('member_scopes: tokens made before the members scopes keep what they could do', async () => {
    const database = scratchDatabase('scopes');
    expect((await runScript('db-migrate.mjs', [], { DATABASE_URL: urlFor(database) })).code).toBe(0);
    const oldOwner = ['tasks:read', 'tasks:write', 'hosts:read', 'hosts:write', 'webhooks:read', 'webhooks:write'];
    oldOwner.push('events:read', 'permissions:write', 'checks:command', 'admin');
    const before: Record<string, string[]> = {
      owner: oldOwner,
      bootstrap: [...oldOwner, 'platform:admin'],
      admin: ['admin', 'tasks:read'],
      ci: ['tasks:read', 'tasks:write'],
      current: [...oldOwner, 'members:read', 'members:write', 'members:owner'],
    };
    const after = await withClient(urlFor(database), async (client) => {
      const team = await client.query<{ id: string }>(
        `INSERT INTO teams (id, name, "updatedAt") VALUES (gen_random_uuid(), 't', now()) RETURNING id`,
      );
      for (const [name, scopes] of Object.entries(before)) {
        await client.query(
          `INSERT INTO api_tokens (id, "teamId", name, prefix, "secretHash", scopes) VALUES (gen_random_uuid(), $1, $2, $2, 'x', $3)`,
          [team.rows[0]!.id, name, scopes],
        );
      }
      const sql = readFileSync(path.join(root, 'prisma/migrations/20261205143328_member_scopes/migration.sql'), 'utf8');
      await client.query(sql);
      await client.query(sql); // applying it again changes nothing
      const { rows } = await client.query<{ name: string; scopes: string[] }>('SELECT name, scopes FROM api_tokens');
      return Object.fromEntries(rows.map((r) => [r.name, r.scopes]));
    });
    expect(after).toEqual({
      owner: [...oldOwner, 'members:read', 'members:write', 'members:owner'],
      bootstrap: [...oldOwner, 'platform:admin', 'members:read', 'members:write', 'members:owner'],
      admin: ['admin', 'tasks:read', 'members:read', 'members:write'],
      ci: ['tasks:read', 'tasks:write'],
      current: before.current,
    });
  });
});

describe('db:drift', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(path.join(tmpdir(), 'heddle-drift-'));
    cpSync(path.join(root, 'prisma'), copy, { recursive: true });
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('reports no drift for the committed schema and migrations', async () => {
    const run = await runScript('db-drift.mjs', [], {});

    expect(run.output).toContain('No drift');
    expect(run.code).toBe(0);
  });

  it('fails and names the difference when the schema changed without a migration', async () => {
    appendFileSync(
      path.join(copy, 'schema.prisma'),
      '\nmodel Gadget {\n  id   String @id @db.Uuid\n  name String\n\n  @@map("gadgets")\n}\n',
    );

    const run = await runScript(
      'db-drift.mjs',
      ['--schema', path.join(copy, 'schema.prisma'), '--migrations', path.join(copy, 'migrations')],
      {},
    );

    expect(run.code).toBe(1);
    expect(run.output).toContain('Drift:');
    expect(run.output).toMatch(/Added tables\s+- gadgets/);
  });
});
