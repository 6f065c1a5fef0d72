import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSinkRefusedError, confinedPath, fileSinkName, utcStamp, writeConfinedFile } from './file-sink';

const TEAM = '0195f3c2-9a00-7000-8000-00000000a001';

describe('file sink names', () => {
  it('formats the UTC timestamp as yyyyMMddTHHmmssZ', () => {
    expect(utcStamp(new Date('2026-11-23T15:30:00.123Z'))).toBe('20261123T153000Z');
    expect(utcStamp(new Date('2026-01-02T03:04:05Z'))).toBe('20260102T030405Z');
  });

  it('is <prefix>-<TYPE>-<UTC timestamp>-<seq>.json', () => {
    expect(fileSinkName('heddle', 'TASK_COMPLETED', new Date('2026-11-23T15:30:00Z'), 42n)).toBe(
      'heddle-TASK_COMPLETED-20261123T153000Z-42.json',
    );
  });
});

describe('confinedPath', () => {
  it('puts the file in the team directory under the root', () => {
    expect(confinedPath('/srv/sinks', TEAM, 'a.json')).toEqual({
      teamDir: `/srv/sinks/${TEAM}`,
      file: `/srv/sinks/${TEAM}/a.json`,
    });
    expect(confinedPath('/', TEAM, 'a.json').file).toBe(`/${TEAM}/a.json`);
  });

  it.each([
    ['/srv/sinks', '..', 'a.json'],
    ['/srv/sinks', '../other', 'a.json'],
    ['/srv/sinks', '', 'a.json'],
    ['/srv/sinks', '.', 'a.json'],
    ['/srv/sinks', TEAM, '../a.json'],
    ['/srv/sinks', TEAM, '../../etc/passwd'],
    ['/srv/sinks', TEAM, 'sub/a.json'],
    ['/srv/sinks', TEAM, '/etc/passwd'],
    ['/srv/sinks', TEAM, '..'],
    ['/srv/sinks', TEAM, 'a\0.json'],
    ['/srv/sinks', TEAM, 'a\\..\\b.json'],
    ['relative/root', TEAM, 'a.json'],
  ])('refuses root %j, team %j, file %j', (root, team, file) => {
    expect(() => confinedPath(root, team, file)).toThrow(FileSinkRefusedError);
  });
});

describe('writeConfinedFile', () => {
  let base: string;
  let root: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'heddle-file-sink-'));
    root = join(base, 'root');
    await mkdir(root);
  });
  afterEach(async () => {
    await chmod(join(root, TEAM), 0o750).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  });

  it('writes the whole file under <root>/<teamId>/ and leaves no temp file', async () => {
    const written = await writeConfinedFile(root, TEAM, 'p-TASK_CREATED-20261123T153000Z-1.json', '{"a":1}\n');
    expect(written.relativePath).toBe(`${TEAM}/p-TASK_CREATED-20261123T153000Z-1.json`);
    expect(await readdir(join(root, TEAM))).toEqual(['p-TASK_CREATED-20261123T153000Z-1.json']);
    expect(await readFile(join(root, TEAM, 'p-TASK_CREATED-20261123T153000Z-1.json'), 'utf8')).toBe('{"a":1}\n');
    // Written again (a retried attempt): replaced whole, still one file.
    await writeConfinedFile(root, TEAM, 'p-TASK_CREATED-20261123T153000Z-1.json', '{"a":2}\n');
    expect(await readdir(join(root, TEAM))).toEqual(['p-TASK_CREATED-20261123T153000Z-1.json']);
  });

  it('refuses a team directory that is a symlink leading out of the root, and writes nothing there', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    await symlink(outside, join(root, TEAM));
    await expect(writeConfinedFile(root, TEAM, 'a.json', '{}')).rejects.toThrow(FileSinkRefusedError);
    expect(await readdir(outside)).toEqual([]);
  });

  it('does not create a missing root (ENOENT, retried)', async () => {
    await expect(writeConfinedFile(join(base, 'missing'), TEAM, 'a.json', '{}')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('does not follow a symlink planted at the final name: the rename replaces the link', async () => {
    await mkdir(join(root, TEAM));
    const victim = join(base, 'victim.txt');
    await writeFile(victim, 'keep');
    await symlink(victim, join(root, TEAM, 'a.json'));
    await writeConfinedFile(root, TEAM, 'a.json', '{}');
    expect(await readFile(victim, 'utf8')).toBe('keep');
    expect(await readFile(join(root, TEAM, 'a.json'), 'utf8')).toBe('{}');
  });

  it('fails with the fs error code when the directory is not writable, and leaves no temp file', async () => {
    if (process.getuid?.() === 0) return; // root writes anyway
    await mkdir(join(root, TEAM));
    await chmod(join(root, TEAM), 0o500);
    await expect(writeConfinedFile(root, TEAM, 'a.json', '{}')).rejects.toMatchObject({ code: 'EACCES' });
    expect(await readdir(join(root, TEAM))).toEqual([]);
  });
});
