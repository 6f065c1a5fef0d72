import { randomUUID } from 'node:crypto';
import { SCOPES, Scope } from '@heddle/common';
import { ApiOperation, TestApp, TestTeam, apiOperations, expectErrorBody, nestRoutes } from '@heddle/testing';

/**
 * A sweep over every route of the API, derived from the OpenAPI document the app serves, so a new
 * route is covered the day it is added: default-deny without a token, the declared scopes enforced,
 * another team's objects not found, and the document itself complete.
 */

const ERROR_REF = '#/components/schemas/ErrorResponseDto';
/** Routes deliberately outside the document and open to anyone (probes, metrics, the docs). */
/** The browser's login routes: public, outside the document (they answer redirects and cookies). */
const LOGIN_PATHS = ['/auth/callback', '/auth/login', '/auth/logout'];
const PUBLIC_PATHS = ['/healthz', '/readyz', '/metrics', '/docs', '/docs/openapi.json'];
/** Inbound webhooks: public, outside the document; each source authenticates its sender (docs/hooks.md). */
const HOOK_PATHS = ['/api/hooks/{source}'];
/** Operations of the document that need no bearer token. None today: add one here only on purpose. */
const UNSECURED_OPERATIONS: string[] = [];

const label = (op: Pick<ApiOperation, 'method' | 'path'>) => `${op.method} ${op.path}`;

// The sweeps request every route of the API one after another.
jest.setTimeout(30_000);

