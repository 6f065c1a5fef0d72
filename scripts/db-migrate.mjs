#!/usr/bin/env node
// npm run db:migrate — creates the database if it does not exist, then applies the committed
// migrations in prisma/migrations with `prisma migrate deploy`. Concurrent runs are serialised by a
// Postgres advisory lock (see scripts/db-migrate-lib.mjs and docs/migrations.md).
// DATABASE_URL (or .env) names the database; default postgresql://postgres@127.0.0.1:5432/heddle.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseUnreachableError, migrate } from './db-migrate-lib.mjs';
import { prismaEnv } from './prisma.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { DATABASE_URL } = prismaEnv();

try {
  await migrate({ databaseUrl: DATABASE_URL, root });
} catch (err) {
  console.error(err instanceof DatabaseUnreachableError ? err.message : `db:migrate failed: ${err?.message ?? err}`);
  process.exitCode = 1;
}
