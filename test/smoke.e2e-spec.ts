import { TestApp } from '@heddle/testing';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create();
  });
  afterAll(() => t.close());

  it('answers /api/me for a new team', async () => {
    const team = await t.createTeam();
    const res = await t.request('GET', '/api/me', { token: team.token });
    expect(res.status).toBe(200);
    expect(res.body.teamId).toBe(team.teamId);
    expect(res.headers['x-request-id']).toBeDefined();
  });
});
