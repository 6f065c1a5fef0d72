import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClockModule, isUnderRoot, normalisePath, workspaceRootProblem } from '@heddle/common';
import { ConfigModule } from '@heddle/config';
import { DbModule, PrismaService } from '@heddle/db';
import { HostsModule, HostsService } from '@heddle/hosts';
import { loadConfigOrExit } from '@heddle/platform';
import { QueueModule } from '@heddle/queue';

/**
 * `npm run host:local`: the one-box convenience. Starts `opencode serve` from the installed binary on
 * loopback with a password generated for this run, registers it as host `local` (label `local`) of
 * the first team with `--dir` as its only workspace root, and restarts it if it exits. Ctrl-C stops
 * it (the probe then marks it offline).
 *
 *   npm run host:local -- --dir /path/to/workspaces [--port 4096 --team <name>]
 *
 * `--dir` defaults to the directory npm was run from. It may not be (or contain) the directory
 * holding Heddle's `.env` — the encryption key — nor the repository Heddle runs from: tasks on this
 * host read and run things under it as your user (docs/security.md).
 */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');

const port = Number(args.get('port') ?? process.env.HOST_LOCAL_PORT ?? 4096);
const dir = normalisePath(resolve(args.get('dir') || process.env.INIT_CWD || process.cwd()));
const repoRoot = resolve(__dirname, '..');
const binary =
  process.env.OPENCODE_BIN ?? join(__dirname, '..', 'node_modules', 'opencode-linux-x64', 'bin', 'opencode');
const password = randomBytes(24).toString('base64url');
const baseUrl = `http://127.0.0.1:${port}`;

function fail(message: string): never {
  console.error(`✖ ${message}`);
  process.exit(1);
}

function startServer(): Promise<ChildProcess> {
  const child = spawn(binary, ['serve', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: dir,
    env: { ...process.env, OPENCODE_SERVER_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`listening on ${baseUrl}`)) {
        child.stdout!.off('data', onData);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`opencode serve exited with ${code} before listening:\n${output.slice(-2000)}`)),
    );
  });
}

/** The real path (symlinks resolved) of `path`, or `path` itself when it does not exist. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Why `dir` must not be served to tasks, or undefined. */
function forbiddenDirectory(): string | undefined {
  const target = realOrSelf(dir);
  const guarded = [
    // loadConfigOrExit reads `.env` from the working directory.
    { path: realOrSelf(process.cwd()), what: "the directory holding Heddle's .env (its encryption key)" },
    { path: realOrSelf(repoRoot), what: 'the repository Heddle runs from' },
  ];
  for (const { path, what } of guarded) {
    if (isUnderRoot(path, target)) {
      const which = target !== dir ? ` (really ${target})` : '';
      return `it${which} ${path === target ? 'is' : 'contains'} ${what}: ${path}`;
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const forbidden = forbiddenDirectory();
  if (forbidden) {
    fail(
      `refusing to serve ${dir}: ${forbidden}. Tasks on this host work under --dir as your user, so it must not ` +
        'expose Heddle itself. Pass a directory of workspaces, e.g. `npm run host:local -- --dir ~/code`.',
    );
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`--dir ${dir} is not a directory`);
  const problem = workspaceRootProblem(dir);
  if (problem) fail(`--dir ${dir} cannot be a workspace root: it ${problem}`);
  const config = loadConfigOrExit();
  if (!existsSync(binary)) fail(`no OpenCode binary at ${binary}; install opencode and set OPENCODE_BIN to it`);
  if (!config.outboundAllow.blockList.check('127.0.0.1', 'ipv4')) {
    fail(
      'HEDDLE_OUTBOUND_ALLOW does not allow 127.0.0.1, so Heddle may not reach a local host. Add `HEDDLE_OUTBOUND_ALLOW=127.0.0.1` to .env and restart `npm start`.',
    );
  }

  @Module({ imports: [ConfigModule.forRoot(config), ClockModule, DbModule, QueueModule, HostsModule] })
  class HostLocalModule {}
  const app = await NestFactory.createApplicationContext(HostLocalModule, { logger: ['error', 'warn'] });
  const prisma = app.get(PrismaService);
  const teamName = args.get('team');
  const team = await prisma.team.findFirst({
    where: teamName ? { name: teamName } : {},
    orderBy: { createdAt: 'asc' },
  });
  if (!team) fail(teamName ? `no team named "${teamName}"` : 'no team yet: run `npm run setup` first');

  let stopping = false;
  let child = await startServer().catch((err: Error) => fail(err.message));
  const host = await app.get(HostsService).upsertByName(
    team.id,
    { system: 'host-local' },
    {
      name: 'local',
      baseUrl,
      username: 'opencode',
      password,
      labels: ['local'],
      workspaceRoots: [dir],
      enabled: true,
    },
  );
  console.log(`✔ opencode serve is listening on ${baseUrl} (workspaces under ${dir})`);
  console.log(`✔ registered as host "local" (${host.id}) of team "${team.name}"; tasks can use labels ["local"]`);
  console.log(`  workspace roots: ${host.workspaceRoots.join(', ')} (task workspaces must lie under it)`);
  console.log('  Ctrl-C stops it.');

  // Restart the server whenever it exits, backing off while it keeps failing to start.
  const restart = (delayMs: number): void => {
    setTimeout(() => {
      startServer().then(
        (next) => {
          child = next;
          watch(next);
        },
        (err: Error) => {
          console.error(err.message);
          restart(Math.min(delayMs * 2, 30_000));
        },
      );
    }, delayMs);
  };
  const watch = (current: ChildProcess): void => {
    current.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`opencode serve exited (${signal ?? code}); restarting`);
      restart(1000);
    });
  };
  watch(child);

  const stop = async () => {
    stopping = true;
    child.kill('SIGTERM');
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main();
