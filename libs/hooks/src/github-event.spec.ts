import { matchTrigger, parseGithubEvent, workspaceFor } from './github-event';

/** The parts of a GitHub `issue_comment` delivery Heddle reads, shaped as GitHub sends them. */
function issueComment(body: string, overrides: Record<string, unknown> = {}) {
  return {
    action: 'created',
    issue: {
      number: 42,
      title: 'Flaky test in api',
      body: 'tests/api.spec.ts fails one run in ten',
      html_url: 'https://github.com/acme/api/issues/42',
      user: { login: 'alice', type: 'User' },
      labels: [],
    },
    comment: {
      id: 1,
      body,
      html_url: 'https://github.com/acme/api/issues/42#issuecomment-1',
      user: { login: 'alice' },
    },
    repository: { id: 7, name: 'api', full_name: 'acme/api', owner: { login: 'acme' } },
    sender: { login: 'alice', type: 'User' },
    ...overrides,
  };
}

const config = { repos: { 'acme/api': '/srv/repos/api' }, trigger: '/heddle', label: 'heddle' };

describe('GitHub triggers', () => {
  it('matches the trigger at the start of a line, as a word of its own', () => {
    expect(matchTrigger('/heddle fix the test')).toBe('fix the test');
    expect(matchTrigger('Thanks!\n  /heddle fix it\nand add a test')).toBe('fix it\nand add a test');
    expect(matchTrigger('/heddle')).toBe('');
    expect(matchTrigger('/heddles fix')).toBeUndefined();
    expect(matchTrigger('please /heddle fix')).toBeUndefined();
    expect(matchTrigger('!go now', '!go')).toBe('now');
  });

  it('maps repos exactly, then case-insensitively', () => {
    expect(workspaceFor(config.repos, 'acme/api')).toBe('/srv/repos/api');
    expect(workspaceFor(config.repos, 'ACME/Api')).toBe('/srv/repos/api');
    expect(workspaceFor(config.repos, 'acme/web')).toBeUndefined();
  });

  it('turns a triggering issue comment into a task', () => {
    const outcome = parseGithubEvent('issue_comment', issueComment('/heddle fix the flaky test'), config);
    expect(outcome).toMatchObject({
      kind: 'task',
      name: 'acme/api#42 Flaky test in api',
      workspace: '/srv/repos/api',
      origin: { provider: 'github', repo: 'acme/api', number: 42, url: 'https://github.com/acme/api/issues/42' },
    });
    if (outcome.kind !== 'task') throw new Error('no task');
    expect(outcome.goal).toMatch(/^fix the flaky test\n/);
    expect(outcome.goal).toContain('tests/api.spec.ts fails one run in ten');
  });

  it('a bare trigger takes the issue as the goal', () => {
    const outcome = parseGithubEvent('issue_comment', issueComment('/heddle'), config);
    expect(outcome.kind === 'task' && outcome.goal.startsWith('acme/api#42: Flaky test in api')).toBe(true);
  });

  it('ignores comments without the trigger, edits, bots and other events', () => {
    expect(parseGithubEvent('issue_comment', issueComment('looks good'), config)).toEqual({
      kind: 'ignored',
      reason: 'no trigger in the comment',
    });
    expect(parseGithubEvent('issue_comment', issueComment('/heddle go', { action: 'edited' }), config).kind).toBe(
      'ignored',
    );
    expect(
      parseGithubEvent(
        'issue_comment',
        issueComment('/heddle go', { sender: { login: 'ci[bot]', type: 'Bot' } }),
        config,
      ).kind,
    ).toBe('ignored');
    expect(parseGithubEvent('push', { repository: { full_name: 'acme/api' } }, config).kind).toBe('ignored');
    expect(parseGithubEvent('ping', { zen: 'Keep it simple' }, config)).toEqual({ kind: 'ignored', reason: 'ping' });
  });

  it('reports a repo without a workspace', () => {
    const payload = issueComment('/heddle go', { repository: { full_name: 'acme/web' } });
    expect(parseGithubEvent('issue_comment', payload, config)).toEqual({ kind: 'unmapped', repo: 'acme/web' });
  });

  it('fires on the configured label only', () => {
    const labeled = (name: string) => ({
      action: 'labeled',
      label: { name },
      issue: { number: 5, title: 'Add dark mode', body: 'Please', html_url: 'https://github.com/acme/api/issues/5' },
      repository: { full_name: 'acme/api' },
      sender: { login: 'bob', type: 'User' },
    });
    expect(parseGithubEvent('issues', labeled('heddle'), config)).toMatchObject({
      kind: 'task',
      name: 'acme/api#5 Add dark mode',
    });
    expect(parseGithubEvent('issues', labeled('bug'), config)).toEqual({ kind: 'ignored', reason: 'another label' });
    expect(parseGithubEvent('issues', labeled('heddle'), { repos: config.repos }).kind).toBe('ignored');
  });

  it('handles comments on pull requests', () => {
    const payload = issueComment('/heddle rebase', {
      issue: { number: 9, title: 'PR', body: null, pull_request: { url: 'x' } },
    });
    expect(parseGithubEvent('issue_comment', payload, config)).toMatchObject({ kind: 'task', origin: { number: 9 } });
  });
});
