// The inbox (libs/inbox): POST /api/inbox in every format through the real app and the same
// TasksService.create path as POST /api/tasks; the watched directory (INBOX_DIR/<teamId>/) in the
// app's own workers and in worker processes — two never take one file, and one SIGKILLed mid-file
// leaves a `.processing` claim that the next worker takes again without making a second task.
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import { Client } from 'pg';
import {
  FakeHosts,
  RunningProcess,
  TestApp,
  TestTeam,
  expectErrorBody,
  settledTask,
  startWorkerProcess,
  waitFor,
} from '@heddle/testing';

jest.setTimeout(120_000);

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** A real .docx: [Content_Types].xml, _rels/.rels and word/document.xml, one paragraph per line. */
function docx(lines: string[]): Buffer {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = lines.map((l) => `<w:p><w:r><w:t xml:space="preserve">${esc(l)}</w:t></w:r></w:p>`).join('');
  return Buffer.from(
    zipSync({
      '[Content_Types].xml': strToU8(
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      ),
      '_rels/.rels': strToU8(
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
      ),
      'word/document.xml': strToU8(
        `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
      ),
    }),
  );
}

describe('inbox (e2e)', () => {
  let t: TestApp;
  let base: string;
  let inboxRoot: string;
  const hosts = new FakeHosts(() => t);

  beforeAll(async () => {
    inboxRoot = await mkdtemp(join(tmpdir(), 'heddle-inbox-'));
    t = await TestApp.create({
      withWorkers: true,
      env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1', HARNESS_POLL_MS: '200', INBOX_DIR: inboxRoot, INBOX_POLL_MS: '100' },
    });
    base = await t.baseUrl();
  });
  afterAll(async () => {
    await t?.close();
    await hosts.stopAll();
    await rm(inboxRoot, { recursive: true, force: true });
  });

  /** POST /api/inbox with a raw body (string or bytes) and its content type. */
  async function post(
    team: TestTeam,
    body: string | Buffer,
    contentType: string,
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(`${base}/api/inbox`, {
      method: 'POST',
      headers: { authorization: `Bearer ${team.token}`, 'content-type': contentType, ...headers },
      body: new Uint8Array(typeof body === 'string' ? Buffer.from(body) : body),
    });
    return { status: res.status, body: (await res.json()) as any, headers: Object.fromEntries(res.headers) };
  }

  describe('POST /api/inbox', () => {
    it('makes a task from each format, raw or multipart, as POST /api/tasks would', async () => {
      const team = await t.createTeam('inbox-formats');
      const md =
        '# md task\nworkspace: /srv/w\nlabels: linux\n## goal\nDo it.\n## steps\n- one\n- two\n## acceptance\n- file_exists: out.txt\n';
      const yaml =
        'name: yaml task\nworkspace: /srv/w\ncheck_interval_minutes: 5\ngoal: |\n  Fix it.\nsteps:\n  - look\n';
      const text = 'text task\nworkspace: /srv/w\n\nThe rest is the goal.\n';
      const word = docx([
        '# docx task',
        'workspace: /srv/w',
        '## goal',
        'From Word.',
        '## acceptance',
        '- file_exists: w.txt',
      ]);
      const cases: [string | Buffer, string, Record<string, unknown>][] = [
        [
          md,
          'text/markdown',
          {
            name: 'md task',
            labels: ['linux'],
            goal: 'Do it.',
            steps: ['one', 'two'],
            checks: [expect.objectContaining({ kind: 'file_exists', path: 'out.txt' })],
          },
        ],
        [yaml, 'application/yaml', { name: 'yaml task', goal: 'Fix it.', steps: ['look'], checkIntervalSeconds: 300 }],
        [text, 'text/plain; charset=utf-8', { name: 'text task', goal: 'The rest is the goal.' }],
        [word, DOCX, { name: 'docx task', goal: 'From Word.', checks: [expect.objectContaining({ path: 'w.txt' })] }],
      ];
      for (const [body, type, expected] of cases) {
        const res = await post(team, body, type);
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({ ...expected, workspace: '/srv/w', status: 'queued' });
        const stored = await t.request('GET', `/api/tasks/${res.body.id}`, { token: team.token });
        expect(stored.body.name).toBe(expected.name);
      }
      // multipart: the file's name says the format (uploads are often application/octet-stream).
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(word)], { type: 'application/octet-stream' }), 'spec.docx');
      const res = await fetch(`${base}/api/inbox`, {
        method: 'POST',
        headers: { authorization: `Bearer ${team.token}` },
        body: form,
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ name: 'docx task', goal: 'From Word.' });
      // TASK_CREATED events, as for any task.
      const events = await t.request('GET', '/api/events?limit=100', { token: team.token });
      expect((events.body.items as any[]).filter((e) => e.type === 'TASK_CREATED')).toHaveLength(5);
    });

    it('answers a bad document with a 400 naming the line and the field, and makes nothing', async () => {
      const team = await t.createTeam('inbox-bad');
      const cases: [string | Buffer, string, { line: number; field: string }][] = [
        ['# n\nworkspace: relative/path\n## goal\ng', 'text/markdown', { line: 2, field: 'workspace' }],
        ['# n\nworkspace: /w\ncolour: red\n## goal\ng', 'text/markdown', { line: 3, field: 'colour' }],
        ['# n\nworkspace: /w\nabort: true\n## goal\ng', 'text/markdown', { line: 3, field: 'abort' }],
        [
          '# n\nworkspace: /w\n## goal\ng\n## acceptance\n- file_exists: a\n- file_exists: ../x',
          'text/markdown',
          { line: 7, field: 'acceptance[1].path' },
        ],
        ['name: n\nworkspace: /w\ngoal: g\nsteps: one\n', 'application/yaml', { line: 4, field: 'steps' }],
        ['name: n\ngoal: [x\n', 'application/yaml', { line: 3, field: 'yaml' }],
        ['just a name\n', 'text/plain', { line: 1, field: 'goal' }],
        [docx(['# n', 'workspace: /w', 'mode: loop', '## goal', 'g']), DOCX, { line: 3, field: 'mode' }],
        [Buffer.from('PK not really a zip'), DOCX, { line: 1, field: 'document' }],
      ];
      for (const [body, type, where] of cases) {
        const res = await post(team, body, type);
        expectErrorBody(res, 400, 'inbox/invalid_document');
        expect(res.body.message).toContain(`line ${where.line}, field ${where.field}`);
        expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining(where)]));
      }
      const tasks = await t.request('GET', '/api/tasks', { token: team.token });
      expect(tasks.body.items).toEqual([]);
      // A format it does not read, and a token without tasks:write.
      expectErrorBody(await post(team, '<a/>', 'application/xml'), 415, 'request/unsupported_media_type');
    });

    it('replays by Idempotency-Key like POST /api/tasks (same body 200, another body 409)', async () => {
      const team = await t.createTeam('inbox-idem');
      const doc = '# once\nworkspace: /srv/w\n## goal\nOnly once.\n';
      const first = await post(team, doc, 'text/markdown', { 'idempotency-key': 'drop-1' });
      const again = await post(team, doc, 'text/markdown', { 'idempotency-key': 'drop-1' });
      expect(first.status).toBe(201);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      const other = await post(team, doc.replace('Only once.', 'Twice?'), 'text/markdown', {
        'idempotency-key': 'drop-1',
      });
      expectErrorBody(other, 409, 'task/idempotency_key_reused');
      // The same key through POST /api/tasks with the same task answers the same task: one path.
      const viaApi = await t.request('POST', '/api/tasks', {
        token: team.token,
        headers: { 'idempotency-key': 'drop-1' },
        body: { name: 'once', workspace: '/srv/w', goal: 'Only once.' },
      });
      expect(viaApi.status).toBe(200);
      expect(viaApi.body.id).toBe(first.body.id);
    });

    it('session: binds to an existing session and takes it over from the task holding it', async () => {
      const team = await t.createTeam('inbox-session');
      const { fake, hostId } = await hosts.forTeam(team);
      const first = await t.request('POST', '/api/tasks', {
        token: team.token,
        body: { name: 'first', workspace: fake.workspace, goal: 'SLOW:20000 FILE:a.txt', hostId },
      });
      const { value: running } = await waitFor(
        () => t.request('GET', `/api/tasks/${first.body.id}`, { token: team.token }).then((r) => r.body),
        (task) => task.status === 'running' && !!task.sessionId,
        { timeoutMs: 15_000, what: 'the first task running in a session' },
      );
      const doc = `# take over\nworkspace: ${fake.workspace}\nhost: ${hostId}\nsession: ${running.sessionId}\nabort: true\n## goal\nFILE:b.txt\n## acceptance\n- file_exists: b.txt\n`;
      const res = await post(team, doc, 'text/markdown');
      expect(res.status).toBe(201);
      expect(res.body.sessionId).toBe(running.sessionId);
      const old = await settledTask(t, team, first.body.id, 20_000);
      expect(old).toMatchObject({ status: 'aborted', reason: 'session.handover' });
      // abort: true — the session's running turn (SLOW:20000) is aborted before the new prompt.
      const task = await settledTask(t, team, res.body.id, 15_000);
      expect(task).toMatchObject({ status: 'completed', sessionId: running.sessionId });
      expect(fake.requests().filter((r) => r.path === `/session/${running.sessionId}/abort`).length).toBeGreaterThan(0);
      // Without abort: the same binding, no abort asked for.
      const plain = await post(team, doc.replace('abort: true\n', '').replace('take over', 'bind'), 'text/markdown');
      expect(plain.status).toBe(201);
      expect(plain.body).toMatchObject({ sessionId: running.sessionId, name: 'bind' });
    });
  });

  describe("watched directory (in the app's workers)", () => {
    it('a dropped file becomes a task; status.json follows it and result.md appears when it completes', async () => {
      const team = await t.createTeam('inbox-dir');
      const { fake, hostId } = await hosts.forTeam(team);
      const dir = join(inboxRoot, team.teamId);
      await mkdir(dir);
      await writeFile(
        join(dir, 'task.md'),
        `# dropped\nworkspace: ${fake.workspace}\nhost: ${hostId}\n## goal\nFILE:dropped.txt\n## acceptance\n- file_exists: dropped.txt\n`,
      );
      const { value: names } = await waitFor(
        () => readdir(dir),
        (n) => n.includes('task.md.result.md'),
        { timeoutMs: 30_000, what: 'task.md.result.md' },
      );
      const processed = names.find((n) => n.startsWith('processed-'))!;
      expect(processed).toMatch(/^processed-[0-9a-f-]{36}-task\.md$/);
      const taskId = processed.slice('processed-'.length, -'-task.md'.length);
      const status = JSON.parse(await readFile(join(dir, 'task.md.status.json'), 'utf8'));
      expect(status).toMatchObject({ document: 'task.md', taskId, status: 'completed' });
      const result = await readFile(join(dir, 'task.md.result.md'), 'utf8');
      expect(result).toContain('status: **completed**');
      expect(result).toContain('[x] file_exists');
      const task = await t.request('GET', `/api/tasks/${taskId}`, { token: team.token });
      expect(task.body).toMatchObject({ name: 'dropped', status: 'completed' });
      expect(names.filter((n) => n.endsWith('.processing'))).toEqual([]);
    });

    it('a bad file becomes failed-<name> with failed-<name>.error.txt naming the line and field', async () => {
      const team = await t.createTeam('inbox-dir-bad');
      const dir = join(inboxRoot, team.teamId);
      await mkdir(dir);
      await writeFile(join(dir, 'bad.yaml'), 'name: n\nworkspace: not/absolute\ngoal: g\n');
      await writeFile(join(dir, 'notes.png'), 'not a document'); // left alone
      await waitFor(
        () => readdir(dir),
        (n) => n.includes('failed-bad.yaml'),
        { timeoutMs: 10_000, what: 'failed-bad.yaml' },
      );
      const error = await readFile(join(dir, 'failed-bad.yaml.error.txt'), 'utf8');
      expect(error).toContain('inbox/invalid_document');
      expect(error).toContain('line 2, field workspace');
      expect((await readdir(dir)).sort()).toEqual(['failed-bad.yaml', 'failed-bad.yaml.error.txt', 'notes.png']);
      expect((await t.request('GET', '/api/tasks', { token: team.token })).body.items).toEqual([]);
    });

    it('never writes outside the team folder: symlinked team folders and files are ignored', async () => {
      const team = await t.createTeam('inbox-dir-link');
      const elsewhere = await mkdtemp(join(tmpdir(), 'heddle-inbox-else-'));
      const { symlink } = await import('node:fs/promises');
      await writeFile(join(elsewhere, 'task.md'), '# n\nworkspace: /w\n## goal\ng\n');
      await symlink(elsewhere, join(inboxRoot, team.teamId));
      const other = await t.createTeam('inbox-dir-link2');
      const dir = join(inboxRoot, other.teamId);
      await mkdir(dir);
      await symlink(join(elsewhere, 'task.md'), join(dir, 'linked.md'));
      await writeFile(join(dir, 'marker.md'), '# marker\nworkspace: /w\n## goal\ng\n');
      await waitFor(
        () => readdir(dir),
        (n) => n.some((x) => x.startsWith('processed-')),
        { timeoutMs: 10_000, what: 'the marker' },
      );
      expect(await readdir(elsewhere)).toEqual(['task.md']);
      expect((await readdir(dir)).filter((n) => n.includes('linked'))).toEqual(['linked.md']);
      expect((await t.request('GET', '/api/tasks', { token: team.token })).body.items).toEqual([]);
      await rm(elsewhere, { recursive: true, force: true });
    });
  });

  describe('watched directory (worker processes)', () => {
    const workers: RunningProcess[] = [];
    let root: string;
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'heddle-inbox-w-'));
    });
    afterAll(async () => {
      for (const w of workers) {
        w.signal('SIGKILL');
        await w.exited;
      }
      await rm(root, { recursive: true, force: true });
    });
    const startWorker = async (team: TestTeam, env: Record<string, string> = {}) => {
      const w = await startWorkerProcess({
        WORKER_TEAMS: team.teamId,
        WORKER_CONSUMERS: 'inbox',
        HEDDLE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        QUEUE_PREFIX: `inbox-${randomUUID().slice(0, 8)}`,
        INBOX_DIR: root,
        INBOX_POLL_MS: '100',
        ...env,
      });
      workers.push(w);
      return w;
    };

    it('two workers never take one file', async () => {
      const team = await t.createTeam('inbox-two');
      const dir = join(root, team.teamId);
      await mkdir(dir);
      const [a, b] = await Promise.all([startWorker(team), startWorker(team)]);
      const n = 30;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          writeFile(join(dir, `t${i}.txt`), `task ${i}\nworkspace: /srv/w\n\ngoal ${i}\n`),
        ),
      );
      await waitFor(
        () => readdir(dir),
        (names) => names.filter((x) => x.startsWith('processed-')).length === n,
        { timeoutMs: 30_000, what: `${n} processed files` },
      );
      // Each file's log line may reach this process a moment after its rename: wait for all of them.
      const takenSoFar = () =>
        [...a.output().matchAll(/: (t\d+\.txt) → task/g), ...b.output().matchAll(/: (t\d+\.txt) → task/g)].map(
          (m) => m[1],
        );
      const { value: taken } = await waitFor(
        async () => takenSoFar(),
        (names) => names.length >= n,
        {
          timeoutMs: 10_000,
          what: `${n} log lines of files taken`,
        },
      );
      expect(taken.sort()).toEqual(Array.from({ length: n }, (_, i) => `t${i}.txt`).sort());
      const tasks = await t.request('GET', '/api/tasks?limit=100', { token: team.token });
      expect(tasks.body.items).toHaveLength(n);
      a.signal('SIGKILL');
      b.signal('SIGKILL');
    });

    it('a worker SIGKILLed mid-file leaves a .processing claim that the next worker takes, making one task', async () => {
      const team = await t.createTeam('inbox-kill');
      const dir = join(root, team.teamId);
      await mkdir(dir);
      // Hold the team's row: the worker's create blocks mid-file (after the claim, before its commit).
      const pg = new Client({ connectionString: process.env.DATABASE_URL });
      await pg.connect();
      await pg.query('BEGIN');
      await pg.query('SELECT 1 FROM teams WHERE id = $1 FOR UPDATE', [team.teamId]);
      const first = await startWorker(team);
      await writeFile(join(dir, 'crash.md'), '# survives\nworkspace: /srv/w\n## goal\nOnce.\n');
      const { value: claimed } = await waitFor(
        () => readdir(dir),
        (names) => names.some((x) => x.endsWith('.processing')),
        { timeoutMs: 10_000, what: 'the claim' },
      );
      first.signal('SIGKILL');
      await first.exited;
      await pg.query('ROLLBACK');
      await pg.end();
      const claim = claimed.find((x) => x.endsWith('.processing'))!;
      expect(claim).toMatch(/^\.crash\.md\.[0-9a-f]{32}\.processing$/);
      expect(await readdir(dir)).toEqual([claim]);
      // Untouched for longer than INBOX_STALE_MS: the next worker takes it again.
      const past = new Date(Date.now() - 10_000);
      await utimes(join(dir, claim), past, past);
      const second = await startWorker(team, { INBOX_STALE_MS: '2000' });
      const { value: names } = await waitFor(
        () => readdir(dir),
        (x) => x.some((name) => name.startsWith('processed-')),
        { timeoutMs: 15_000, what: 'processed-…-crash.md' },
      );
      expect(second.output()).toContain('crash.md was left claimed by a worker that stopped');
      expect(names.filter((x) => x.endsWith('.processing'))).toEqual([]);
      const tasks = await t.request('GET', '/api/tasks', { token: team.token });
      expect(tasks.body.items.map((x: any) => x.name)).toEqual(['survives']);
    });
  });
});
