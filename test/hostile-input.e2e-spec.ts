import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { getMetadataStorage } from 'class-validator';
import { ApiOperation, TestApp, TestResponse, TestTeam, apiOperations, expectErrorBody } from '@heddle/testing';

/**
 * What a hostile client sends, over every operation of the OpenAPI document where the document can
 * say which: each answer is a 4xx in the one error body, never a 5xx, and nothing is stored.
 */

const label = (op: Pick<ApiOperation, 'method' | 'path'>) => `${op.method} ${op.path}`;

/** `{"a":{"a":…1…}}`, `levels` objects deep, as text (JSON.stringify would recurse). */
function nestedJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

jest.setTimeout(60_000);

describe('hostile input (e2e)', () => {
  let t: TestApp;
  let operations: ApiOperation[];
  let document: { paths: Record<string, Record<string, any>> };

  beforeAll(async () => {
    t = await TestApp.create({ env: { HEDDLE_OUTBOUND_ALLOW: '127.0.0.1' } });
    document = (await t.request('GET', '/docs/openapi.json')).body;
    operations = apiOperations(document);
  });
  afterAll(() => t.close());

  const bodyOperations = () => operations.filter((op) => op.operation.requestBody);

  async function expectNothingStored(team: TestTeam): Promise<void> {
    for (const list of ['/api/tasks', '/api/hosts', '/api/webhooks', '/api/sinks']) {
      const res = await t.request('GET', list, { token: team.token });
      expect({ list, items: res.body.items }).toEqual({ list, items: [] });
    }
  }

  it('refuses a body nested 10,000 deep, or 5,000 deep inside a field, on every body route: 400 before validation', async () => {
    const team = await t.createTeam();
    expect(bodyOperations().length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const op of bodyOperations()) {
      for (const rawBody of [nestedJson(10_000), `{"name":${nestedJson(5_000)}}`]) {
        const res = await t.request(op.method, op.url, { token: team.token, rawBody });
        try {
          expectErrorBody(res, 400, 'request/too_complex');
        } catch (err) {
          failures.push(`${label(op)}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    expect(failures).toEqual([]);
    await expectNothingStored(team);
  });

  it('refuses 85,000 unknown keys at once with a short answer, and names at most 20 of 9,000 unknown keys', async () => {
    const team = await t.createTeam();
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1]));
    const huge = await t.request('POST', '/api/tokens', {
      token: team.token,
      body: { name: 'ci', scopes: ['tasks:read'], ...keys(85_000) },
    });
    expectErrorBody(huge, 400, 'request/too_complex');
    expect(JSON.stringify(huge.body).length).toBeLessThan(1024);

    const many = await t.request('POST', '/api/tokens', {
      token: team.token,
      body: { name: 'ci', scopes: ['tasks:read'], ...keys(9_000) },
    });
    expectErrorBody(many, 400, 'request/validation_failed');
    expect(many.body.details).toHaveLength(20);
    expect(many.body.message).toMatch(/; and 8980 more invalid fields$/);
    expect(JSON.stringify(many.body).length).toBeLessThan(4096);
    expect((await t.request('GET', '/api/tokens', { token: team.token })).body.items).toHaveLength(1);
  });

  it('refuses NUL in every string of every documented example body, naming the field', async () => {
    const team = await t.createTeam();
    const failures: string[] = [];
    let tried = 0;
    for (const op of bodyOperations()) {
      for (const [field, value] of Object.entries(op.exampleBody ?? {})) {
        if (typeof value !== 'string') continue;
        tried++;
        const body = { ...op.exampleBody, [field]: `${value}\u0000` };
        const res = await t.request(op.method, op.url, { token: team.token, body });
        try {
          expectErrorBody(res, 400, 'request/validation_failed');
          expect(res.body.details).toEqual([{ field, errors: [`${field} must not contain NUL (\\u0000) characters`] }]);
        } catch (err) {
          failures.push(`${label(op)} ${field}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    expect(tried).toBeGreaterThan(10);
    expect(failures).toEqual([]);
    await expectNothingStored(team);
  });

  it('refuses NUL in the stored strings the examples leave out, and in query parameters', async () => {
    const team = await t.createTeam();
    const cases: Array<{ method: 'POST' | 'PATCH'; url: string; body: Record<string, unknown>; field: string }> = [
      { method: 'POST', url: '/api/tokens', body: { name: 'ci\u0000', scopes: ['tasks:read'] }, field: 'name' },
      { method: 'PATCH', url: '/api/team', body: { name: 'x\u0000y' }, field: 'name' },
      {
        method: 'POST',
        url: '/api/tasks',
        body: { name: 'n', workspace: '/srv/ws', goal: 'g', promptTemplate: '{{GOAL}}\u0000' },
        field: 'promptTemplate',
      },
      {
        method: 'POST',
        url: '/api/tasks',
        body: { name: 'n', workspace: '/srv/ws', goal: 'g', steps: ['one', 'two\u0000'] },
        field: 'steps[1]',
      },
      {
        method: 'POST',
        url: '/api/hosts',
        body: { name: 'h', baseUrl: 'http://127.0.0.1:9', username: 'u\u0000', workspaceRoots: ['/srv'] },
        field: 'username',
      },
      {
        method: 'POST',
        url: '/api/webhooks',
        body: { url: 'http://127.0.0.1:9/hook', description: 'ci\u0000' },
        field: 'description',
      },
    ];
    for (const c of cases) {
      const res = await t.request(c.method, c.url, { token: team.token, body: c.body });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect({ url: c.url, details: res.body.details }).toEqual({
        url: c.url,
        details: [{ field: c.field, errors: [`${c.field} must not contain NUL (\\u0000) characters`] }],
      });
    }
    for (const url of ['/api/tasks?label=a%00b', '/api/hosts?label=%00', '/api/events?type=TASK_CREATED%00']) {
      expectErrorBody(await t.request('GET', url, { token: team.token }), 400, 'request/validation_failed');
    }
    await expectNothingStored(team);
    expect((await t.request('GET', '/api/team', { token: team.token })).body.name).toBe(team.name);
  });

  it('refuses a forged or foreign-shaped cursor on every cursor-paged list with 400 request/invalid_cursor', async () => {
    const team = await t.createTeam();
    const created = {
      tasks: await t.request('POST', '/api/tasks', {
        token: team.token,
        body: { name: 'n', workspace: '/srv/ws', goal: 'g' },
      }),
      webhooks: await t.request('POST', '/api/webhooks', { token: team.token, body: { url: 'http://127.0.0.1:9/h' } }),
      sinks: await t.request('POST', '/api/sinks', {
        token: team.token,
        body: { name: 's', kind: 'json', url: 'http://127.0.0.1:9/s' },
      }),
      'hook-sources': await t.request('POST', '/api/hook-sources', {
        token: team.token,
        body: { name: 'h', kind: 'generic', config: { template: { goal: '{{ $.g }}', workspace: '/srv/ws' } } },
      }),
    };
    for (const [what, res] of Object.entries(created))
      expect({ what, status: res.status }).toEqual({ what, status: 201 });
    const idFor = (path: string) => created[path.split('/')[2] as keyof typeof created]?.body.id as string;

    const paged = operations.filter((op) =>
      (op.operation.parameters ?? []).some(
        (p: { name: string; in: string }) => p.in === 'query' && p.name === 'cursor',
      ),
    );
    expect(paged.map(label)).toEqual(
      expect.arrayContaining(['GET /api/tokens', 'GET /api/tasks', 'GET /api/tasks/{id}/turns', 'GET /api/audit']),
    );
    const forged = [
      Buffer.from('{"id":"x"}').toString('base64url'),
      Buffer.from(`{"id":"${randomUUID()}' OR 1=1"}`).toString('base64url'),
      Buffer.from('{"id":12}').toString('base64url'),
      'not-a-cursor',
    ];
    const failures: string[] = [];
    for (const op of paged) {
      const url = op.path.replace('{id}', () => idFor(op.path));
      for (const cursor of forged) {
        const res = await t.request('GET', `${url}?cursor=${encodeURIComponent(cursor)}`, { token: team.token });
        try {
          expectErrorBody(res, 400, 'request/invalid_cursor');
        } catch (err) {
          failures.push(`${label(op)} ${cursor}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      // The cursor the server handed out still works.
      const first = await t.request('GET', `${url}?limit=1`, { token: team.token });
      expect({ op: label(op), status: first.status }).toEqual({ op: label(op), status: 200 });
    }
    expect(failures).toEqual([]);
  });

  it('refuses numbers beyond what the store holds and dates beyond 9999 with 400, never 500', async () => {
    const team = await t.createTeam();
    for (const after of ['1e30', '1e19', '9223372036854775807', '9007199254740992']) {
      const res = await t.request('GET', `/api/events?after=${after}`, { token: team.token });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect(res.body.details[0].field).toBe('after');
    }
    expect((await t.request('GET', '/api/events?after=9007199254740991', { token: team.token })).status).toBe(200);

    for (const expiresAt of ['+275760-09-13T00:00:00Z', '10000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', 'soon']) {
      const res = await t.request('POST', '/api/tokens', {
        token: team.token,
        body: { name: 'ci', scopes: ['tasks:read'], expiresAt },
      });
      expectErrorBody(res, 400, 'request/validation_failed');
      expect({ expiresAt, field: res.body.details[0].field }).toEqual({ expiresAt, field: 'expiresAt' });
    }
    for (const query of ['createdFrom=%2B275760-09-13T00:00:00Z', 'createdTo=1969-12-31T00:00:00Z']) {
      expectErrorBody(
        await t.request('GET', `/api/tasks?${query}`, { token: team.token }),
        400,
        'request/validation_failed',
      );
    }
    const budgets = await t.request('PATCH', '/api/team', {
      token: team.token,
      body: { settings: { defaultBudgets: { maxCostUsd: 1e300, maxWallSeconds: 1e20 } } },
    });
    expectErrorBody(budgets, 400, 'request/validation_failed');
    expect(budgets.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'settings.defaultBudgets.maxCostUsd',
      'settings.defaultBudgets.maxWallSeconds',
    ]);
  });

  it('gives every numeric and date field of every request DTO an upper and a lower bound', () => {
    // Unbounded numbers reach bigint/int columns (a 500) and unbounded dates timestamptz (a 500).
    const storage = getMetadataStorage() as unknown as {
      validationMetadatas: Map<abstract new () => unknown, Array<{ propertyName: string; name?: string }>>;
    };
    const unbounded: string[] = [];
    let checked = 0;
    for (const [target, metadatas] of storage.validationMetadatas) {
      const byProperty = new Map<string, Set<string>>();
      for (const m of metadatas) {
        if (!byProperty.has(m.propertyName)) byProperty.set(m.propertyName, new Set());
        if (m.name) byProperty.get(m.propertyName)!.add(m.name);
      }
      for (const [property, names] of byProperty) {
        const numeric = names.has('isInt') || names.has('isNumber');
        const date = names.has('isDate');
        if (numeric || date) checked++;
        if (numeric && !(names.has('min') && names.has('max'))) unbounded.push(`${target.name}.${property} (number)`);
        if (date && !(names.has('minDate') && names.has('maxDate')))
          unbounded.push(`${target.name}.${property} (date)`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(unbounded).toEqual([]);
  });

  it('answers an id over the router limit (414) and 20 KB of headers (431) in the error body', async () => {
    const team = await t.createTeam();
    const long = await t.request('GET', `/api/tasks/${'a'.repeat(150)}`, { token: team.token });
    expectErrorBody(long, 414, 'request/uri_too_long');

    const res = await rawGet(await t.baseUrl(), '/api/me', {
      authorization: `Bearer ${team.token}`,
      'x-big': 'x'.repeat(20_000),
    });
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'details', 'message', 'requestId', 'statusCode']);
    expect(res.body).toMatchObject({ statusCode: 431, code: 'request/headers_too_large', details: null });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
    // The server still answers afterwards.
    expect((await t.request('GET', '/api/me', { token: team.token })).status).toBe(200);
  });

  it('documents one optional Idempotency-Key header on POST /api/tasks, and no required header anywhere', () => {
    const headers = (
      document.paths['/api/tasks']!.post.parameters as Array<{ in: string; name: string; required?: boolean }>
    ).filter((p) => p.in === 'header');
    expect(headers.map((h) => ({ name: h.name, required: h.required }))).toEqual([
      { name: 'Idempotency-Key', required: false },
    ]);
    const required = operations.flatMap((op) =>
      (op.operation.parameters ?? [])
        .filter((p: { in: string; required?: boolean }) => p.in === 'header' && p.required)
        .map((p: { name: string }) => `${label(op)} ${p.name}`),
    );
    expect(required).toEqual([]);
  });
});

/** A GET over a real socket with headers of our choosing (inject skips Node's HTTP parser). */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
