#!/usr/bin/env node
// `npm run smoke:dist` (CI, after `npm run build`): runs the image's three commands from the build
// output the way the container does — migrate, then the API and a worker from dist/ with plain
// `node` (no TypeScript at run time, no .env) — and checks that each prints its start-up line and
// answers /healthz and /readyz. Uses its own database (heddle_smoke on the DATABASE_URL server) and
// queue prefix, and stops both processes with SIGTERM.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const server = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/heddle');
server.pathname = '/heddle_smoke';
const START_TIMEOUT_MS = 60_000;
// The processes run in an empty directory, as in the image: no .env is read.
const cwd = mkdtempSync(join(tmpdir(), 'heddle-smoke-'));
process.on('exit', () => rmSync(cwd, { recursive: true, force: true }));

function fail(message) {
  console.error(`✖ smoke:dist: ${message}`);
  process.exit(1);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** Starts `node <file>` with only `env` (what a container is given); `waitFor` awaits a line. */
function start(name, file, env) {
  const child = spawn(process.execPath, [join(root, file)], {
    cwd,
    env: { PATH: process.env.PATH, NODE_OPTIONS: '--enable-source-maps', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  const waitFor = (pattern) =>
    new Promise((resolveWait, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: no ${pattern} within ${START_TIMEOUT_MS} ms\n${output.slice(-3000)}`)),
        START_TIMEOUT_MS,
      );
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer);
          resolveWait();
        }
      };
      child.stdout.on('data', (chunk) => {
        output += chunk;
        check();
      });
      child.stderr.on('data', (chunk) => (output += chunk));
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before printing ${pattern}\n${output.slice(-3000)}`));
      });
    });
  return { child, exited, waitFor, output: () => output };
}

async function expectOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) fail(`${url} answered ${res.status}: ${await res.text()}`);
  console.log(`  ${url} → ${res.status}`);
}

for (const file of ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js']) {
  if (!existsSync(join(root, file))) fail(`${file} is missing: run \`npm run build\` first`);
}

const [apiPort, workerPort] = [await freePort(), await freePort()];
const env = {
  DATABASE_URL: server.toString(),
  REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
  HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  QUEUE_PREFIX: `heddle-smoke-${randomBytes(4).toString('hex')}`,
  HOST: '127.0.0.1',
  PORT: String(apiPort),
  WORKER_HEALTH_PORT: String(workerPort),
  LOG_LEVEL: 'warn',
};

console.log(`▸ migrate (node scripts/db-migrate.mjs) on ${server.pathname.slice(1)}`);
const migrate = start('migrate', 'scripts/db-migrate.mjs', env);
const migrated = await migrate.exited;
if (migrated.code !== 0) fail(`migrate exited ${migrated.code ?? migrated.signal}\n${migrate.output()}`);

console.log('▸ api (node dist/apps/api/src/main.js) and worker (node dist/apps/worker/src/main.js)');
const api = start('api', 'dist/apps/api/src/main.js', env);
const worker = start('worker', 'dist/apps/worker/src/main.js', env);
try {
  await Promise.all([
    api.waitFor(new RegExp(`^Heddle API \\S+ listening on http://127\\.0\\.0\\.1:${apiPort}`, 'm')),
    worker.waitFor(
      new RegExp(`^Heddle worker \\S+ running .*; health on http://127\\.0\\.0\\.1:${workerPort}/healthz`, 'm'),
    ),
  ]);
  for (const port of [apiPort, workerPort]) {
    await expectOk(`http://127.0.0.1:${port}/healthz`);
    await expectOk(`http://127.0.0.1:${port}/readyz`);
  }
} catch (err) {
  api.child.kill('SIGKILL');
  worker.child.kill('SIGKILL');
  fail(err.message);
}
// GitHub hook signatures: @octokit/webhooks-methods is ESM-only, loaded from this CommonJS build by a
// real dynamic import that Jest cannot run (it maps the module instead) — so it is checked here.
try {
  const signatures = createRequire(import.meta.url)(join(root, 'dist/libs/hooks/src/github-signature.js'));
  const body = '{"zen":"Keep it logically awesome."}';
  const signature = await signatures.signPayload('smoke-secret', body);
  const good = await signatures.verifySignature('smoke-secret', body, signature);
  const bad = await signatures.verifySignature('another-secret', body, signature);
  if (!/^sha256=[0-9a-f]{64}$/.test(signature) || !good || bad)
    throw new Error(`verifySignature answered ${good} for the right secret and ${bad} for a wrong one`);
  console.log('  GitHub signatures (@octokit/webhooks-methods by dynamic import) → verified');
} catch (err) {
  api.child.kill('SIGKILL');
  worker.child.kill('SIGKILL');
  fail(`hook signatures: ${err.message}`);
}
api.child.kill('SIGTERM');
worker.child.kill('SIGTERM');
const stopped = await Promise.all([api.exited, worker.exited]);
for (const [name, { code, signal }] of [
  ['api', stopped[0]],
  ['worker', stopped[1]],
]) {
  if (code !== 0 && signal !== 'SIGTERM') fail(`${name} stopped with ${code ?? signal}`);
}
// Leave nothing behind in Redis (the database is kept, migrated, for the next run).
const redis = new Redis(env.REDIS_URL, { lazyConnect: true });
await redis.connect();
for (let cursor = '0'; ;) {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.QUEUE_PREFIX}:*`, 'COUNT', 500);
  if (keys.length) await redis.del(...keys);
  if ((cursor = next) === '0') break;
}
await redis.quit();
console.log('✔ smoke:dist: the built api, worker and migration run on plain Node');
