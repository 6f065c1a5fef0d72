import { WorkspacePathError, resolveWorkspacePath, workspacePathProblem } from './workspace-path';

const WS = '/srv/ws';

describe('resolveWorkspacePath', () => {
  it.each([
    ['src/a.ts', 'src/a.ts'],
    ['./src/a.ts', 'src/a.ts'],
    ['src//a.ts', 'src/a.ts'],
    ['src/', 'src'],
    ['src/../README.md', 'README.md'],
    ['a/b/../../c', 'c'],
    ['.hidden', '.hidden'],
    ['..foo', '..foo'],
    ['foo..', 'foo..'],
    ['/srv/ws/src/a.ts', 'src/a.ts'],
    ['/srv/ws/./src/../x', 'x'],
    ['/srv/other/../ws/x', 'x'],
  ])('confines %j to %j', (path, relative) => {
    expect(resolveWorkspacePath(WS, path)).toEqual({ relative, absolute: `${WS}/${relative}` });
  });

  it.each([
    ['..', 'escape'],
    ['../x', 'escape'],
    ['a/../../x', 'escape'],
    ['./../ws/x', 'escape'], // lexically out and back in: refused, whatever the workspace is called
    ['/etc/passwd', 'outside'],
    ['/srv/ws2/x', 'outside'], // a sibling sharing the prefix
    ['/srv', 'outside'],
    ['/srv/ws/../x', 'outside'],
    ['a\0b', 'NUL'],
    ['', 'empty'],
    ['..\\..\\x', 'backslash'],
    ['C:/Windows', 'drive'],
  ])('refuses %j (%s)', (path) => {
    expect(() => resolveWorkspacePath(WS, path)).toThrow(WorkspacePathError);
  });

  it('refuses the workspace itself unless allowed', () => {
    for (const p of ['.', './', '/srv/ws', '/srv/ws/', 'src/..']) {
      expect(() => resolveWorkspacePath(WS, p)).toThrow(/names the workspace itself|not the workspace/);
      expect(resolveWorkspacePath(WS, p, { allowRoot: true })).toEqual({ relative: '.', absolute: WS });
    }
  });

  it('normalises the workspace and needs it absolute', () => {
    expect(resolveWorkspacePath('/srv/ws/', 'x')).toEqual({ relative: 'x', absolute: '/srv/ws/x' });
    expect(resolveWorkspacePath('/', 'etc/x')).toEqual({ relative: 'etc/x', absolute: '/etc/x' });
    expect(() => resolveWorkspacePath('srv/ws', 'x')).toThrow(/workspace must be an absolute path/);
    expect(() => resolveWorkspacePath('/srv/ws\0', 'x')).toThrow(WorkspacePathError);
  });

  it('refuses non-strings and overlong paths', () => {
    expect(() => resolveWorkspacePath(WS, 42 as unknown as string)).toThrow(/must be a string/);
    expect(() => resolveWorkspacePath(WS, 'a'.repeat(1025))).toThrow(/at most 1024/);
  });
});

describe('workspacePathProblem (validation time)', () => {
  it('accepts relative paths that stay inside', () => {
    expect(workspacePathProblem('src/a.ts')).toBeUndefined();
    expect(workspacePathProblem('a/../b')).toBeUndefined();
  });

  it('names the problem', () => {
    expect(workspacePathProblem('../x')).toBe('must not escape the workspace (..)');
    expect(workspacePathProblem('x\0')).toBe('must not contain NUL');
    expect(workspacePathProblem(3)).toBe('must be a string');
    expect(workspacePathProblem('.')).toBe('must name a file inside the workspace, not the workspace');
    expect(workspacePathProblem('.', { allowRoot: true })).toBeUndefined();
  });

  it('refuses absolute paths without a workspace and confines them with one', () => {
    expect(workspacePathProblem('/srv/ws/a')).toMatch(/must be relative to the workspace/);
    expect(workspacePathProblem('/srv/ws/a', { workspace: WS })).toBeUndefined();
    expect(workspacePathProblem('/etc/passwd', { workspace: WS })).toBe('must lie inside the workspace /srv/ws');
    expect(workspacePathProblem('/srv/ws/a', { workspace: 'relative' })).toMatch(/workspace is not an absolute path/);
  });
});
