import { checkProblems, isWorkspacePath } from './check-list.validator';

describe('check list validation', () => {
  it('accepts each kind with its fields', () => {
    for (const check of [
      { kind: 'file_exists', path: 'a.md' },
      { kind: 'file_absent', path: 'tmp/x' },
      { kind: 'file_contains', path: 'a.md', pattern: 'x', regex: true, flags: 'i' },
      { kind: 'file_not_contains', path: 'a.md', pattern: 'TODO' },
      { kind: 'checklist_complete', path: 'tasks.md' },
      { kind: 'plan_complete_tag', path: 'PLAN.md' },
      { kind: 'git_changed' },
      { kind: 'git_changed', paths: ['src', 'test/a.ts'] },
      { kind: 'command', command: 'npm test', timeoutSeconds: 600 },
      { kind: 'json_schema', path: 'out.json', schema: { type: 'object' } },
    ]) {
      expect({ check, problems: checkProblems(check, 0) }).toEqual({ check, problems: [] });
    }
  });

  it.each([
    [{ kind: 'file_exist', path: 'a' }, /kind must be one of/],
    [{ kind: 'file_exists' }, /path is required/],
    [{ kind: 'file_exists', path: '../etc/passwd' }, /inside the workspace/],
    [{ kind: 'file_exists', path: '/etc/passwd' }, /inside the workspace/],
    [{ kind: 'file_contains', path: 'a' }, /pattern is required/],
    [{ kind: 'file_contains', path: 'a', pattern: '(', regex: true }, /not a valid regular expression/],
    [{ kind: 'command', command: '' }, /non-empty string/],
    [{ kind: 'command', command: 'x', timeoutSeconds: 0 }, /timeoutSeconds/],
    [{ kind: 'git_changed', paths: ['ok', '../no'] }, /paths must be relative/],
    [{ kind: 'json_schema', path: 'a.json', schema: [] }, /JSON Schema object/],
    ['file_exists', /must be an object/],
  ])('refuses %j', (check, message) => {
    expect(checkProblems(check, 3).join('; ')).toMatch(message);
    expect(checkProblems(check, 3)[0]).toMatch(/^checks\[3\]/);
  });

  it('confines paths', () => {
    expect(isWorkspacePath('a/b/c.md')).toBe(true);
    expect(isWorkspacePath('a/../b')).toBe(false);
    expect(isWorkspacePath('a\\..\\b')).toBe(false);
    expect(isWorkspacePath('a\0b')).toBe(false);
    expect(isWorkspacePath('')).toBe(false);
  });
});
