// Plan draft against the REAL `opencode serve` (offline, scripted fake LLM; libs/testing/src/opencode).
// The intent carries the fake LLM's `SAY:` directive, so the real model step answers a checklist text;
// everything else (session, sync prompt, tokens, delete) is the binary's own.
import { OpencodeClient } from '@heddle/opencode-client';
import {
  RealOpencode,
  TestApp,
  opencodeBinaryAvailable,
  opencodeBinaryRequired,
  startRealOpencode,
} from '@heddle/testing';

jest.setTimeout(60_000);

const enabled = opencodeBinaryRequired() || opencodeBinaryAvailable();
const describeReal = enabled ? describe : describe.skip;

describeReal('plans (e2e, real opencode serve)', () => {
  let server: RealOpencode;
  let t: TestApp;

  beforeAll(async () => {
    server = await startRealOpencode({ extraWorkspaces: ['draft'] });
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1' } });
  });
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  it('POST /api/plans/draft: the model answers a checklist, Heddle returns its items and deletes the session', async () => {
    const team = await t.createTeam('plans-real');
    const host = await t.request('POST', '/api/hosts', {
      token: team.token,
      body: { name: 'real-opencode', baseUrl: server.baseUrl, workspaceRoots: [server.root] },
    });
    expect(host.status).toBe(201);
    expect((await t.request('POST', `/api/hosts/${host.body.id}/probe`, { token: team.token })).body.status).toBe(
      'online',
    );
    const workspace = server.workspaces.draft!;
    const intent =
      'Add a health endpoint.\nSAY:Sure, here is the plan:\\n\\n- [ ] Add GET /health\\n- [ ] Add a test for it\\n- [ ] Document it in README\\n\\nThat is all.';
    const res = await t.request('POST', '/api/plans/draft', {
      token: team.token,
      body: { intent, hostId: host.body.id, workspace, model: 'fake/fake-model', timeoutSeconds: 45 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      items: ['Add GET /health', 'Add a test for it', 'Document it in README'],
      hostId: host.body.id,
      workspace,
    });
    expect(res.body.tokens.input).toBeGreaterThan(0);
    expect(res.body.plan).toContain('- [ ] Add GET /health');

    // The model was really asked (the real server called the fake LLM with the draft prompt)…
    expect(server.llm.requests().some((r) => r.userText.includes('Add a health endpoint.'))).toBe(true);
    // …and no session is left behind on the server.
    const direct = new OpencodeClient({ baseUrl: server.baseUrl, directory: workspace, timeoutMs: 10_000 });
    expect(await direct.listSessions()).toEqual([]);

    // The workspaces route reads the real server's session list across directories.
    await direct.createSession({ title: 'kept' });
    const ws = await t.request('GET', `/api/hosts/${host.body.id}/workspaces`, { token: team.token });
    expect(ws.status).toBe(200);
    expect(ws.body.items.map((w: { directory: string }) => w.directory)).toContain(workspace);
  });
});
