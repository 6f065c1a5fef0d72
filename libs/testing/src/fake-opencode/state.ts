import type { FakePermissionRule, FakeTokens, FakeTokensInput, FakeModelCost } from './types';

export interface MessageRecord {
  info: Record<string, any>;
  parts: Record<string, any>[];
}

export interface SessionRecord {
  id: string;
  slug: string;
  projectID: string;
  directory: string;
  worktree: string;
  path: string;
  parentID?: string;
  summary?: { additions: number; deletions: number; files: number };
  cost: number;
  tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } };
  title: string;
  /** The title is the default one and the first prompt will replace it. */
  defaultTitle: boolean;
  agent?: string;
  model?: { id: string; providerID: string; variant: string };
  version: string;
  metadata?: Record<string, unknown>;
  time: { created: number; updated: number; archived?: number };
  permission?: FakePermissionRule[];
  messages: MessageRecord[];
  /** A snapshot hash standing in for the git tree OpenCode records at step boundaries. */
  snapshot: string;
}

/** The session as the API returns it (key order as observed). */
export function sessionInfo(s: SessionRecord): Record<string, unknown> {
  const info: Record<string, unknown> = {
    id: s.id,
    slug: s.slug,
    projectID: s.projectID,
    directory: s.directory,
    path: s.path,
  };
  if (s.parentID) info.parentID = s.parentID;
  if (s.summary) info.summary = { ...s.summary };
  info.cost = s.cost;
  info.tokens = { ...s.tokens, cache: { ...s.tokens.cache } };
  info.title = s.title;
  if (s.agent) info.agent = s.agent;
  if (s.model) info.model = { ...s.model };
  info.version = s.version;
  if (s.metadata) info.metadata = s.metadata;
  info.time = { ...s.time };
  if (s.permission) info.permission = s.permission.map((r) => ({ ...r }));
  return info;
}

export function zeroTokens(): SessionRecord['tokens'] {
  return { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } };
}

export function stepTokens(input: FakeTokensInput | undefined, defaults: FakeTokensInput): FakeTokens {
  const pick = (k: 'input' | 'output' | 'reasoning') => input?.[k] ?? defaults[k] ?? 0;
  const read = input?.cache?.read ?? defaults.cache?.read ?? 0;
  const write = input?.cache?.write ?? defaults.cache?.write ?? 0;
  const t = { input: pick('input'), output: pick('output'), reasoning: pick('reasoning') };
  return { total: t.input + t.output + t.reasoning + read + write, ...t, cache: { read, write } };
}

/** USD, as OpenCode prices a step: reasoning at the output rate. */
export function price(tokens: FakeTokens, cost: FakeModelCost | undefined): number {
  if (!cost) return 0;
  return (
    (tokens.input * cost.input +
      (tokens.output + tokens.reasoning) * cost.output +
      tokens.cache.read * (cost.cache_read ?? 0) +
      tokens.cache.write * (cost.cache_write ?? 0)) /
    1_000_000
  );
}

/** One entry of `session.status` that isn't idle. */
export type BusyStatus = { type: 'busy' } | { type: 'retry'; attempt: number; message: string; next: number };

export function aborted(): { name: 'MessageAbortedError'; data: { message: string } } {
  return { name: 'MessageAbortedError', data: { message: 'Aborted' } };
}

/**
 * Glob as OpenCode's permission wildcards: `*` any run, `?` one character, whole-string match; a
 * pattern ending in ` *` also matches without the tail (`echo *` covers a bare `echo`).
 */
export function wildcard(pattern: string, value: string): boolean {
  let re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  if (re.endsWith(' .*')) re = `${re.slice(0, -3)}( .*)?`;
  return new RegExp(`^${re}$`, 's').test(value);
}

export function abortError(): Error {
  const err = new Error('Aborted');
  err.name = 'AbortError';
  return err;
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** Resolves with `promise`, or rejects with an AbortError as soon as `signal` aborts. */
export function abortable<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `promise` settles or after `ms`, whichever is first, leaving no timer behind. */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

/** `ms` of waiting that an abort cuts short (rejecting with an AbortError) and leaves no timer behind. */
export function delay(signal: AbortSignal, ms: number): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Never settles (a model call that hangs); pair with `abortable`. */
export const never: Promise<never> = new Promise<never>(() => undefined);
