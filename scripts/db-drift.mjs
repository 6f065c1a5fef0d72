#!/usr/bin/env node
// npm run db:drift — fails when prisma/schema.prisma and prisma/migrations/ disagree, i.e. someone
// changed the schema without `npm run db:new -- --name <what>` (or edited a migration by hand).
//
// It replays the migrations into a throwaway database and diffs the result against the schema
// (`prisma migrate diff --from-migrations … --to-schema … --exit-code`). Two temporary databases
// are created on the DATABASE_URL server and dropped afterwards: the shadow database the replay
// needs, and one that stands in for the main database, so your own database is never touched.
//
// Usage: node scripts/db-drift.mjs [--schema FILE] [--migrations DIR]
//   (or HEDDLE_PRISMA_SCHEMA / HEDDLE_MIGRATIONS_DIR; defaults: prisma/schema.prisma, prisma/migrations)
// Exit codes: 0 no drift, 1 drift, 2 the check itself could not run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase, DatabaseUnreachableError, dropDatabase, withDatabase } from './db-migrate-lib.mjs';
import { prismaCli, prismaEnv, root } from './prisma.mjs';

const { values: args } = parseArgs({ options: { schema: { type: 'string' }, migrations: { type: 'string' } } });
const schema = resolve(args.schema ?? process.env.HEDDLE_PRISMA_SCHEMA ?? resolve(root, 'prisma/schema.prisma'));
const migrations = resolve(args.migrations ?? process.env.HEDDLE_MIGRATIONS_DIR ?? resolve(root, 'prisma/migrations'));
const show = (p) => relative(process.cwd(), p) || '.';

const env = prismaEnv();
const tag = `heddle_drift_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const scratchUrl = withDatabase(env.DATABASE_URL, tag);
const shadowUrl = withDatabase(env.DATABASE_URL, `${tag}_shadow`);

function diff() {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [prismaCli, 'migrate', 'diff', '--from-migrations', migrations, '--to-schema', schema, '--exit-code'],
      {
        cwd: root,
        env: { ...env, DATABASE_URL: scratchUrl, SHADOW_DATABASE_URL: shadowUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

const cleanup = () => Promise.allSettled([dropDatabase(scratchUrl), dropDatabase(shadowUrl)]);
process.once('SIGINT', () => cleanup().then(() => process.exit(130)));

try {
  await createDatabase(scratchUrl);
  await createDatabase(shadowUrl);
  const { code, stdout, stderr } = await diff();
  if (code === 0) {
    console.log(`No drift: ${show(schema)} matches ${show(migrations)}.`);
  } else if (code === 2) {
    // --exit-code: 2 means the migrations do not produce the schema; stdout summarises how.
    console.error(
      `Drift: ${show(schema)} and ${show(migrations)} disagree. ` +
        `Going from the migrations to the schema still needs:\n\n${stdout}\n\n` +
        'If the schema change is intended, write its migration with `npm run db:new -- --name <what>`.',
    );
    process.exitCode = 1;
  } else {
    console.error(
      `db:drift could not compare the schema with the migrations (prisma exit code ${code}):\n${stderr || stdout}`,
    );
    process.exitCode = 2;
  }
} catch (err) {
  console.error(err instanceof DatabaseUnreachableError ? err.message : `db:drift failed: ${err?.message ?? err}`);
  process.exitCode = 2;
} finally {
  await cleanup();
}
