import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '../../..');

/** A port nobody listens on right now (for a server to take, or to prove a refusal). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the combined output matches, rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the whole process group (npm and the node it started). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts a command from the repository root (or `options.cwd`) in its own process group, capturing its output. */
export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string } = {},
): RunningProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
    for (const l of listeners) l();
  });
  return {
    child,
    output: () => output,
    exited,
    signal(sig) {
      if (!done && child.pid) {
        try {
          process.kill(-child.pid, sig);
        } catch {
          // already gone
        }
      }
    },
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) finish();
          else if (done) finish(new Error(`process exited before printing ${pattern}:\n${output.slice(-4000)}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output.slice(-4000)}`)),
          timeoutMs,
        );
        const finish = (err?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/**
 * A worker process (`apps/worker/src/main.ts`, as `npm run start:worker` runs it) on the test's
 * database and Redis, with `env` over them (its queue prefix, encryption key, consumers…), resolved
 * once it has started. Stop it with `signal()`.
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  startTimeoutMs = 60_000,
): Promise<RunningProcess> {
  const worker = startProcess('node', ['--enable-source-maps', '-r', '@swc-node/register', 'apps/worker/src/main.ts'], {
    HEDDLE_BOOTSTRAP_TOKEN: '',
    WORKER_HEALTH_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    ...env,
  });
  try {
    await worker.waitFor(/Nest application successfully started/, startTimeoutMs);
  } catch (err) {
    worker.signal('SIGKILL');
    throw err;
  }
  return worker;
}
