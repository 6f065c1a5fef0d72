import { TestApp, expectErrorBody } from '@heddle/testing';

/**
 * What an operator can turn off or protect by config: Swagger UI and the OpenAPI document
 * (DOCS_ENABLED), /metrics (METRICS_TOKEN), and login, which is off without OIDC_ISSUER_URL.
 * One app per describe, one after the other.
 */

const METRICS_TOKEN = 'scrape-0123456789abcdef';

describe('defaults: docs on, metrics open, login off (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create();
  });
  afterAll(() => t.close());

  it('serves Swagger UI and the OpenAPI document, which offers the bearer token and the login cookie', async () => {
    expect((await t.request('GET', '/docs')).status).toBe(200);
    const doc = await t.request('GET', '/docs/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
    expect(doc.body.components.securitySchemes.session).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'heddle_session',
    });
  });

  it('answers /metrics without a token', async () => {
    const res = await t.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(String(res.body)).toContain('heddle_http_request_duration_seconds');
  });

  it('answers the login routes with 501 saying how to turn login on', async () => {
    for (const path of ['/auth/login', '/auth/login?returnTo=/docs', '/auth/callback?code=x&state=y']) {
      const res = await t.request('GET', path);
      expectErrorBody(res, 501, 'auth/login_disabled');
      expect(res.body.message).toContain('OIDC_ISSUER_URL');
    }
    // Nobody is logged in, so logging out is a no-op.
    expect((await t.request('POST', '/auth/logout')).status).toBe(204);
  });
});

describe('DOCS_ENABLED=false (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { DOCS_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  it('answers 404 at /docs and /docs/openapi.json; the API itself is unchanged', async () => {
    for (const path of ['/docs', '/docs/', '/docs/openapi.json']) {
      expectErrorBody(await t.request('GET', path), 404);
    }
    const team = await t.createTeam();
    expect((await t.request('GET', '/api/me', { token: team.token })).status).toBe(200);
  });
});

describe('METRICS_TOKEN (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { METRICS_TOKEN } });
  });
  afterAll(() => t.close());

  it('wants Authorization: Bearer <METRICS_TOKEN> at /metrics; a team token is not it', async () => {
    const team = await t.createTeam();
    for (const headers of [
      {},
      { authorization: `Bearer ${METRICS_TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${team.token}` },
    ] as Array<Record<string, string>>) {
      const res = await t.request('GET', '/metrics', { headers });
      expectErrorBody(res, 401, 'metrics/unauthorized');
    }
    const ok = await t.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(String(ok.body)).toContain('heddle_http_request_duration_seconds');
    // The probes stay open.
    expect((await t.request('GET', '/healthz')).status).toBe(200);
  });
});
