#!/usr/bin/env node
// `npm run setup`: install, write .env with local defaults, check Postgres and Redis, generate the
// Prisma client, migrate, and create the first team (printing its owner token once) with command
// checks allowed (settings.allowCommandChecks; docs/security.md).
// Plain Node with no dependencies, because it runs before `npm ci`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const START_POSTGRES = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

function step(message) {
  console.log(`\n▸ ${message}`);
}

function fail(message) {
  console.error(`\n✖ ${message}`);
  process.exit(1);
}

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) fail(`\`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}).`);
}

// 1. Node
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19))
  fail(`Node ${process.versions.node} is too old: Heddle needs Node 20.19 or newer.`);

// 2. Dependencies
const installed = 'node_modules/.package-lock.json';
if (!existsSync(installed) || statSync('package-lock.json').mtimeMs > statSync(installed).mtimeMs) {
  step('Installing dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
} else {
  step('Dependencies are installed');
}

// 3. .env
if (existsSync('.env')) {
  step('.env exists; keeping it');
} else {
  step('Writing .env with local defaults');
  const env = [
    '# Written by `npm run setup`. Every variable is described in docs/configuration.md.',
    'DATABASE_URL=postgresql://postgres@127.0.0.1:5432/heddle',
    'REDIS_URL=redis://127.0.0.1:6379',
    'PORT=8080',
    'HEDDLE_PUBLIC_URL=http://localhost:8080',
    '# Single box: let Heddle reach an OpenCode host on this machine (npm run host:local).',
    'HEDDLE_OUTBOUND_ALLOW=127.0.0.1,::1',
    `HEDDLE_ENCRYPTION_KEY=${randomBytes(32).toString('base64')}`,
    '',
  ].join('\n');
  writeFileSync('.env', env, { mode: 0o600 });
  console.log(readFileSync('.env', 'utf8').replace(/^HEDDLE_ENCRYPTION_KEY=.*$/m, 'HEDDLE_ENCRYPTION_KEY=<generated>'));
}
process.loadEnvFile('.env');

// 4. Postgres and Redis reachable?
function reachable(url, defaultPort) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

step('Checking Postgres and Redis');
const problems = [];
if (!(await reachable(process.env.DATABASE_URL, 5432))) {
  problems.push(
    `Postgres is not answering at ${new URL(process.env.DATABASE_URL).host}. Start it with:\n    ${START_POSTGRES}`,
  );
}
if (!(await reachable(process.env.REDIS_URL, 6379))) {
  problems.push(`Redis is not answering at ${new URL(process.env.REDIS_URL).host}. Start it with:\n    ${START_REDIS}`);
}
if (problems.length) fail(`${problems.join('\n  ')}\nThen run \`npm run setup\` again.`);
console.log('Postgres and Redis answer.');

// 5. Client, schema, first team
step('Generating the Prisma client');
run('npm', ['run', '--silent', 'generate']);
step('Applying migrations');
run('npm', ['run', '--silent', 'db:migrate']);
step('Creating the first team (command checks on: see docs/security.md)');
run('node', ['-r', '@swc-node/register', 'scripts/bootstrap-team.ts', '--allow-command-checks']);

console.log('\n✔ Setup done. Start Heddle with `npm start` (API on $PORT, Swagger UI at /docs).');
