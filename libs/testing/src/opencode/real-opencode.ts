import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, REPO_ROOT } from '../processes';
import { FakeLlm, startFakeLlm } from './fake-llm';

/** The version the contract suite and docs/opencode-api.md were verified against. */
export const OPENCODE_VERSION = '1.18.34';

export const FAKE_PROVIDER = 'fake';
export const FAKE_MODEL = 'fake-model';
/** `provider/model`, as Heddle stores it. */
export const FAKE_MODEL_REF = `${FAKE_PROVIDER}/${FAKE_MODEL}`;

export interface ModelCost {
  /** USD per 1M tokens. */
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
}

export interface RealOpencodeOptions {
  /** Enables HTTP basic auth (`OPENCODE_SERVER_PASSWORD`). */
  password?: string;
  /** `OPENCODE_SERVER_USERNAME` (the server's default is `opencode`). */
  username?: string;
  /** Merged over the default permission block (edit/bash allow, webfetch deny), e.g. `{ edit: 'ask' }`. */
  permission?: Record<string, unknown>;
  /** The server's `SHELL` (OpenCode's `/shell` route and bash tool use it). Default `/bin/bash`. */
  shell?: string;
  /** A `cost` block for the fake model (without one every cost is 0). */
  cost?: ModelCost;
  /** Names of extra workspaces (git repos with one commit) created beside the main one. */
  extraWorkspaces?: string[];
  /** Share a running fake LLM (default: start one, stopped with the server). */
  llm?: FakeLlm;
  /** Provider request timeout in ms (`options.timeout`); unset means a hung LLM call waits forever. */
  providerTimeoutMs?: number;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** How long to wait for the "listening" line. */
  startTimeoutMs?: number;
}

export interface RealOpencode {
  readonly baseUrl: string;
  readonly port: number;
  /** The server's cwd: a git repo with one commit. */
  readonly workspace: string;
  /** Extra workspaces by name (absolute paths). */
  readonly workspaces: Record<string, string>;
  readonly username: string;
  readonly password?: string;
  readonly llm: FakeLlm;
  /** The temp dir holding HOME, the XDG dirs and the workspaces. */
  readonly root: string;
  /** Everything the server printed so far (all starts). */
  output(): string;
  /** True while the server process runs. */
  running(): boolean;
  /** Command lines of processes the server started (tools, shells) that still run. */
  toolProcesses(): string[];
  /** Kills the server process (and the tools it started) but keeps HOME, DB and workspaces. */
  stopServer(): Promise<void>;
  /** Starts the server again on the same port with the same HOME, DB and workspaces. */
  startServer(): Promise<void>;
  /** stopServer() then startServer(). */
  restart(): Promise<void>;
  /** Kills everything, stops an owned fake LLM and removes the temp dirs. */
  stop(): Promise<void>;
}

/** Where the platform package puts the binary (an optionalDependency of the root package). */
export function opencodeBinaryPath(): string {
  return join(REPO_ROOT, 'node_modules', `opencode-${process.platform}-${process.arch}`, 'bin', 'opencode');
}

/** True on the platform CI runs on, where a missing binary is a broken install, never a reason to skip. */
export function opencodeBinaryRequired(): boolean {
  return process.platform === 'linux' && process.arch === 'x64';
}

export function opencodeBinaryAvailable(): boolean {
  return existsSync(opencodeBinaryPath());
}

function requireBinary(): string {
  const path = opencodeBinaryPath();
  if (!existsSync(path)) {
    throw new Error(
      `The OpenCode binary is missing at ${path}. It comes from the optionalDependency ` +
        `opencode-linux-x64@${OPENCODE_VERSION}: run \`npm ci\` on linux-x64 (npm skips it on other platforms).`,
    );
  }
  return path;
}

const LISTENING = /opencode server listening on http:\/\/127\.0\.0\.1:(\d+)/;

/** Process groups of servers still running: killed if the test process exits without stop(). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const group of liveGroups) signalGroup(group, 'SIGKILL');
  });
}

/**
 * Starts the real `opencode serve` offline (opencode-offline.md §3) on a free port, in a temp git
 * workspace, with isolated HOME/XDG dirs and a scripted fake LLM as its only provider.
 */
