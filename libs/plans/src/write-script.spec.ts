import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_EXISTS, existingFromOutput, shellQuote, writeFilesScript } from './write-script';

describe('writeFilesScript (run with sh)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'plans-write-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const run = (script: string) => spawnSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' });

  const files = [
    { path: 'PLAN.md', content: '# Plan\n\n- [ ] it\'s $HOME `x` "q"\n' },
    { path: "docs/o'dd name.md", content: 'Read {{PLAN_FILE}}\n' },
  ];

  it('writes every file byte for byte, making parent directories', () => {
    const result = run(writeFilesScript(files, false));
    expect(result.status).toBe(0);
    for (const f of files) expect(readFileSync(join(dir, f.path), 'utf8')).toBe(f.content);
  });

  it('without force: writes nothing when any file exists and names it (exit 17)', () => {
    writeFileSync(join(dir, 'PLAN.md'), 'mine\n');
    const result = run(writeFilesScript(files, false));
    expect(result.status).toBe(EXIT_EXISTS);
    expect(existingFromOutput(result.stdout)).toEqual(['PLAN.md']);
    expect(readFileSync(join(dir, 'PLAN.md'), 'utf8')).toBe('mine\n');
    expect(spawnSync('test', ['-e', join(dir, files[1]!.path)]).status).not.toBe(0);
  });

  it('with force: replaces existing files and leaves no temporary file', () => {
    writeFileSync(join(dir, 'PLAN.md'), 'mine\n');
    expect(run(writeFilesScript(files, true)).status).toBe(0);
    expect(readFileSync(join(dir, 'PLAN.md'), 'utf8')).toBe(files[0]!.content);
    expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' })).not.toMatch(/\.tmp/);
  });

  it('quotes for sh', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});
