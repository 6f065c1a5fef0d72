import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './processes';

/** A `redis-server` of a test's own, on loopback, holding nothing on disk (`--save "" --appendonly no`). */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  running(): boolean;
  /** Everything the server printed (all starts), for failure messages. */
  output(): string;
  /** SIGKILL: every key is gone, clients see their connections drop. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was saved). */
  start(): Promise<void>;
  /** kill(), `downMs` of nothing listening, start(). */
  restart(downMs?: number): Promise<void>;
  /** Same as kill(); the handle can be started again. */
  stop(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers (a stalled Redis); `resume()` undoes it. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
}

/** Process groups still running, killed if the test process exits without stop(). */
const live = new Set<number>();
let hooked = false;

/** Starts `redis-server` (from PATH) on a free port, or `port`, and waits until it answers PING. */
export async function startRedisServer(options: { port?: number; startTimeoutMs?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  async function start(): Promise<void> {
    if (child) throw new Error('redis-server is already running');
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    if (proc.pid) {
      live.add(proc.pid);
      if (!hooked) {
        hooked = true;
        process.once('exit', () => {
          for (const pid of live) signalGroup(pid, 'SIGKILL');
        });
      }
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    exited = new Promise<void>((resolve) =>
      proc.once('exit', () => {
        if (proc.pid) live.delete(proc.pid);
        if (child === proc) child = undefined;
        resolve();
      }),
    );
    const deadline = Date.now() + startTimeoutMs;
    while (!(await answersPing(port))) {
      if (!child) throw new Error(`redis-server exited before answering on ${port}:\n${output.slice(-2000)}`);
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`redis-server did not answer on ${port} within ${startTimeoutMs} ms:\n${output.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function kill(): Promise<void> {
    const proc = child;
    if (!proc?.pid) return;
    signalGroup(proc.pid, 'SIGKILL');
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => child !== undefined,
    output: () => output,
    kill,
    start,
    async restart(downMs = 0) {
      await kill();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    stop: kill,
    pause() {
      if (child?.pid) signalGroup(child.pid, 'SIGSTOP');
    },
    resume() {
      if (child?.pid) signalGroup(child.pid, 'SIGCONT');
    },
  };
}

/** True when something on the port answers `+PONG` to an inline PING. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
