import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  CreateTaskInput,
  HeddleApiError,
  HeddleClient,
  HeddleConnectionError,
  HeddleEvent,
  HeddleTimeoutError,
  INBOX_CONTENT_TYPES,
  Task,
  createHeddleClient,
} from '@heddle/sdk';
import { parseCheck, readChecksFile } from './checks';
import { parseDuration } from './duration';
import { EXIT, UsageError, exitCodeOfStatus } from './exit-codes';
import { ciIdempotencyKey } from './idempotency';
import { ProgressView, describeTask, progressMode } from './progress';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, not "${value}"`);
  return n;
};

/** Runs the CLI on `argv` (as process.argv) and resolves with the exit code. */
export async function run(argv: string[], io: CliIo = process): Promise<number> {
  let exitCode: number = EXIT.completed;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return report(err, io);
  }
}

function report(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Commander printed the message (or the help) already.
    return err.exitCode === 0 ? EXIT.completed : EXIT.usage;
  }
  if (err instanceof UsageError) {
    io.stderr.write(`heddle: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof HeddleApiError) {
    const details = err.details && (Array.isArray(err.details) ? err.details.length : true);
    io.stderr.write(
      `heddle: ${err.message} (${err.code}, HTTP ${err.status}${err.requestId ? `, requestId ${err.requestId}` : ''})\n` +
        (details ? `  details: ${JSON.stringify(err.details)}\n` : ''),
    );
    return err.status >= 500 ? EXIT.unreachable : EXIT.usage;
  }
  if (err instanceof HeddleConnectionError) {
    io.stderr.write(`heddle: ${err.message}\n`);
    return EXIT.unreachable;
  }
  io.stderr.write(`heddle: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.failed;
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('heddle')
    .description('Dispatch coding tasks to Heddle and follow them (HEDDLE_URL, HEDDLE_TOKEN).')
    .option('--url <url>', 'server URL (default: $HEDDLE_URL)')
    .option('--token <token>', 'API token (default: $HEDDLE_TOKEN)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run heddle --help for usage)');

  const client = (): HeddleClient => {
    const { url, token } = program.opts<{ url?: string; token?: string }>();
    const baseUrl = url ?? io.env.HEDDLE_URL;
    const bearer = token ?? io.env.HEDDLE_TOKEN;
    if (!baseUrl) throw new UsageError('no server: set HEDDLE_URL or pass --url');
    if (!bearer) throw new UsageError('no token: set HEDDLE_TOKEN or pass --token');
    return createHeddleClient({ baseUrl, token: bearer });
  };
  const print = (text: string) => io.stdout.write(`${text}\n`);
  const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

  program
    .command('dispatch')
    .description('Create a task; with --wait, follow it and exit 0 completed, 1 failed, 2 aborted, 3 timed out')
    .requiredOption('--workspace <dir>', 'workspace directory on the host')
    .requiredOption('--goal <text>', 'what the agent should achieve')
    .option('--name <name>', 'task name (default: from the goal)')
    .option('--step <text>', 'a step (repeatable)', collect)
    .option('--check <check>', "an acceptance check, e.g. 'file_exists:src/x.ts' or JSON (repeatable)", collect)
    .option('--checks-file <file>', 'a JSON array of checks')
    .addOption(new Option('--host <host>', 'host id or name').conflicts('label'))
    .option('--label <label>', 'run on an online host with this label (repeatable)', collect)
    .option('--model <provider/model>', 'model')
    .option('--agent <agent>', 'OpenCode agent')
    .option('--plan <file>', 'plan mode with this plan file in the workspace (e.g. PLAN.md)')
    .option('--budget-turns <n>', 'max turns', positiveInt('--budget-turns'))
    .option('--budget-tokens <n>', 'max tokens', positiveInt('--budget-tokens'))
    .option('--budget-cost <usd>', 'max cost in USD', Number)
    .option('--budget-wall <duration>', 'max wall time, e.g. 45m')
    .option('--idempotency-key <key>', 'Idempotency-Key (default in CI: from the run, job and these arguments)')
    .option('--wait', 'follow the task until it finishes; the exit code says how')
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 30m) and exit 3')
    .option('--keep-on-timeout', 'with --timeout: leave the task running instead of aborting it')
    .option('--json', 'print the (final) task as JSON on stdout')
    .addOption(
      new Option('--progress <mode>', 'progress on stderr').choices(['auto', 'tty', 'plain', 'none']).default('auto'),
    )
    .action(async (o) => setExit(await dispatch(client(), o)));

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's parsed options
  async function dispatch(heddle: HeddleClient, o: Record<string, any>): Promise<number> {
    const timeoutMs = o.timeout !== undefined ? parseDuration(o.timeout) : undefined;
    if (timeoutMs !== undefined && !o.wait) throw new UsageError('--timeout needs --wait');
    const checks = [...(o.checksFile ? readChecksFile(o.checksFile) : []), ...(o.check ?? []).map(parseCheck)];
    let hostId: string | undefined;
    if (o.host) hostId = UUID.test(o.host) ? o.host : await hostIdByName(heddle, o.host);
    const budgets = {
      maxTurns: o.budgetTurns,
      maxTokens: o.budgetTokens,
      maxCostUsd: o.budgetCost,
      maxWallSeconds: o.budgetWall !== undefined ? Math.ceil(parseDuration(o.budgetWall) / 1000) : undefined,
    };
    const input: CreateTaskInput = {
      name: o.name ?? nameFromGoal(o.goal),
      workspace: o.workspace,
      goal: o.goal,
      ...(o.step ? { steps: o.step } : {}),
      ...(checks.length ? { checks } : {}),
      ...(hostId ? { hostId } : {}),
      ...(o.label ? { labels: o.label } : {}),
      ...(o.model ? { model: o.model } : {}),
      ...(o.agent ? { agent: o.agent } : {}),
      ...(o.plan ? { mode: 'plan' as const, planFile: o.plan } : {}),
      ...(Object.values(budgets).some((v) => v !== undefined) ? { budgets } : {}),
    };
    const idempotencyKey = o.idempotencyKey ?? ciIdempotencyKey(io.env, input);
    const view = new ProgressView(progressMode(o.progress, io.stderr, io.env), io.stderr);
    const { task, replayed } = await heddle.tasks.create(input, { idempotencyKey });
    view.message(
      replayed
        ? `task ${task.id} (${task.name}) already exists for idempotency key ${idempotencyKey}: following it`
        : `task ${task.id} (${task.name}) created`,
    );
    if (!o.wait) {
      if (o.json) printJson(task);
      else print(task.id);
      return EXIT.completed;
    }
    const final = await follow(heddle, task, view, { timeoutMs, keepOnTimeout: !!o.keepOnTimeout });
    if (o.json) printJson(final.task);
    else print(`${final.task.id} ${final.task.status}${final.task.reason ? ` ${final.task.reason}` : ''}`);
    return final.code;
  }

  /** Follows a task to its end: the exit code, and the task as it ended (or as the timeout left it). */
  async function follow(
    heddle: HeddleClient,
    task: Task,
    view: ProgressView,
    options: { timeoutMs?: number; keepOnTimeout?: boolean; onEvent?: (e: HeddleEvent) => void },
  ): Promise<{ code: number; task: Task }> {
    let latest = task;
    try {
      latest = await heddle.waitFor(task.id, {
        timeoutMs: options.timeoutMs,
        stream: {
          onReconnect: ({ lastSeq, attempt }) =>
            view.message(`event stream dropped; resuming after seq ${lastSeq} (attempt ${attempt})`),
        },
        onEvent: async (event) => {
          options.onEvent?.(event);
          if (event.type !== 'LOG_LINE') latest = await heddle.tasks.get(task.id);
          view.event(event, latest);
        },
      });
    } catch (err) {
      if (!(err instanceof HeddleTimeoutError)) throw err;
      if (options.keepOnTimeout) {
        view.message(`timed out after ${options.timeoutMs} ms; task ${task.id} keeps running (--keep-on-timeout)`);
        latest = await heddle.tasks.get(task.id);
      } else {
        view.message(`timed out after ${options.timeoutMs} ms; aborting task ${task.id}`);
        latest = await heddle.tasks.abort(task.id).catch(() => heddle.tasks.get(task.id));
      }
      view.finish(latest);
      return { code: EXIT.timedOut, task: latest };
    }
    view.finish(latest);
    return { code: exitCodeOfStatus(latest.status), task: latest };
  }

  program
    .command('status')
    .description("list the team's tasks")
    .option('--status <status>', 'only these statuses (comma list)')
    .option('--limit <n>', 'how many', positiveInt('--limit'), 20)
    .option('--json', 'JSON')
    .action(async (o) => {
      const page = await client().tasks.list({ status: o.status?.split(','), limit: o.limit });
      if (o.json) return void printJson(page.items);
      for (const t of page.items) print(`${t.id}  ${t.status.padEnd(11)} ${t.name}  ${describeTask(t)}`);
    });

  program
    .command('show')
    .argument('<task>', 'task id')
    .description('one task')
    .option('--json', 'JSON')
    .action(async (id: string, o) => {
      const t = await client().tasks.get(id);
      if (o.json) return void printJson(t);
      print(`${t.id}  ${t.name}\n  ${describeTask(t)}\n  workspace ${t.workspace}\n  goal ${t.goal}`);
      if (t.reasonDetail) print(`  ${t.reasonDetail}`);
    });

  program
    .command('logs')
    .argument('<task>', 'task id')
    .description("a task's events; --follow until it finishes (exit code as dispatch --wait)")
    .option('--follow', 'keep following')
    .option('--json', 'one JSON event per line')
    .action(async (id: string, o) => {
      const heddle = client();
      const line = (e: HeddleEvent) =>
        print(o.json ? JSON.stringify(e) : `${e.time} #${e.seq} ${e.type} ${JSON.stringify(e.data)}`);
      if (o.follow) {
        const task = await heddle.tasks.get(id);
        const result = await follow(heddle, task, new ProgressView('none', io.stderr), { onEvent: line });
        setExit(result.code);
        return;
      }
      let after = 0;
      for (;;) {
        const page = await heddle.events.list({ taskId: id, after, limit: 100 });
        page.items.forEach(line);
        if (page.items.length < 100) break;
        after = page.nextAfter;
      }
    });

  program
    .command('abort')
    .argument('<task>', 'task id')
    .description('abort a task')
    .option('--json', 'JSON')
    .action(async (id: string, o) => {
      const t = await client().tasks.abort(id);
      if (o.json) printJson(t);
      else print(`${t.id} ${t.status}`);
    });

  program
    .command('takeover')
    .argument('<task>', 'task id')
    .requiredOption('--goal <text>', 'the new goal, sent in the same session')
    .option('--json', 'JSON')
    .description('stop the current turn and continue the session with a new goal')
    .action(async (id: string, o) => {
      const t = await client().tasks.takeover(id, { goal: o.goal });
      if (o.json) printJson(t);
      else print(`${t.id} ${t.status}`);
    });

  program
    .command('message')
    .argument('<task>', 'task id')
    .argument('<text>', 'the message')
    .addOption(new Option('--lane <lane>', 'delivery lane').choices(['control', 'handoff', 'advice', 'default']))
    .option('--json', 'JSON')
    .description("queue a follow-up message, sent as the next prompt in the task's session")
    .action(async (id: string, text: string, o) => {
      const m = await client().tasks.sendMessage(id, { text, ...(o.lane ? { lane: o.lane } : {}) });
      if (o.json) printJson(m);
      else print(`${m.id} ${m.status}`);
    });

  program
    .command('hosts')
    .description("the team's hosts")
    .option('--json', 'JSON')
    .action(async (o) => {
      const page = await client().hosts.list({ limit: 100 });
      if (o.json) return void printJson(page.items);
      for (const h of page.items) print(`${h.id}  ${String(h.status).padEnd(8)} ${h.name}  ${h.labels.join(',')}`);
    });

  program
    .command('inbox')
    .argument('<file>', 'a task document: .md, .yaml/.yml, .txt or .docx (docs/inbox.md)')
    .description('turn one document into a task (POST /api/inbox); with --wait, follow it like dispatch')
    .option('--idempotency-key <key>', 'Idempotency-Key (default in CI: from the run, job and the document)')
    .option('--wait', 'follow the task until it finishes; the exit code says how')
    .option('--timeout <duration>', 'with --wait: give up after this long and exit 3')
    .option('--keep-on-timeout', 'with --timeout: leave the task running instead of aborting it')
    .option('--json', 'print the (final) task as JSON on stdout')
    .addOption(
      new Option('--progress <mode>', 'progress on stderr').choices(['auto', 'tty', 'plain', 'none']).default('auto'),
    )
    .action(async (file: string, o) => {
      const timeoutMs = o.timeout !== undefined ? parseDuration(o.timeout) : undefined;
      if (timeoutMs !== undefined && !o.wait) throw new UsageError('--timeout needs --wait');
      const contentType = documentType(file);
      let document: Uint8Array;
      try {
        document = readFileSync(file);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const heddle = client();
      const idempotencyKey =
        o.idempotencyKey ?? ciIdempotencyKey(io.env, { inbox: createHash('sha256').update(document).digest('hex') });
      const view = new ProgressView(progressMode(o.progress, io.stderr, io.env), io.stderr);
      const { task, replayed } = await heddle.inbox.submit(document, { contentType, idempotencyKey });
      view.message(
        replayed
          ? `task ${task.id} (${task.name}) already exists: following it`
          : `task ${task.id} (${task.name}) created`,
      );
      if (!o.wait) {
        if (o.json) printJson(task);
        else print(task.id);
        return;
      }
      const final = await follow(heddle, task, view, { timeoutMs, keepOnTimeout: !!o.keepOnTimeout });
      if (o.json) printJson(final.task);
      else print(`${final.task.id} ${final.task.status}${final.task.reason ? ` ${final.task.reason}` : ''}`);
      setExit(final.code);
    });

  const plan = program.command('plan').description('plans: a starter PLAN.md, or a checklist drafted by a host');
  plan
    .command('bootstrap')
    .description('a starter PLAN.md and loop prompt: printed, or written into a workspace on a host')
    .option('--goal <text>', 'what the plan is for')
    .option('--item <text>', 'a checklist item (repeatable)', collect)
    .option('--host <host>', 'host id or name (with --workspace: write the files there)')
    .option('--workspace <dir>', 'workspace directory on the host')
    .option('--force', 'overwrite files that exist')
    .option('--json', 'JSON')
    .action(async (o) => {
      if (!!o.host !== !!o.workspace) throw new UsageError('--host and --workspace go together');
      const heddle = client();
      const hostId = o.host ? (UUID.test(o.host) ? o.host : await hostIdByName(heddle, o.host)) : undefined;
      const made = await heddle.plans.bootstrap({
        ...(o.goal ? { goal: o.goal } : {}),
        ...(o.item ? { items: o.item } : {}),
        ...(hostId ? { hostId, workspace: o.workspace } : {}),
        ...(o.force ? { force: true } : {}),
      });
      if (o.json) return void printJson(made);
      if (made.written)
        for (const f of made.files ?? []) print(`wrote ${f.absolutePath}${f.overwritten ? ' (overwritten)' : ''}`);
      else print(made.plan);
    });
  plan
    .command('draft')
    .description('ask a host to turn an intent into a checklist of 3-8 items (not dispatched)')
    .requiredOption('--intent <text>', 'what you want done')
    .addOption(new Option('--host <host>', 'host id or name').conflicts('label'))
    .option('--label <label>', 'an online host with this label (repeatable)', collect)
    .option('--workspace <dir>', 'workspace directory on the host')
    .option('--json', 'JSON')
    .action(async (o) => {
      if (!o.host && !o.label) throw new UsageError('give --host or --label');
      const heddle = client();
      const hostId = o.host ? (UUID.test(o.host) ? o.host : await hostIdByName(heddle, o.host)) : undefined;
      const drafted = await heddle.plans.draft({
        intent: o.intent,
        ...(hostId ? { hostId } : { labels: o.label }),
        ...(o.workspace ? { workspace: o.workspace } : {}),
      });
      if (o.json) printJson(drafted);
      else print(drafted.plan);
    });

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('create')
    .requiredOption('--name <name>', 'token name')
    .requiredOption('--scope <scope>', 'a scope (repeatable), e.g. tasks:write', collect)
    .option('--expires <date>', 'expiry (ISO date)')
    .option('--json', 'JSON')
    .description('create a token (the secret is printed once)')
    .action(async (o) => {
      const created = await client().tokens.create({
        name: o.name,
        scopes: o.scope,
        ...(o.expires ? { expiresAt: o.expires } : {}),
      });
      if (o.json) printJson(created);
      else print(created.token);
    });
  tokens
    .command('list')
    .option('--json', 'JSON')
    .action(async (o) => {
      const page = await client().tokens.list();
      if (o.json) return void printJson(page.items);
      for (const t of page.items) print(`${t.id}  hdl_${t.prefix}_…  ${t.name}  ${t.scopes.join(',')}`);
    });
  tokens
    .command('revoke')
    .argument('<id>', 'token id')
    .action(async (id: string) => {
      await client().tokens.revoke(id);
      print(`${id} revoked`);
    });

  return program;
}

async function hostIdByName(heddle: HeddleClient, name: string): Promise<string> {
  let cursor: string | undefined;
  do {
    const page = await heddle.hosts.list({ limit: 100, cursor });
    const host = page.items.find((h) => h.name === name);
    if (host) return host.id;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  throw new UsageError(`no host named "${name}"`);
}

/** The content type of a task document, by its extension. */
function documentType(file: string): string {
  const ext = extname(file).toLowerCase();
  if (ext === '.md' || ext === '.markdown') return INBOX_CONTENT_TYPES.markdown;
  if (ext === '.yaml' || ext === '.yml') return INBOX_CONTENT_TYPES.yaml;
  if (ext === '.txt' || ext === '') return INBOX_CONTENT_TYPES.text;
  if (ext === '.docx') return INBOX_CONTENT_TYPES.docx;
  throw new UsageError(`${file}: not a task document (.md, .yaml, .yml, .txt or .docx)`);
}

function nameFromGoal(goal: string): string {
  const slug = goal
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'cli-task';
}