describe('route security (e2e)', () => {
  let t: TestApp;
  let document: { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };
  let operations: ApiOperation[];

  beforeAll(async () => {
    // With the worker consumers in-process, so that routes which round-trip a job (worker-ping)
    // answer at once when the guard lets them through.
    t = await TestApp.create({ withWorkers: true });
    const res = await t.request('GET', '/docs/openapi.json');
    expect(res.status).toBe(200);
    document = res.body;
    operations = apiOperations(document);
  });
  afterAll(() => t.close());

  /** A token of `team` holding exactly `scopes`, made once per scope set. */
  const tokens = new Map<string, string>();
  async function tokenWith(team: TestTeam, scopes: readonly Scope[]): Promise<string> {
    const key = `${team.teamId}:${[...scopes].sort().join(',')}`;
    let token = tokens.get(key);
    if (!token) {
      token = await t.createToken(team, scopes);
      tokens.set(key, token);
    }
    return token;
  }

  it('finds the API routes in the document, and every controller route is either documented or public', () => {
    expect(operations.length).toBeGreaterThan(0);
    const documented = new Set(operations.map(label));
    // The routes this sweep must at least see; a route dropping out of the document fails here.
    for (const known of [
      'POST /api/tokens',
      'GET /api/tokens',
      'DELETE /api/tokens/{id}',
      'GET /api/me',
      'POST /api/teams',
      'GET /api/team',
      'PATCH /api/team',
      'GET /api/audit',
      'GET /api/members',
      'POST /api/members',
      'PATCH /api/members/{id}',
      'DELETE /api/members/{id}',
    ]) {
      expect(documented).toContain(known);
    }
    // A route hidden from the document would escape this sweep: only @Public() ones may be.
    const undocumented = nestRoutes(t.app).filter((r) => !documented.has(`${r.method} ${r.path}`));
    expect(
      undocumented.filter((r) => !r.isPublic).map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`),
    ).toEqual([]);
    expect(undocumented.map((r) => r.path).sort()).toEqual([
      ...HOOK_PATHS,
      ...LOGIN_PATHS,
      '/healthz',
      '/metrics',
      '/readyz',
    ]);
    // And no documented operation is @Public(): the document promises a bearer token for each.
    const publicDocumented = nestRoutes(t.app).filter((r) => r.isPublic && documented.has(`${r.method} ${r.path}`));
    expect(publicDocumented.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('answers 401 with the error body to every route called without a token, or with a malformed one', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      if (UNSECURED_OPERATIONS.includes(label(op))) continue;
      for (const headers of [{}, { authorization: 'Bearer foo' }, { authorization: 'Basic Zm9vOmJhcg==' }] as Array<
        Record<string, string>
      >) {
        const res = await t.request(op.method, op.url, { headers });
        try {
          expectErrorBody(res, 401, /^auth\//);
        } catch {
          failures.push(`${label(op)} with ${JSON.stringify(headers)}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 naming the missing scope to every route called with a token lacking one of its scopes', async () => {
    const team = await t.createTeam();
    const failures: string[] = [];
    const scoped = operations.filter((op) => (op.requiredScopes ?? []).length > 0);
    expect(scoped.length).toBeGreaterThan(0);
    for (const op of scoped) {
      for (const scope of op.requiredScopes!) {
        // Every other scope there is, so the one left out is the only possible reason to refuse.
        const token = await tokenWith(
          team,
          SCOPES.filter((s) => s !== scope),
        );
        const res = await t.request(op.method, op.url, {
          token,
          body: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
        });
        try {
          expectErrorBody(res, 403, 'auth/missing_scope');
          expect(res.body.message).toContain(scope);
          expect(res.body.details).toEqual({ missing: [scope] });
        } catch {
          failures.push(`${label(op)} without ${scope}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets a token holding exactly the declared scopes past the guard on every route (the declaration is not stricter than the docs)', async () => {
    const team = await t.createTeam();
    const failures: string[] = [];
    for (const op of operations) {
      const scopes = (op.requiredScopes ?? []) as Scope[];
      const token = await tokenWith(team, scopes);
      const res = await t.request(op.method, op.url, { token, eventStream: op.eventStream });
      // Past the guard the route may still refuse the (empty) input or not find the random id, but
      // neither with 401 nor 403, and never with a 5xx.
      if ([401, 403].includes(res.status) || res.status >= 500) {
        failures.push(`${label(op)} with [${scopes.join(', ')}]: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 404, not 403 or 400, to every route with a path id that names no object', async () => {
    const team = await t.createTeam();
    const token = await tokenWith(team, SCOPES);
    const withIds = operations.filter((op) => op.path.includes('{'));
    expect(withIds.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const op of withIds) {
      const res = await t.request(op.method, op.url, {
        token,
        // A valid body, so that only the missing object can be wrong.
        body: op.method === 'GET' || op.method === 'DELETE' ? undefined : (op.exampleBody ?? {}),
      });
      try {
        expectErrorBody(res, 404, /\/not_found$/);
      } catch {
        failures.push(`${label(op)}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("answers 404 when team B revokes team A's token, and A's token keeps working", async () => {
    const teamA = await t.createTeam('team-a');
    const teamB = await t.createTeam('team-b');
    const created = await t.request('POST', '/api/tokens', {
      token: teamA.token,
      body: { name: 'a-ci', scopes: ['tasks:read'] },
    });
    expect(created.status).toBe(201);

    const res = await t.request('DELETE', `/api/tokens/${created.body.id}`, { token: teamB.token });
    expectErrorBody(res, 404, 'token/not_found');
    // Not found is not found: B learns nothing that a random id would not tell it.
    const random = await t.request('DELETE', `/api/tokens/${randomUUID()}`, { token: teamB.token });
    expectErrorBody(random, 404, 'token/not_found');
    expect(res.body.message.replace(created.body.id, 'ID')).toBe(random.body.message.replace(/[0-9a-f-]{36}/, 'ID'));

    const me = await t.request('GET', '/api/me', { token: created.body.token });
    expect(me.status).toBe(200);
    expect(me.body.teamId).toBe(teamA.teamId);
    const listA = await t.request('GET', '/api/tokens', { token: teamA.token });
    expect(listA.body.items.map((i: { id: string }) => i.id)).toContain(created.body.id);
    // Nor does B's list show it.
    const listB = await t.request('GET', '/api/tokens', { token: teamB.token });
    expect(listB.body.items.map((i: { id: string }) => i.id)).not.toContain(created.body.id);
  });

  it('serves /healthz, /readyz, /metrics and /docs without a token', async () => {
    for (const path of PUBLIC_PATHS) {
      const res = await t.request('GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    const metrics = await t.request('GET', '/metrics');
    expect(String(metrics.body)).toContain('heddle_http_request_duration_seconds');
  });

  describe('the OpenAPI document', () => {
    it('gives every operation a summary, tags, the bearer requirement and x-required-scopes of known scopes', () => {
      const problems: string[] = [];
      for (const op of operations) {
        const o = op.operation;
        if (typeof o.summary !== 'string' || o.summary.trim() === '') problems.push(`${label(op)}: no summary`);
        if (!Array.isArray(o.tags) || o.tags.length === 0) problems.push(`${label(op)}: no tags`);
        const bearer = Array.isArray(o.security) && o.security.some((s: Record<string, unknown>) => 'bearer' in s);
        if (!bearer && !UNSECURED_OPERATIONS.includes(label(op)))
          problems.push(`${label(op)}: no bearer security requirement`);
        if (!op.requiredScopes) problems.push(`${label(op)}: no x-required-scopes`);
        else if (op.requiredScopes.some((s) => !(SCOPES as readonly string[]).includes(s))) {
          problems.push(`${label(op)}: unknown scope in x-required-scopes ${op.requiredScopes.join(', ')}`);
        }
        if (typeof o.operationId !== 'string') problems.push(`${label(op)}: no operationId`);
      }
      expect(problems).toEqual([]);
      expect(Object.keys(document.components.schemas)).toContain('ErrorResponseDto');
      const schemes = (document as { components: { securitySchemes?: Record<string, unknown> } }).components
        .securitySchemes;
      expect(schemes).toHaveProperty('bearer');
      // The login cookie, so Swagger UI works with it where OIDC is configured.
      expect(schemes).toHaveProperty(
        'session',
        expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'heddle_session' }),
      );
      for (const op of operations) {
        const security = op.operation.security as Array<Record<string, unknown>>;
        expect({ op: label(op), session: security.some((s) => 'session' in s) }).toEqual({
          op: label(op),
          session: true,
        });
      }
    });

    it('documents 400, 401, 403 and 500 on every operation (404 with a path id), all with the ErrorResponseDto schema', () => {
      const problems: string[] = [];
      for (const op of operations) {
        const responses = op.operation.responses as Record<
          string,
          { content?: Record<string, { schema?: { $ref?: string } }> }
        >;
        const expected = ['400', '401', '403', '500', ...(op.path.includes('{') ? ['404'] : [])];
        for (const code of expected) if (!responses[code]) problems.push(`${label(op)}: no ${code} response`);
        for (const [code, response] of Object.entries(responses)) {
          if (Number(code) < 400) continue;
          const ref = response.content?.['application/json']?.schema?.$ref;
          if (ref !== ERROR_REF)
            problems.push(`${label(op)}: ${code} does not reference ErrorResponseDto (${String(ref)})`);
        }
        const success = Object.keys(responses).filter((c) => Number(c) >= 200 && Number(c) < 300);
        if (success.length === 0) problems.push(`${label(op)}: no success response`);
      }
      expect(problems).toEqual([]);
    });
  });
});
