import { ChecksHost, WorkspaceGitEvidence } from './check.types';
import { branchOf, findPackedRef, parseHeadFile, readWorkspaceGit } from './git-state';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const S256 = 'c'.repeat(64);

describe('parseHeadFile', () => {
  it.each<[string, ReturnType<typeof parseHeadFile>]>([
    ['', { kind: 'missing' }],
    ['ref: refs/heads/main', { kind: 'symbolic', ref: 'refs/heads/main' }],
    ['ref:refs/heads/feature/x-1.2', { kind: 'symbolic', ref: 'refs/heads/feature/x-1.2' }],
    [A, { kind: 'detached', commit: A }],
    [S256, { kind: 'detached', commit: S256 }],
    // HEAD is the agent's to write: nothing that could name a path outside .git/refs.
    ['ref: ../../../etc/passwd', { kind: 'invalid', text: 'ref: ../../../etc/passwd' }],
    ['ref: refs/heads/../../config', { kind: 'invalid', text: 'ref: refs/heads/../../config' }],
    ['ref: refs/heads/x.lock', { kind: 'invalid', text: 'ref: refs/heads/x.lock' }],
    ['ref: HEAD', { kind: 'invalid', text: 'ref: HEAD' }],
    [A.toUpperCase(), { kind: 'invalid', text: A.toUpperCase() }],
    ['a'.repeat(39), { kind: 'invalid', text: 'a'.repeat(39) }],
  ])('%j', (text, expected) => {
    expect(parseHeadFile(text)).toEqual(expected);
  });
});

describe('findPackedRef / branchOf', () => {
  const packed = [
    '# pack-refs with: peeled fully-peeled sorted ',
    `${A} refs/heads/main`,
    `${B} refs/heads/main-2`,
    `${B} refs/tags/v1`,
    `^${A}`,
  ].join('\n');
  it.each<[string, string | undefined]>([
    ['refs/heads/main', A],
    ['refs/heads/main-2', B],
    ['refs/heads/mai', undefined],
    ['refs/tags/v1', B],
    ['refs/heads/other', undefined],
  ])('%s', (ref, hash) => {
    expect(findPackedRef(packed, ref)).toBe(hash);
  });

  it('short names for branches, full names otherwise', () => {
    expect(branchOf('refs/heads/feature/x')).toBe('feature/x');
    expect(branchOf('refs/remotes/origin/main')).toBe('refs/remotes/origin/main');
  });
});

interface Stub {
  files?: Record<string, string | Error>;
  status?: { file: string; status: string }[] | Error;
  paths?: { worktree: string; directory: string } | Error | null;
}

/** A host whose `.git` files, status and /path are given; it records each call. */
function stubHost(stub: Stub): ChecksHost & { calls: string[] } {
  const calls: string[] = [];
  const host: ChecksHost & { calls: string[] } = {
    calls,
    directory: '/ws',
    stat: async () => undefined,
    readFile: async (path) => {
      calls.push(`readFile ${path}`);
      const v = stub.files?.[path];
      if (v instanceof Error) throw v;
      return { type: 'text', content: (v ?? '').trim() };
    },
    vcsStatus: async () => {
      calls.push('vcsStatus');
      if (stub.status instanceof Error) throw stub.status;
      return stub.status ?? [];
    },
    runCommand: async () => {
      throw new Error('not used');
    },
  };
  if (stub.paths !== null) {
    host.paths = async () => {
      calls.push('paths');
      if (stub.paths instanceof Error) throw stub.paths;
      return stub.paths ?? { worktree: '/ws', directory: '/ws' };
    };
  }
  return host;
}

const NOW = () => new Date('2031-01-02T03:04:05.000Z');
const changed = [
  { file: 'b.txt', status: 'added' },
  { file: 'a.txt', status: 'modified' },
];

