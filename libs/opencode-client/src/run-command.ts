// A command run through `POST /session/{id}/shell`, with the exit code and output OpenCode does not
// report itself (see shell-script.ts) and a timeout that aborts the session to kill the command.
import { ApiCaller } from './api-call';
import { OpencodeTimeoutError } from './errors';
import { ModelRef, toModelRef } from './model-ref';
import { isMessage } from './response-checks';
import { buildShellScript, parseShellOutput } from './shell-script';
import type { MessageWithParts } from './types';

export interface RunCommandOptions {
  /** Abort the session when the command runs longer; default 60 000 ms. */
  timeoutMs?: number;
  /** Default `build` (OpenCode requires one). */
  agent?: string;
  model?: string | ModelRef;
  /** The shell that runs the command itself; default `sh`. */
  shell?: string;
  directory?: string;
}

export interface CommandResult {
  /** Exit status; null when the command did not finish (timed out, aborted). */
  exitCode: number | null;
  /** stdout and stderr merged, without the exit marker or OpenCode's notes. */
  output: string;
  /** The command hit `timeoutMs` and the session was aborted. */
  timedOut: boolean;
  /** OpenCode's note when it cut the command short ("User aborted the command"). */
  note?: string;
  /** The assistant message holding the tool part. */
  messageID: string;
}

/** Aborts the session the command runs in (the only way to stop it). */
export type AbortSession = (sessionId: string, opts: { directory?: string }) => Promise<unknown>;

/** Grace for the server to answer `/shell` after we aborted the session on timeout. */
const SHELL_ABORT_GRACE_MS = 10_000;

export async function runCommand(
  api: ApiCaller,
  abort: AbortSession,
  sessionId: string,
  command: string,
  options: RunCommandOptions,
): Promise<CommandResult> {
  const script = buildShellScript(command, { shell: options.shell });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const model = options.model === undefined ? undefined : toModelRef(options.model);
  let aborted = false;
  const timer = setTimeout(() => {
    aborted = true;
    abort(sessionId, { directory: options.directory }).catch(() => undefined);
  }, timeoutMs);
  let result: MessageWithParts;
  try {
    result = await api.call(
      'post',
      '/session/{sessionID}/shell',
      {
        path: { sessionID: sessionId },
        body: { agent: options.agent ?? 'build', command: script.serverCommand, ...(model ? { model } : {}) },
        check: isMessage,
        shape: '{info, parts}',
      },
      { directory: options.directory, timeoutMs: timeoutMs + SHELL_ABORT_GRACE_MS },
    );
  } catch (err) {
    // Our own deadline passed before the server's answer: the command may still run, so stop it.
    if (err instanceof OpencodeTimeoutError && !aborted) {
      await abort(sessionId, { directory: options.directory }).catch(() => undefined);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const tool = result.parts.find((p) => p.type === 'tool');
  let raw = '';
  if (tool && tool.type === 'tool') {
    const state = tool.state as { output?: unknown; error?: unknown; metadata?: { output?: unknown } };
    const text = state.output ?? state.metadata?.output ?? state.error;
    raw = typeof text === 'string' ? text : '';
  }
  const parsed = parseShellOutput(raw, script.marker);
  return {
    exitCode: parsed.exitCode,
    output: parsed.output,
    timedOut: aborted && parsed.exitCode === null,
    ...(parsed.note ? { note: parsed.note } : {}),
    messageID: result.info.id,
  };
}
