/**
 * What the OpenCode contract suite (test/opencode-contract.e2e-spec.ts) needs from a server under
 * test, and the real-server implementation. A second target (the in-process fake host,
 * libs/testing/src/fake-opencode) plugs in by implementing {@link ContractTargetFactory}.
 */
import {
  EventSubscription,
  OpencodeClient,
  OpencodeEvent,
  QuestionInfo,
  SubscribeOptions,
  SubscriptionNotice,
} from '@heddle/opencode-client';
import { FAKE_DONE_CONTENT } from './fake-llm';
import {
  FAKE_MODEL_REF,
  ModelCost,
  RealOpencode,
  opencodeBinaryAvailable,
  opencodeBinaryRequired,
  startRealOpencode,
} from './real-opencode';

/** Usage the model reports for one LLM step, in OpenAI terms (`usage` chunk). */
export interface TokenUsage {
  /** `prompt_tokens`, cached ones included. */
  prompt: number;
  /** `completion_tokens`, reasoning ones included. */
  completion: number;
  cached?: number;
  reasoning?: number;
}

/** A prompt text, possibly after the target registered a script for it. */
export type PromptText = string | Promise<string>;

/**
 * How to make the target's model do X. The real target maps each to the scripted fake LLM's
 * keywords (fake-llm.ts); a fake host may register a script and return its matching text.
 * Each scenario ends the turn as described unless it waits (hang, hangTool, ask, permission).
 */
export interface Scenario {
  /** The model writes `path` (relative to the session directory) with `write`, then answers "done". */
  writeFile(path: string, options?: { usage?: TokenUsage }): PromptText;
  /** The model answers "done" without a tool. */
  reply(options?: { usage?: TokenUsage }): PromptText;
  /** The LLM call never answers; only abort ends the turn. */
  hang(): PromptText;
  /** The model runs a `bash` command that never ends (`sleep 600`); only abort ends it. */
  hangTool(): PromptText;
  /** The LLM answers HTTP 400: `APIError`, not retried. */
  fail(): PromptText;
  /** The model calls the `question` tool with these questions, then answers "done". */
  ask(questions: QuestionInfo[]): PromptText;
  /** The model runs `command` with the `bash` tool, then answers "done". */
  bash(command: string): PromptText;
  /** What `writeFile` writes. */
  readonly fileContent: string;
}

export interface ContractTargetOptions {
  /** Basic auth (`OPENCODE_SERVER_PASSWORD`), user `opencode`. */
  password?: string;
  /** Config-level permissions, e.g. `{ edit: 'ask' }`; default everything allowed. */
  permission?: Record<string, 'allow' | 'ask' | 'deny'>;
  /** The server's SHELL; default `/bin/bash`. A fake may ignore it (its shell route must still work). */
  shell?: '/bin/bash' | '/bin/sh';
  /** Model prices (USD per 1M tokens); without them every cost is 0. */
  cost?: ModelCost;
  /** Names of further workspaces served by the same server. */
  extraWorkspaces?: string[];
}

export interface ContractTarget {
  readonly baseUrl: string;
  readonly port: number;
  /** Credentials when started with a password. */
  readonly auth?: { username: string; password: string };
  /** Main workspace: absolute path of a git repo with one commit containing README.md, src/a.ts (`// TODO: find me`) and `<name>.txt`. */
  readonly workspace: string;
  /** Extra workspaces by name, same layout. */
  readonly workspaces: Record<string, string>;
  /** `provider/model` the target's model answers to. */
  readonly model: string;
  readonly scenario: Scenario;
  /**
   * Stop and start the server on the same port, keeping its state (sessions). Optional: the
   * event-stream reconnect case runs only where it exists.
   */
  readonly restartable?: { stopServer(): Promise<void>; startServer(): Promise<void> };
  /** Optional extra evidence a target can give. */
  readonly probes?: {
    /** LLM calls still held open (HANG); 0 after an abort means the server closed the socket. */
    openLlmCalls?(): number;
    waitForNoOpenLlmCalls?(timeoutMs: number): Promise<void>;
    /** Command lines of processes the server's tools started that are still running. */
    toolProcesses?(): string[];
  };
  stop(): Promise<void>;
}

export interface ContractTargetFactory {
  readonly name: string;
  /** False lists the target without running it (e.g. the binary is missing on a platform that may lack it). */
  readonly enabled: boolean;
  start(options?: ContractTargetOptions): Promise<ContractTarget>;
}

// ---- the real `opencode serve` -------------------------------------------------------------------

function usageKeyword(usage?: TokenUsage): string {
  if (!usage) return '';
  return ` TOKENS:${usage.prompt},${usage.completion},${usage.cached ?? 0},${usage.reasoning ?? 0}`;
}