describe('readWorkspaceGit', () => {
  it.each<[string, Stub, Omit<WorkspaceGitEvidence, 'readAt'>, string[]]>([
    [
      'a branch with a loose ref, clean',
      { files: { '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${A}\n` } },
      { head: { commit: A, branch: 'main' }, dirty: false, changedCount: 0, changedFiles: [] },
      ['readFile .git/HEAD', 'vcsStatus', 'readFile .git/refs/heads/main'],
    ],
    [
      'a packed ref (the loose one reads ""), dirty',
      {
        files: { '.git/HEAD': 'ref: refs/heads/main', '.git/packed-refs': `# pack-refs\n${B} refs/heads/main\n` },
        status: changed,
      },
      { head: { commit: B, branch: 'main' }, dirty: true, changedCount: 2, changedFiles: ['a.txt', 'b.txt'] },
      ['readFile .git/HEAD', 'vcsStatus', 'readFile .git/refs/heads/main', 'readFile .git/packed-refs'],
    ],
    [
      'detached HEAD: one read',
      { files: { '.git/HEAD': S256 } },
      { head: { commit: S256, branch: null }, dirty: false, changedCount: 0, changedFiles: [] },
      ['readFile .git/HEAD', 'vcsStatus'],
    ],
    [
      'a branch without a commit yet',
      { files: { '.git/HEAD': 'ref: refs/heads/trunk' }, status: [{ file: 'u.txt', status: 'added' }] },
      {
        head: null,
        dirty: true,
        changedCount: 1,
        changedFiles: ['u.txt'],
        reason: 'branch trunk has no commit yet',
      },
      ['readFile .git/HEAD', 'vcsStatus', 'readFile .git/refs/heads/trunk', 'readFile .git/packed-refs'],
    ],
    [
      'not a repository (/path: worktree "/"): dirty unknown, [] is not "clean"',
      { paths: { worktree: '/', directory: '/ws' } },
      { head: null, dirty: null, reason: 'not a git repository' },
      ['readFile .git/HEAD', 'vcsStatus', 'paths'],
    ],
    [
      'a subdirectory of a repository',
      { paths: { worktree: '/repo', directory: '/repo/pkg' }, status: [{ file: 'pkg/x', status: 'added' }] },
      {
        head: null,
        dirty: true,
        changedCount: 1,
        changedFiles: ['pkg/x'],
        reason:
          "the workspace is a subdirectory of the git worktree /repo; OpenCode's file routes cannot read /repo/.git from it",
      },
      ['readFile .git/HEAD', 'vcsStatus', 'paths'],
    ],
    [
      'a linked worktree or submodule (worktree = directory, yet no .git/HEAD)',
      { paths: { worktree: '/wt/', directory: '/wt' } },
      {
        head: null,
        dirty: false,
        changedCount: 0,
        changedFiles: [],
        reason: expect.stringMatching(/^the workspace's \.git is not a directory \(a linked worktree/),
      },
      ['readFile .git/HEAD', 'vcsStatus', 'paths'],
    ],
    [
      'no paths() on the host, clean: cannot tell clean from no repository',
      { paths: null },
      {
        head: null,
        dirty: null,
        reason: expect.stringMatching(
          /^no \.git\/HEAD in the workspace .*; a clean tree cannot be told from no repository$/,
        ),
      },
      ['readFile .git/HEAD', 'vcsStatus'],
    ],
    [
      'no paths() on the host, changes listed: a repository, dirty',
      { paths: null, status: changed },
      {
        head: null,
        dirty: true,
        changedCount: 2,
        changedFiles: ['a.txt', 'b.txt'],
        reason: expect.stringMatching(/^no \.git\/HEAD in the workspace/),
      },
      ['readFile .git/HEAD', 'vcsStatus'],
    ],
    [
      '/path fails',
      { paths: new Error('boom') },
      {
        head: null,
        dirty: null,
        reason: expect.stringMatching(/\/path failed: boom.*cannot be told from no repository/),
      },
      ['readFile .git/HEAD', 'vcsStatus', 'paths'],
    ],
    [
      'HEAD names an unsafe ref: never read',
      { files: { '.git/HEAD': 'ref: ../../secret' } },
      {
        head: null,
        dirty: false,
        changedCount: 0,
        changedFiles: [],
        reason: '.git/HEAD is neither a commit hash nor a ref: "ref: ../../secret"',
      },
      ['readFile .git/HEAD', 'vcsStatus'],
    ],
    [
      'a loose ref holding something else',
      { files: { '.git/HEAD': 'ref: refs/heads/main', '.git/refs/heads/main': 'ref: refs/heads/other' } },
      {
        head: null,
        dirty: false,
        changedCount: 0,
        changedFiles: [],
        reason: '.git/refs/heads/main does not hold a commit hash: "ref: refs/heads/other"',
      },
      ['readFile .git/HEAD', 'vcsStatus', 'readFile .git/refs/heads/main'],
    ],
    [
      'the host fails on HEAD and on status: both unknown, both reasons',
      { files: { '.git/HEAD': new Error('ECONNREFUSED') }, status: new Error('ECONNREFUSED') },
      {
        head: null,
        dirty: null,
        reason: 'could not read .git/HEAD: ECONNREFUSED; could not read /vcs/status: ECONNREFUSED',
      },
      ['readFile .git/HEAD', 'vcsStatus'],
    ],
    [
      'the host fails on the ref',
      { files: { '.git/HEAD': 'ref: refs/heads/main', '.git/refs/heads/main': new Error('500') } },
      {
        head: null,
        dirty: false,
        changedCount: 0,
        changedFiles: [],
        reason: 'could not read refs/heads/main: 500',
      },
      ['readFile .git/HEAD', 'vcsStatus', 'readFile .git/refs/heads/main'],
    ],
  ])('%s', async (_name, stub, expected, calls) => {
    const host = stubHost(stub);
    const git = await readWorkspaceGit(host, NOW);
    expect(git).toEqual({ ...expected, readAt: '2031-01-02T03:04:05.000Z' });
    expect(host.calls).toEqual(calls);
  });

  it('lists at most 50 changed files (sorted), counting all of them', async () => {
    const status = Array.from({ length: 70 }, (_, i) => ({ file: `f${String(i).padStart(2, '0')}`, status: 'added' }));
    const git = await readWorkspaceGit(stubHost({ files: { '.git/HEAD': A }, status: [...status].reverse() }), NOW);
    expect(git.changedCount).toBe(70);
    expect(git.changedFiles).toEqual(status.slice(0, 50).map((s) => s.file));
  });

  it('a binary answer for .git/HEAD is not trusted', async () => {
    const host = stubHost({});
    host.readFile = async () => ({ type: 'binary', content: 'AAAA', encoding: 'base64' });
    expect(await readWorkspaceGit(host, NOW)).toMatchObject({
      head: null,
      dirty: null,
      reason: expect.stringMatching(/^could not read \.git\/HEAD: \.git\/HEAD came back as binary;/),
    });
  });
});
