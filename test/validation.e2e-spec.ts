import { randomUUID } from 'node:crypto';
import { TestApp, TestResponse, TestTeam, expectErrorBody } from '@heddle/testing';

/**
 * Bad input on the two write routes that take a body (POST /api/tokens, PATCH /api/team) and on a
 * path id: always a 4xx with the one error body, fields named, request id echoed; never a 500.
 */

const BODY_LIMIT = 2048;

type Route = { method: 'POST' | 'PATCH'; url: string; valid: Record<string, unknown> };
const ROUTES: Route[] = [
  { method: 'POST', url: '/api/tokens', valid: { name: 'ci', scopes: ['tasks:read'] } },
  { method: 'PATCH', url: '/api/team', valid: { settings: { defaultBudgets: { maxTurns: 5 } } } },
];

/** The `details` entry of one field, as the validation pipe reports it. */
function fieldErrors(res: TestResponse, field: string): string[] {
  const entry = (res.body.details as Array<{ field: string; errors: string[] }> | null)?.find((d) => d.field === field);
  if (!entry) throw new Error(`no error for field "${field}" in ${JSON.stringify(res.body)}`);
  return entry.errors;
}

describe('validation (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One app for the file, with a small body limit so "too large" costs a few KB.
    t = await TestApp.create({ env: { HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
  });
  afterAll(() => t.close());

  /** The team's state, to prove a refused request changed nothing. */
  async function snapshot(team: TestTeam) {
    const [teamRes, tokens] = await Promise.all([
      t.request('GET', '/api/team', { token: team.token }),
      t.request('GET', '/api/tokens?limit=100', { token: team.token }),
    ]);
    return { team: teamRes.body, tokens: tokens.body.items.map((i: { id: string }) => i.id) };
  }

  it('the valid bodies used below are accepted (the refusals are about what was changed)', async () => {
    const team = await t.createTeam();
    for (const route of ROUTES) {
      const res = await t.request(route.method, route.url, { token: team.token, body: route.valid });
      expect({ route: route.url, status: res.status }).toEqual({
        route: route.url,
        status: route.method === 'POST' ? 201 : 200,
      });
    }
  });

  describe.each(ROUTES)('$method $url', (route) => {
    it('refuses an unknown field with 400 request/validation_failed naming it', async () => {
      const team = await t.createTeam();
      const before = await snapshot(team);
      const res = await t.request(route.method, route.url, {
        token: team.token,
        body: { ...route.valid, colour: 'red' },
      });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(fieldErrors(res, 'colour')).toEqual(['property colour should not exist']);
      expect(res.body.message).toContain('colour');
      expect(await snapshot(team)).toEqual(before);
    });

    it('names each field of the wrong type', async () => {
      const team = await t.createTeam();
      const res = await t.request(route.method, route.url, { token: team.token, body: { ...route.valid, name: 5 } });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(fieldErrors(res, 'name')).toContain('name must be a string');
    });

    it('answers 400 request/malformed to JSON that does not parse', async () => {
      const team = await t.createTeam();
      for (const rawBody of ['{bad', '{"name": "x",}', '{"__proto__": {"admin": true}}']) {
        const res = await t.request(route.method, route.url, { token: team.token, rawBody });
        expectErrorBody(res, 400, 'request/malformed');
      }
    });

    it(`answers 413 request/too_large to a body over HTTP_BODY_LIMIT_BYTES (${BODY_LIMIT})`, async () => {
      const team = await t.createTeam();
      const before = await snapshot(team);
      const body = { ...route.valid, name: 'x'.repeat(4096) };
      expect(JSON.stringify(body).length).toBeGreaterThan(BODY_LIMIT);
      expectErrorBody(await t.request(route.method, route.url, { token: team.token, body }), 413, 'request/too_large');
      // Also when the client does not announce the length up front.
      const chunked = await t.request(route.method, route.url, {
        token: team.token,
        rawBody: JSON.stringify(body),
        headers: { 'transfer-encoding': 'chunked' },
      });
      expectErrorBody(chunked, 413, 'request/too_large');
      expect(await snapshot(team)).toEqual(before);
    });

    it('answers 4xx, never 5xx, to bodies that are not an object (array, string, number, true, text, xml)', async () => {
      const team = await t.createTeam();
      const before = await snapshot(team);
      const cases: Array<{
        what: string;
        rawBody: string;
        headers?: Record<string, string>;
        status: number;
        code: string;
      }> = [
        { what: 'array', rawBody: '[]', status: 400, code: 'request/validation_failed' },
        { what: 'array of values', rawBody: '[1, "a"]', status: 400, code: 'request/validation_failed' },
        { what: 'string', rawBody: '"admin"', status: 400, code: 'request/validation_failed' },
        { what: 'number', rawBody: '42', status: 400, code: 'request/validation_failed' },
        { what: 'true', rawBody: 'true', status: 400, code: 'request/validation_failed' },
        {
          what: 'text/plain',
          rawBody: 'hello',
          headers: { 'content-type': 'text/plain' },
          status: 400,
          code: 'request/validation_failed',
        },
        {
          what: 'xml',
          rawBody: '<a/>',
          headers: { 'content-type': 'application/xml' },
          status: 415,
          code: 'request/unsupported_media_type',
        },
      ];
      for (const c of cases) {
        const res = await t.request(route.method, route.url, {
          token: team.token,
          rawBody: c.rawBody,
          headers: c.headers,
        });
        try {
          expectErrorBody(res, c.status, c.code);
        } catch (err) {
          throw new Error(`${c.what}: ${(err as Error).message}`);
        }
      }
      expect(await snapshot(team)).toEqual(before);
    });
  });

  describe('POST /api/tokens', () => {
    it('names scopes that are not an array, and scope values that do not exist', async () => {
      const team = await t.createTeam();
      const both = await t.request('POST', '/api/tokens', { token: team.token, body: { name: 5, scopes: 'admin' } });
      expectErrorBody(both, 400, 'request/validation_failed');
      expect(fieldErrors(both, 'name')).toContain('name must be a string');
      expect(fieldErrors(both, 'scopes')).toContain('scopes must be an array');

      const notArray = await t.request('POST', '/api/tokens', {
        token: team.token,
        body: { name: 'ci', scopes: 'admin' },
      });
      expectErrorBody(notArray, 400, 'request/validation_failed');
      expect(fieldErrors(notArray, 'scopes')).toContain('scopes must be an array');
      expect(notArray.body.details.map((d: { field: string }) => d.field)).not.toContain('name');

      const unknown = await t.request('POST', '/api/tokens', {
        token: team.token,
        body: { name: 'ci', scopes: ['tasks:read', 'root'] },
      });
      expectErrorBody(unknown, 400, 'request/validation_failed');
      expect(fieldErrors(unknown, 'scopes').join(' ')).toMatch(
        /each value in scopes must be one of the following values: .*tasks:read/,
      );

      const empty = await t.request('POST', '/api/tokens', { token: team.token, body: { name: 'ci', scopes: [] } });
      expectErrorBody(empty, 400, 'request/validation_failed');
      expect(fieldErrors(empty, 'scopes')).toEqual(['scopes must contain at least 1 elements']);

      const nested = await t.request('POST', '/api/tokens', {
        token: team.token,
        body: { name: 'ci', scopes: [['admin']] },
      });
      expectErrorBody(nested, 400, 'request/validation_failed');
    });

    it('requires name and scopes (also for null and an empty object)', async () => {
      const team = await t.createTeam();
      for (const rawBody of ['{}', 'null', '{"name": null, "scopes": null}']) {
        const res = await t.request('POST', '/api/tokens', { token: team.token, rawBody });
        expectErrorBody(res, 400, 'request/validation_failed');
        expect(fieldErrors(res, 'name')).toContain('name must be a string');
        expect(fieldErrors(res, 'scopes')).toContain('scopes must be an array');
      }
      const longName = await t.request('POST', '/api/tokens', {
        token: team.token,
        body: { name: 'n'.repeat(101), scopes: ['tasks:read'] },
      });
      expectErrorBody(longName, 400, 'request/validation_failed');
      expect(fieldErrors(longName, 'name')).toEqual(['name must be shorter than or equal to 100 characters']);
    });
  });

  describe('PATCH /api/team', () => {
    it('names nested unknown and invalid fields by their path', async () => {
      const team = await t.createTeam();
      const before = await snapshot(team);
      const res = await t.request('PATCH', '/api/team', {
        token: team.token,
        body: { settings: { defaultBudgets: { maxTurns: 0, maxCostUsd: 'lots', extra: 1 }, other: true } },
      });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(fieldErrors(res, 'settings.other')).toEqual(['property other should not exist']);
      expect(fieldErrors(res, 'settings.defaultBudgets.extra')).toEqual(['property extra should not exist']);
      expect(fieldErrors(res, 'settings.defaultBudgets.maxTurns')).toEqual(['maxTurns must not be less than 1']);
      expect(fieldErrors(res, 'settings.defaultBudgets.maxCostUsd')).toContain('maxCostUsd must not be less than 0');
      expect(await snapshot(team)).toEqual(before);
    });

    it('refuses null and non-objects where a value or an object is expected, with 400 and never 500', async () => {
      const team = await t.createTeam();
      const before = await snapshot(team);
      const cases: Array<[string, unknown, string]> = [
        ['name null', { name: null }, 'name'],
        ['name empty', { name: '' }, 'name'],
        ['name with a slash', { name: 'a/b' }, 'name'],
        ['settings null', { settings: null }, 'settings'],
        ['settings array', { settings: [] }, 'settings'],
        ['settings string', { settings: 'x' }, 'settings'],
        ['defaultBudgets null', { settings: { defaultBudgets: null } }, 'settings.defaultBudgets'],
        ['defaultBudgets array', { settings: { defaultBudgets: [1, 2] } }, 'settings.defaultBudgets'],
        [
          'maxTurns as a string',
          { settings: { defaultBudgets: { maxTurns: '20' } } },
          'settings.defaultBudgets.maxTurns',
        ],
        [
          'maxTurns fractional',
          { settings: { defaultBudgets: { maxTurns: 1.5 } } },
          'settings.defaultBudgets.maxTurns',
        ],
      ];
      for (const [what, body, field] of cases) {
        const res = await t.request('PATCH', '/api/team', { token: team.token, body });
        try {
          expectErrorBody(res, 400, 'request/validation_failed');
          expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(
            expect.arrayContaining([expect.stringMatching(new RegExp(`^${field.replace(/\./g, '\\.')}`))]),
          );
        } catch (err) {
          throw new Error(`${what}: ${(err as Error).message}`);
        }
      }
      expect(await snapshot(team)).toEqual(before);
    });

    it('takes a JSON null body as an empty patch (nothing changes)', async () => {
      // Nest's ValidationPipe validates a null body as {} and every field of the PATCH is optional.
      const team = await t.createTeam();
      const before = await snapshot(team);
      const res = await t.request('PATCH', '/api/team', { token: team.token, rawBody: 'null' });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe(team.name);
      expect(res.body.settings).toEqual(before.team.settings);
    });
  });

  it('answers 400 request/invalid_id naming the parameter to a path id that is not a UUID', async () => {
    const team = await t.createTeam();
    for (const id of ['not-a-uuid', '123', `${randomUUID()}x`, "1' OR '1'='1"]) {
      const res = await t.request('DELETE', `/api/tokens/${encodeURIComponent(id)}`, { token: team.token });
      expectErrorBody(res, 400, 'request/invalid_id');
      expect(res.body.details).toEqual([{ field: 'id', errors: ['id must be a UUID'] }]);
    }
  });

  describe('an empty body sent as application/json', () => {
    it('counts as no body: a create names its required fields, an empty patch changes nothing', async () => {
      const team = await t.createTeam();
      const create = await t.request('POST', '/api/tokens', { token: team.token, rawBody: '' });
      expectErrorBody(create, 400, 'request/validation_failed');
      expect(create.body.details.map((d: { field: string }) => d.field)).toEqual(
        expect.arrayContaining(['name', 'scopes']),
      );
      const patch = await t.request('PATCH', '/api/team', { token: team.token, rawBody: '' });
      expect(patch.status).toBe(200);
      expect(patch.body.name).toBe(team.name);
    });
  });

  describe('request ids', () => {
    it("echoes the client's x-request-id in the header and as the error's requestId", async () => {
      const team = await t.createTeam();
      const invalid = await t.request('POST', '/api/tokens', {
        token: team.token,
        body: { name: 5 },
        headers: { 'x-request-id': 'my-trace-1' },
      });
      expectErrorBody(invalid, 400, 'request/validation_failed');
      expect(invalid.headers['x-request-id']).toBe('my-trace-1');
      expect(invalid.body.requestId).toBe('my-trace-1');

      const malformed = await t.request('PATCH', '/api/team', {
        token: team.token,
        rawBody: '{bad',
        headers: { 'x-request-id': 'my-trace-2' },
      });
      expectErrorBody(malformed, 400, 'request/malformed');
      expect(malformed.body.requestId).toBe('my-trace-2');

      const tooLarge = await t.request('PATCH', '/api/team', {
        token: team.token,
        body: { name: 'x'.repeat(4096) },
        headers: { 'x-request-id': 'my-trace-3' },
      });
      expectErrorBody(tooLarge, 413, 'request/too_large');
      expect(tooLarge.body.requestId).toBe('my-trace-3');

      const ok = await t.request('GET', '/api/me', { token: team.token, headers: { 'x-request-id': 'my-trace-4' } });
      expect(ok.status).toBe(200);
      expect(ok.headers['x-request-id']).toBe('my-trace-4');
    });

    it('gives every error a fresh request id when the client sends none, or one that is not sane', async () => {
      const team = await t.createTeam();
      const ids = new Set<string>();
      for (const headers of [{}, {}, { 'x-request-id': 'has spaces' }, { 'x-request-id': 'x'.repeat(129) }] as Array<
        Record<string, string>
      >) {
        const res = await t.request('POST', '/api/tokens', { token: team.token, body: [], headers });
        expectErrorBody(res, 400, 'request/validation_failed');
        expect(res.body.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        ids.add(res.body.requestId);
      }
      expect(ids.size).toBe(4);
    });
  });
});
