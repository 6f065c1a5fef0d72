import { randomBytes } from 'node:crypto';

/**
 * `POST /session/{id}/shell` reports no exit code, and under bash/zsh OpenCode runs
 * `bash -l -c '…; eval <JSON.stringify(command)>'`, which expands `$…` before `eval`, turns
 * newlines into `n` and breaks on `"` (opencode-api.md §9). So the server only ever sees
 *
 *     echo <base64> | base64 -d | sh
 *
 * (letters, digits, `+/=`, spaces and pipes: nothing any shell rewrites). The decoded wrapper runs
 * the caller's command, itself base64-encoded again, with `sh -c` (stdin from /dev/null, stderr
 * merged), then prints a marker with a per-call nonce and `$?`. A syntax error in the command only
 * fails the inner `sh -c` (exit 2), so the marker is always printed.
 */
export interface ShellScript {
  /** What to send as `command` to `/shell`. */
  serverCommand: string;
  /** The marker's name; {@link parseShellOutput} needs it. */
  marker: string;
}

/** The `command` string sent to the server must fit one argv entry (Linux: 128 KiB). */
export const MAX_SERVER_COMMAND_LENGTH = 100_000;

export function buildShellScript(command: string, options: { nonce?: string; shell?: string } = {}): ShellScript {
  const nonce = options.nonce ?? randomBytes(8).toString('hex');
  if (!/^[A-Za-z0-9_]+$/.test(nonce)) throw new TypeError('nonce must be alphanumeric');
  const shell = options.shell ?? 'sh';
  if (!/^[A-Za-z0-9_./-]+$/.test(shell))
    throw new TypeError(`shell must be a plain path, got ${JSON.stringify(shell)}`);
  const marker = `__HEDDLE_EXIT_${nonce}`;
  const inner = Buffer.from(command, 'utf8').toString('base64');
  // `printf x` keeps trailing newlines through `$(…)` (a heredoc may end the command).
  const wrapper = [
    `__heddle_cmd=$(printf '%s' '${inner}' | base64 -d; printf x)`,
    `${shell} -c "\${__heddle_cmd%x}" </dev/null 2>&1`,
    `__heddle_status=$?`,
    `printf '\\n%s=%d\\n' '${marker}' "$__heddle_status"`,
    '',
  ].join('\n');
  const serverCommand = `echo ${Buffer.from(wrapper, 'utf8').toString('base64')} | base64 -d | sh`;
  if (serverCommand.length > MAX_SERVER_COMMAND_LENGTH) {
    throw new RangeError(
      `command too long for /shell (${command.length} characters; the encoded form must stay under ${MAX_SERVER_COMMAND_LENGTH})`,
    );
  }
  return { serverCommand, marker };
}

export interface ParsedShellOutput {
  /** The command's exit status, or null when the marker is missing (aborted, killed, output lost). */
  exitCode: number | null;
  /** stdout and stderr as merged by the shell, without the marker and OpenCode's notes. */
  output: string;
  /** OpenCode's own note appended to the output, e.g. "User aborted the command". */
  note?: string;
}

// OpenCode appends `\n\n<metadata>\nUser aborted the command\n</metadata>` (shell route) or
// `<shell_metadata>…</shell_metadata>` (bash tool) when it cuts a command short.
const NOTE = /(?:\n\n)?<(shell_)?metadata>\n?([\s\S]*?)\n?<\/(shell_)?metadata>\s*$/;

export function parseShellOutput(raw: string, marker: string): ParsedShellOutput {
  let text = raw;
  let note: string | undefined;
  const noteMatch = NOTE.exec(text);
  if (noteMatch) {
    note = noteMatch[2].trim();
    text = text.slice(0, noteMatch.index);
  }
  const needle = `\n${marker}=`;
  const at = text.lastIndexOf(needle);
  if (at < 0) return { exitCode: null, output: text, ...(note ? { note } : {}) };
  const rest = text.slice(at + needle.length);
  const m = /^(\d+)\n?/.exec(rest);
  if (!m) return { exitCode: null, output: text, ...(note ? { note } : {}) };
  const after = rest.slice(m[0].length);
  return { exitCode: Number(m[1]), output: text.slice(0, at) + after, ...(note ? { note } : {}) };
}
