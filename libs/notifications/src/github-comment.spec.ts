import { commentMarker, githubCommentBody, githubTarget } from './github-comment';

const URL = 'https://heddle.example.com';
const TASK = '0195f3c2-9a00-7000-8000-00000000a001';
const EVENT = '0195f3c2-9a00-7000-8000-00000000e001';

function event(type: string, data: Record<string, unknown>) {
  return { id: EVENT, type, seq: 7, taskId: TASK, hostId: null, data };
}

describe('githubTarget', () => {
  it.each([
    [
      { provider: 'github', repo: 'acme/api', number: 42, url: null },
      { repo: 'acme/api', number: 42 },
    ],
    [{ provider: 'github', repo: 'acme/api', number: 0 }, null],
    [{ provider: 'github', repo: 'acme/api', number: 1.5 }, null],
    [{ provider: 'github', repo: '../../x', number: 1 }, null],
    [{ provider: 'github', repo: '../x', number: 1 }, null],
    [{ provider: 'github', repo: 'acme/api/issues', number: 1 }, null],
    [{ provider: 'gitlab', repo: 'acme/api', number: 1 }, null],
    [null, null],
    ['acme/api#1', null],
  ])('%j → %j', (origin, expected) => {
    expect(githubTarget(origin)).toEqual(expected);
  });
});

describe('githubCommentBody', () => {
  it('says a task passed its checks, links to it and ends with the marker', () => {
    const body = githubCommentBody(
      event('TASK_COMPLETED', { name: 'acme/api#42 Flaky', verification: 'checks', checks: { passed: 3, total: 3 } }),
      URL,
    );
    expect(body.split('\n')).toEqual([
      '**✅ Heddle finished: the checks pass**',
      '',
      'Task `acme/api#42 Flaky`',
      'Checks: 3/3 passed',
      '',
      `[Open the task in Heddle](${URL}/api/tasks/${TASK})`,
      '',
      commentMarker(EVENT),
    ]);
  });

  it('names how a task completed without checks', () => {
    expect(githubCommentBody(event('TASK_COMPLETED', { name: 'n', verification: 'weak' }), URL)).toContain(
      'Verification: weak',
    );
  });

  it('gives the reason of a failure on one line, without markup that escapes', () => {
    const body = githubCommentBody(
      event('TASK_FAILED', { name: 'a`b', reason: 'budget.turns', reasonDetail: 'used 5 of 5\n<script>x</script>' }),
      URL,
    );
    expect(body).toContain("Task `a'b`");
    expect(body).toContain('Reason: `budget.turns` — used 5 of 5 scriptx/script');
    expect(body).not.toContain('<script>');
  });

  it('has a headline for every event it may receive', () => {
    for (const type of ['TASK_STARTED', 'TASK_COMPLETED', 'TASK_FAILED', 'TASK_ABORTED'])
      expect(githubCommentBody(event(type, {}), URL).split('\n')[0]).toMatch(/^\*\*\S+ Heddle /);
  });
});
