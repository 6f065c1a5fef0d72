#!/usr/bin/env node
// Runs the project's own Prisma CLI (node_modules/prisma) with the environment it needs here:
//   - PRISMA_SCHEMA_ENGINE_BINARY → the wasm stand-in (scripts/schema-engine), unless the variable is
//     already set or a native schema-engine was installed next to Prisma (an image built online);
//   - DATABASE_URL → the local `heddle` database unless set; .env is read first, never overriding.
// Usage: node scripts/prisma.mjs <prisma args…>   (npm run generate / db:status / db:new)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const prismaCli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
export const standInEngine = join(root, 'scripts', 'schema-engine', 'schema-engine.mjs');
export const defaultDatabaseUrl = 'postgresql://postgres@127.0.0.1:5432/heddle';

/**
 * A native engine, when one was downloaded at install time, sits where the CLI looks for it:
 * `schema-engine-<binaryTarget>` in @prisma/engines or in the prisma package.
 */
export function findNativeEngine() {
  for (const dir of [join(root, 'node_modules', '@prisma', 'engines'), join(root, 'node_modules', 'prisma')]) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const hit = names.find((n) => /^schema-engine-/.test(n) && !/\.(gz|sha256|lock|tmp)$/.test(n));
    if (hit) return join(dir, hit);
  }
  return undefined;
}

/** Variables from `<root>/.env` that are not already set. */
function dotEnv() {
  const file = join(root, '.env');
  return existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
}

/** The environment for a Prisma CLI run, built on `base` (process.env by default). */
export function prismaEnv(base = process.env) {
  const env = { ...dotEnv(), ...base };
  env.DATABASE_URL ||= defaultDatabaseUrl;
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !findNativeEngine()) env.PRISMA_SCHEMA_ENGINE_BINARY = standInEngine;
  // The CLI's update check phones home; there is no internet here to phone.
  env.CHECKPOINT_DISABLE ??= '1';
  return env;
}

/**
 * Runs the Prisma CLI; resolves to its exit code. `options` go to child_process.spawn (stdio is
 * inherited unless given; env is passed through prismaEnv).
 */
export function runPrisma(args, { env, ...options } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [prismaCli, ...args], {
      cwd: root,
      stdio: 'inherit',
      ...options,
      env: prismaEnv(env ?? process.env),
    });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolvePromise(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15 }[signal] ?? 1) : 1));
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runPrisma(process.argv.slice(2));
}
