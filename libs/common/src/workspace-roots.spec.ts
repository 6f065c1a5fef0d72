import { isUnderRoot, normalisePath, rootContaining, workspaceRootProblem } from './workspace-roots';

describe('workspace roots', () => {
  it('accepts absolute, normalised paths only', () => {
    for (const ok of ['/', '/srv', '/srv/repos', '/home/ci/work-1', `/${'a'.repeat(1023)}`]) {
      expect(workspaceRootProblem(ok)).toBeUndefined();
    }
    for (const [bad, why] of [
      ['', /empty/],
      ['srv', /absolute/],
      ['./srv', /absolute/],
      ['/srv/', /slash/],
      ['//srv', /normalised/],
      ['/srv//repos', /normalised/],
      ['/srv/./repos', /normalised/],
      ['/srv/..', /normalised/],
      ['/srv/../etc', /normalised/],
      ['/srv\0', /NUL/],
      [`/${'a'.repeat(1024)}`, /1024/],
      [42, /string/],
      [null, /string/],
    ] as const) {
      expect(workspaceRootProblem(bad)).toMatch(why);
    }
  });

  it('contains a path lexically: the root itself and below, never a sibling with the same prefix', () => {
    expect(isUnderRoot('/srv/repos', '/srv/repos')).toBe(true);
    expect(isUnderRoot('/srv/repos/api', '/srv/repos')).toBe(true);
    expect(isUnderRoot('/srv/repos/', '/srv/repos')).toBe(true);
    expect(isUnderRoot('/srv/repos/./api', '/srv/repos')).toBe(true);
    expect(isUnderRoot('/srv/repos-old', '/srv/repos')).toBe(false);
    expect(isUnderRoot('/srv', '/srv/repos')).toBe(false);
    expect(isUnderRoot('/srv/repos/../../etc', '/srv/repos')).toBe(false);
    expect(isUnderRoot('/etc', '/')).toBe(true);
    expect(isUnderRoot('relative', '/')).toBe(false);
    expect(rootContaining('/home/ci/work/x', ['/srv', '/home/ci'])).toBe('/home/ci');
    expect(rootContaining('/etc', ['/srv', '/home/ci'])).toBeUndefined();
    expect(rootContaining('/etc', [])).toBeUndefined();
  });

  it('normalises without a trailing slash', () => {
    expect(normalisePath('/srv/repos/')).toBe('/srv/repos');
    expect(normalisePath('/srv//repos/./api/..')).toBe('/srv/repos');
    expect(normalisePath('/')).toBe('/');
    expect(normalisePath('//')).toBe('/');
  });
});