export const realScenario: Scenario = {
  writeFile: (path, options) => `FILE:${path}${usageKeyword(options?.usage)}`,
  reply: (options) => `NOTOOL${usageKeyword(options?.usage)}`,
  hang: () => 'HANG',
  hangTool: () => 'SLEEPTOOL',
  fail: () => 'FAIL',
  ask: (questions) => `ASK:${JSON.stringify(questions)}`,
  bash: (command) => `CALL:bash ${JSON.stringify({ command, description: 'Run a command' })}`,
  fileContent: FAKE_DONE_CONTENT,
};

export function realTarget(oc: RealOpencode): ContractTarget {
  return {
    baseUrl: oc.baseUrl,
    port: oc.port,
    auth: oc.password ? { username: oc.username, password: oc.password } : undefined,
    workspace: oc.workspace,
    workspaces: oc.workspaces,
    model: FAKE_MODEL_REF,
    scenario: realScenario,
    restartable: { stopServer: () => oc.stopServer(), startServer: () => oc.startServer() },
    probes: {
      openLlmCalls: () => oc.llm.openHangs(),
      waitForNoOpenLlmCalls: (ms) => oc.llm.waitForNoHangs(ms),
      toolProcesses: () => oc.toolProcesses(),
    },
    stop: () => oc.stop(),
  };
}

export const realOpencodeTarget: ContractTargetFactory = {
  name: 'real opencode serve',
  // On linux-x64 a missing binary must fail the suite (startRealOpencode throws), never skip it.
  enabled: opencodeBinaryRequired() || opencodeBinaryAvailable(),
  async start(options = {}) {
    return realTarget(await startRealOpencode(options));
  },
};

// ---- helpers the cases share -----------------------------------------------------------------------

/** What OpenCode records for a usage chunk (opencode-api.md §7): input excludes cached, output excludes reasoning. */
export function expectedTokens(u: TokenUsage) {
  const cached = u.cached ?? 0;
  const reasoning = u.reasoning ?? 0;
  return {
    total: u.prompt + u.completion,
    input: u.prompt - cached,
    output: u.completion - reasoning,
    reasoning,
    cache: { read: cached, write: 0 },
  };
}

/** USD for one step; reasoning is billed at the output rate. */
export function expectedCost(u: TokenUsage, cost: ModelCost): number {
  const t = expectedTokens(u);
  return (t.input * cost.input + (t.output + t.reasoning) * cost.output + t.cache.read * (cost.cache_read ?? 0)) / 1e6;
}

/**
 * Records one directory's event stream through the client under test, so cases can await events
 * instead of sleeping. `waitFor` also matches events that arrived before it was called (from `since`).
 */
export class EventRecorder {
  readonly events: OpencodeEvent[] = [];
  readonly notices: SubscriptionNotice[] = [];
  private waiters = new Set<() => void>();
  private subscription!: EventSubscription;

  static async start(client: OpencodeClient, directory?: string, options?: SubscribeOptions): Promise<EventRecorder> {
    const r = new EventRecorder();
    r.subscription = client.subscribe(
      directory,
      (n) => {
        r.notices.push(n);
        if (n.type === 'event') r.events.push(n.event);
        for (const w of r.waiters) w();
      },
      options,
    );
    if (!(await r.subscription.ready)) throw new Error('event subscription closed before connecting');
    return r;
  }

  /** Index to pass as `since` to only match later events. */
  mark(): number {
    return this.events.length;
  }

  waitFor<T extends OpencodeEvent = OpencodeEvent>(
    match: (e: OpencodeEvent) => boolean,
    options: { since?: number; timeoutMs?: number; what?: string } = {},
  ): Promise<T> {
    return this.waitUntil(
      () => this.events.slice(options.since ?? 0).find(match) as T | undefined,
      options.timeoutMs ?? 20_000,
      options.what ?? 'event',
    );
  }

  waitForNotice(
    match: (n: SubscriptionNotice) => boolean,
    options: { since?: number; timeoutMs?: number; what?: string } = {},
  ): Promise<SubscriptionNotice> {
    return this.waitUntil(
      () => this.notices.slice(options.since ?? 0).find(match),
      options.timeoutMs ?? 20_000,
      options.what ?? 'notice',
    );
  }

  /** The session went busy and then idle again (a turn ended), counting from `since`. */
  async turnEnded(sessionId: string, since: number, timeoutMs = 20_000): Promise<void> {
    const isStatus = (type: string) => (e: OpencodeEvent) =>
      e.type === 'session.status' && e.properties.sessionID === sessionId && e.properties.status.type === type;
    await this.waitFor(isStatus('busy'), { since, timeoutMs, what: `busy of ${sessionId}` });
    const busyAt = this.events.findIndex((e, i) => i >= since && isStatus('busy')(e));
    await this.waitFor(isStatus('idle'), { since: busyAt + 1, timeoutMs, what: `idle of ${sessionId}` });
  }

  async close(): Promise<void> {
    await this.subscription.close();
  }

  private waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.notices
          .slice(-40)
          .map((n) => (n.type === 'event' ? n.event.type : n.type))
          .join(', ');
        reject(new Error(`no ${what} within ${timeoutMs} ms; last notices: ${seen}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}
