import { wildcardMatch } from './wildcard';

describe('wildcardMatch (OpenCode permission wildcards)', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything at all/even/paths', true],
    ['edit', 'edit', true],
    ['edit', 'edits', false],
    ['ed?t', 'edit', true],
    ['ed?t', 'edt', false],
    ['src/*', 'src/a.ts', true],
    ['src/*', 'src/deep/a.ts', true],
    ['src/*', 'lib/a.ts', false],
    ['*.md', 'docs/README.md', true],
    ['*.md', 'README.mdx', false],
    ['npm test', 'npm test', true],
    ['npm test', 'npm test -- --watch', false],
  ])('%j against %j → %s', (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });

  it('lets a trailing " *" also match the bare command, as OpenCode does', () => {
    expect(wildcardMatch('git *', 'git status')).toBe(true);
    expect(wildcardMatch('git *', 'git')).toBe(true);
    expect(wildcardMatch('git *', 'gitk')).toBe(false);
    expect(wildcardMatch('git *', 'git log\n--oneline')).toBe(true); // `*` crosses newlines, as there
    expect(wildcardMatch('git *', 'git\nrm -rf /')).toBe(false);
    expect(wildcardMatch('git*', 'gitk')).toBe(true);
  });

  it('treats regex characters literally', () => {
    expect(wildcardMatch('a.b', 'a.b')).toBe(true);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
    expect(wildcardMatch('(x)|[y]+$', '(x)|[y]+$')).toBe(true);
    expect(wildcardMatch('^a', 'a')).toBe(false);
    expect(wildcardMatch('a\\b', 'a\\b')).toBe(true);
  });
});
