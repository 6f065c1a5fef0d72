import { parseCheck } from './checks';
import { parseDuration } from './duration';
import { UsageError } from './exit-codes';
import { ciIdempotencyKey } from './idempotency';
import { describeTask, progressMode } from './progress';

describe('ciIdempotencyKey', () => {
  const gh = { GITHUB_RUN_ID: '123', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'build' };
  const body = { name: 'n', workspace: '/w', goal: 'g', labels: ['a'] };

  it('is the same for a retried step (same run, attempt, job and arguments), whatever the key order', () => {
    const a = ciIdempotencyKey(gh, body);
    expect(a).toMatch(/^heddle-cli-gh-123-1-build-[0-9a-f]{32}$/);
    expect(ciIdempotencyKey({ ...gh }, { labels: ['a'], goal: 'g', workspace: '/w', name: 'n' })).toBe(a);
  });

  it('differs for another dispatch in the same job, another job, another attempt; none outside CI', () => {
    const a = ciIdempotencyKey(gh, body);
    expect(ciIdempotencyKey(gh, { ...body, goal: 'other' })).not.toBe(a);
    expect(ciIdempotencyKey({ ...gh, GITHUB_JOB: 'test' }, body)).not.toBe(a);
    expect(ciIdempotencyKey({ ...gh, GITHUB_RUN_ATTEMPT: '2' }, body)).not.toBe(a);
    expect(ciIdempotencyKey({ CI_PIPELINE_ID: '9', CI_JOB_ID: '10' }, body)).toMatch(/^heddle-cli-gl-9-10-/);
    expect(ciIdempotencyKey({}, body)).toBeUndefined();
  });
});

describe('parseDuration / parseCheck / progress', () => {
  it('reads durations', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('soon')).toThrow(UsageError);
  });

  it('reads check shorthands and JSON', () => {
    expect(parseCheck('file_exists:src/x.ts')).toEqual({ kind: 'file_exists', path: 'src/x.ts' });
    expect(parseCheck('file_contains:a.md:hello: world')).toEqual({
      kind: 'file_contains',
      path: 'a.md',
      pattern: 'hello: world',
    });
    expect(parseCheck('command:npm test')).toEqual({ kind: 'command', command: 'npm test' });
    expect(parseCheck('git_changed')).toEqual({ kind: 'git_changed' });
    expect(parseCheck('{"kind":"reply_json","schema":{}}')).toEqual({ kind: 'reply_json', schema: {} });
    expect(() => parseCheck('nonsense')).toThrow(UsageError);
  });

  it('chooses the progress mode and describes a task in one line', () => {
    expect(progressMode('auto', { isTTY: true }, {})).toBe('tty');
    expect(progressMode('auto', { isTTY: false }, {})).toBe('plain');
    expect(progressMode('auto', {}, { FORCE_TTY: '1' })).toBe('tty');
    expect(progressMode('plain', { isTTY: true }, {})).toBe('plain');
    const line = describeTask({
      status: 'running',
      currentTurn: 2,
      tokens: { input: 10_000, output: 2000, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0.0123,
      latestChecks: [{ passed: true }, { passed: false }],
      progress: { percent: 40, etaMs: 180_000 },
      waiting: null,
      reason: null,
    } as never);
    expect(line).toBe('running · turn 2 · 12.0k tokens · $0.0123 · checks 1/2 · plan 40% ETA 3m');
  });
});
