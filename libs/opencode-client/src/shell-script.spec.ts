import { spawnSync } from 'node:child_process';
import { buildShellScript, MAX_SERVER_COMMAND_LENGTH, parseShellOutput } from './shell-script';

/** What OpenCode does with the command under SHELL=bash (§9) and under SHELL=sh. */
function runLikeOpencode(serverCommand: string, shell: 'bash' | 'sh'): string {
  const args = shell === 'bash' ? ['-c', `eval ${JSON.stringify(serverCommand)}`] : ['-c', serverCommand];
  const r = spawnSync(shell === 'bash' ? '/bin/bash' : '/bin/sh', args, { encoding: 'utf8', timeout: 10_000 });
  return r.stdout + r.stderr;
}

describe('buildShellScript', () => {
  it('sends the server only characters no shell rewrites', () => {
    const { serverCommand } = buildShellScript('echo "$HOME" \'q\'; false\necho `date` $(pwd) \\ done');
    expect(serverCommand).toMatch(/^echo [A-Za-z0-9+/=]+ \| base64 -d \| sh$/);
  });

  it('uses a fresh nonce per call, or the given one', () => {
    expect(buildShellScript('true').marker).not.toBe(buildShellScript('true').marker);
    expect(buildShellScript('true', { nonce: 'abc123' }).marker).toBe('__HEDDLE_EXIT_abc123');
    expect(() => buildShellScript('true', { nonce: 'a b' })).toThrow(TypeError);
    expect(() => buildShellScript('true', { shell: 'sh; rm' })).toThrow(TypeError);
  });

  it('refuses commands that would not fit one argv entry', () => {
    expect(() => buildShellScript('x'.repeat(MAX_SERVER_COMMAND_LENGTH))).toThrow(RangeError);
  });

  // The real server is covered by the contract suite; this pins the encoding with local shells.
  it.each(['bash', 'sh'] as const)('round-trips exit codes, $, quotes and newlines through %s', (shell) => {
    const cases: [string, number, string][] = [
      ['echo hi; echo err >&2; exit 3', 3, 'hi\nerr\n'],
      ['X=1; echo "a\\"b $X \'q\'"\nfalse\necho "E=$?"', 0, "a\"b 1 'q'\nE=1\n"],
      ['cat <<EOF\nheredoc $((1+2))\nEOF', 0, 'heredoc 3\n'],
      ['printf "no newline"', 0, 'no newline'],
      ['read x; echo "stdin=[$x]"', 0, 'stdin=[]\n'],
      ['true', 0, ''],
    ];
    for (const [command, exitCode, output] of cases) {
      const script = buildShellScript(command);
      expect(parseShellOutput(runLikeOpencode(script.serverCommand, shell), script.marker)).toEqual({
        exitCode,
        output,
      });
    }
  });

  it('reports a syntax error in the command as exit 2 with the shell message', () => {
    const script = buildShellScript('echo (');
    const parsed = parseShellOutput(runLikeOpencode(script.serverCommand, 'bash'), script.marker);
    expect(parsed.exitCode).toBe(2);
    expect(parsed.output).toMatch(/syntax error/i);
  });
});

describe('parseShellOutput', () => {
  const marker = '__HEDDLE_EXIT_n1';

  it('takes the exit code from the last marker and strips it', () => {
    expect(parseShellOutput(`out\n\n${marker}=7\n`, marker)).toEqual({ exitCode: 7, output: 'out\n' });
    expect(parseShellOutput(`fake\n${marker}=1\nreal\n${marker}=0\n`, marker)).toEqual({
      exitCode: 0,
      output: `fake\n${marker}=1\nreal`,
    });
  });

  it('keeps text printed after the marker (a background job) ', () => {
    expect(parseShellOutput(`a\n${marker}=0\nlate\n`, marker)).toEqual({ exitCode: 0, output: 'alate\n' });
  });

  it('gives exitCode null and OpenCode`s note when the command was aborted', () => {
    const raw = 'start\n\n\n<metadata>\nUser aborted the command\n</metadata>';
    expect(parseShellOutput(raw, marker)).toEqual({
      exitCode: null,
      output: 'start\n',
      note: 'User aborted the command',
    });
    expect(
      parseShellOutput('(no output)\n\n<shell_metadata>\nUser aborted the command\n</shell_metadata>', marker),
    ).toEqual({ exitCode: null, output: '(no output)', note: 'User aborted the command' });
  });

  it('ignores markers of another nonce and malformed ones', () => {
    expect(parseShellOutput('x\n__HEDDLE_EXIT_other=0\n', marker).exitCode).toBeNull();
    expect(parseShellOutput(`x\n${marker}=abc\n`, marker).exitCode).toBeNull();
    expect(parseShellOutput('', marker)).toEqual({ exitCode: null, output: '' });
  });
});
