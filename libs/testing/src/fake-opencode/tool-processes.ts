// The commands the fake host's tools run: real `sh -c` children (their own process group, so an
// abort or stop() kills what they started too) and simulated ones (hangs) listed alongside.
import { ChildProcess, spawn } from 'node:child_process';

export class ToolProcesses {
  private readonly children = new Map<ChildProcess, string>();
  private readonly simulated = new Set<{ command: string }>();

  /** Commands still running, real and simulated. */
  list(): string[] {
    return [...this.children.values(), ...[...this.simulated].map((s) => s.command)];
  }

  /** Lists a simulated command as running; returns its removal. */
  track(command: string): () => void {
    const entry = { command };
    this.simulated.add(entry);
    return () => this.simulated.delete(entry);
  }

  /** Runs `sh -c command` in cwd, stdout and stderr merged; resolves the exit code (null when killed). */
  exec(command: string, cwd: string, onOutput: (chunk: string) => void, signal?: AbortSignal): Promise<number | null> {
    return new Promise((resolveExit) => {
      const child = spawn('sh', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.set(child, `sh -c ${command}`);
      const kill = () => killGroup(child);
      signal?.addEventListener('abort', kill, { once: true });
      const onData = (chunk: Buffer) => onOutput(chunk.toString('utf8'));
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      let settled = false;
      const finish = (code: number | null) => {
        if (settled) return;
        settled = true;
        this.children.delete(child);
        signal?.removeEventListener('abort', kill);
        resolveExit(code);
      };
      child.on('error', (err) => {
        onOutput(`${err.message}\n`);
        finish(127);
      });
      child.on('close', (code) => finish(code));
    });
  }

  /** Kills every real child's process group (stop()). */
  killAll(): void {
    for (const child of this.children.keys()) killGroup(child);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