export async function startRealOpencode(options: RealOpencodeOptions = {}): Promise<RealOpencode> {
  const binary = requireBinary();
  const root = mkdtempSync(join(tmpdir(), 'heddle-oc-'));
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const workspace = join(root, 'ws');
  createWorkspace(workspace, 'ws');
  const workspaces: Record<string, string> = {};
  for (const name of options.extraWorkspaces ?? []) {
    workspaces[name] = join(root, name);
    createWorkspace(workspaces[name], name);
  }
  const ownLlm = !options.llm;
  const llm = options.llm ?? (await startFakeLlm());
  const port = await freePort();
  // Every process the server starts inherits this; stop() finds the bash tool's children by it,
  // because they run in their own session and outlive the server (opencode-offline.md §6.5).
  const marker = `heddle-oc-${randomUUID()}`;
  const username = options.username ?? 'opencode';

  const config = {
    $schema: 'https://opencode.ai/config.json',
    model: FAKE_MODEL_REF,
    small_model: FAKE_MODEL_REF,
    autoupdate: false,
    share: 'disabled',
    permission: { edit: 'allow', bash: 'allow', webfetch: 'deny', external_directory: 'allow', ...options.permission },
    provider: {
      [FAKE_PROVIDER]: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Fake LLM',
        options: {
          baseURL: llm.baseUrl,
          apiKey: 'x',
          ...(options.providerTimeoutMs ? { timeout: options.providerTimeoutMs } : {}),
        },
        models: {
          [FAKE_MODEL]: {
            name: 'fake',
            tool_call: true,
            limit: { context: 100_000, output: 4096 },
            ...(options.cost ? { cost: options.cost } : {}),
          },
        },
      },
    },
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: process.env.LANG ?? 'C.UTF-8',
    TMPDIR: join(root, 'tmp'),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local/state'),
    SHELL: options.shell ?? '/bin/bash',
    OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_PURE: '1',
    npm_config_offline: 'true',
    HEDDLE_OPENCODE_MARKER: marker,
    ...(options.password ? { OPENCODE_SERVER_PASSWORD: options.password } : {}),
    ...(options.username ? { OPENCODE_SERVER_USERNAME: options.username } : {}),
    ...options.env,
  };
  mkdirSync(env.TMPDIR, { recursive: true });

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  async function startServer(): Promise<void> {
    if (child) throw new Error('the OpenCode server is already running');
    const from = output.length;
    const proc = spawn(binary, ['serve', '--port', String(port), '--hostname', '127.0.0.1', '--print-logs'], {
      cwd: workspace,
      env,
      detached: true, // its own process group: stop() kills the group
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    if (proc.pid) trackGroup(proc.pid);
    const listeners = new Set<() => void>();
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      for (const l of listeners) l();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    let done = false;
    exited = new Promise<void>((resolve) =>
      proc.once('exit', () => {
        done = true;
        if (proc.pid) liveGroups.delete(proc.pid);
        if (child === proc) child = undefined;
        for (const l of listeners) l();
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`no "listening" line within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      const check = () => {
        const m = LISTENING.exec(output.slice(Math.max(0, from - 200)));
        if (m && Number(m[1]) === port) finish();
        else if (done) finish(new Error('the OpenCode server exited before listening'));
      };
      const finish = (err?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (err) reject(new Error(`${err.message}:\n${output.slice(from).slice(-4000)}`));
        else resolve();
      };
      listeners.add(check);
      check();
    }).catch(async (err: unknown) => {
      await stopServer();
      throw err;
    });
  }

  async function stopServer(): Promise<void> {
    const proc = child;
    const pid = proc?.pid;
    const strays = pid ? processesOf(pid, marker) : processesOf(undefined, marker);
    if (proc && pid) {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5_000); // SIGTERM is sometimes ignored
      await exited;
      clearTimeout(timer);
      signalGroup(pid, 'SIGKILL'); // anything left in the group
    }
    for (const p of new Set([...strays, ...processesOf(undefined, marker)])) kill(p, 'SIGKILL');
  }

  const handle: RealOpencode = {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    workspace,
    workspaces,
    username,
    password: options.password,
    llm,
    root,
    output: () => output,
    running: () => child !== undefined,
    toolProcesses: () =>
      processesOf(undefined, marker)
        .filter((pid) => pid !== child?.pid)
        .map((pid) => commandLine(pid))
        .filter((cmd): cmd is string => cmd !== undefined),
    stopServer,
    startServer,
    async restart() {
      await stopServer();
      await startServer();
    },
    async stop() {
      await stopServer();
      if (ownLlm) await llm.stop();
      // For post-mortems: HEDDLE_OPENCODE_LOGS=<dir> keeps each server's output (with --print-logs).
      const logDir = process.env.HEDDLE_OPENCODE_LOGS;
      if (logDir) {
        mkdirSync(logDir, { recursive: true });
        writeFileSync(join(logDir, `opencode-${port}-${Date.now()}.log`), output);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await startServer();
  } catch (err) {
    if (ownLlm) await llm.stop();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return handle;
}

/** A git repo with one commit and a few files the file/find routes can be tested on. */
function createWorkspace(dir: string, name: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'README.md'), `# ${name}\n\nA Heddle test workspace.\n`);
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const answer = 42;\n// TODO: find me\n');
  writeFileSync(join(dir, `${name}.txt`), `${name}\n`);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Heddle Test', '-c', 'user.email=test@heddle.invalid', ...args], {
      cwd: dir,
      stdio: 'pipe',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dirname(dir) },
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Pids of `root`'s descendants plus every process whose environment carries `marker` (tool children
 * re-parented to init after the server died). Linux /proc only; elsewhere only the group kill applies.
 */
function processesOf(root: number | undefined, marker: string): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const parents = new Map<number, number>();
  const found = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`HEDDLE_OPENCODE_MARKER=${marker}`)) found.add(pid);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  if (root !== undefined) {
    let grew = true;
    const tree = new Set([root]);
    while (grew) {
      grew = false;
      for (const [pid, ppid] of parents) {
        if (!tree.has(pid) && tree.has(ppid)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    for (const pid of tree) found.add(pid);
  }
  return [...found];
}
