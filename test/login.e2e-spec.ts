import { randomBytes } from 'node:crypto';
import { ROLE_SCOPES, SESSION_COOKIE, TEAM_SCOPES } from '@heddle/common';
import { TeamsService } from '@heddle/teams';
import { OidcBrowser, SseClient, TestApp, TestOidcProvider, TestTeam, expectErrorBody } from '@heddle/testing';

/**
 * People and login, end to end against a REAL OpenID provider (`oidc-provider` on loopback, a
 * confidential client that must use PKCE): the browser is driven through the provider's own login
 * and consent pages, openid-client is not mocked, and every person starts with a team of their own.
 */

jest.setTimeout(60_000);

const PUBLIC_URL = 'https://heddle.test';
const unique = () => randomBytes(4).toString('hex');
/** A team name chosen before the app starts, for OIDC_GROUP_ROLE_MAP (the team is made in its test). */
const GROUP_TEAM = `groups-${unique()}`;
const GROUPS = { devs: `devs-${unique()}`, admins: `admins-${unique()}`, viewers: `viewers-${unique()}` };

describe('login and members (e2e, real OIDC provider)', () => {
  let provider: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    provider = await TestOidcProvider.start({ redirectUri: `${PUBLIC_URL}/auth/callback` });
    t = await TestApp.create({
      env: {
        HEDDLE_PUBLIC_URL: PUBLIC_URL,
        OIDC_ISSUER_URL: provider.issuer,
        OIDC_CLIENT_ID: provider.clientId,
        OIDC_CLIENT_SECRET: provider.clientSecret,
        OIDC_SCOPES: 'openid email profile groups',
        OIDC_GROUP_ROLE_MAP: [
          `${GROUPS.devs}=${GROUP_TEAM}:member`,
          `${GROUPS.admins}=${GROUP_TEAM}:admin`,
          `${GROUPS.viewers}=${GROUP_TEAM}:viewer`,
        ].join(','),
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await provider?.stop();
  });

  interface Person {
    sub: string;
    email: string;
  }

  interface LoggedIn extends Person {
    browser: OidcBrowser;
    csrf: string;
    /** Their membership in the team they were invited to. */
    memberId: string;
  }

  function newPerson(groups?: string[]): Person {
    const sub = `user-${unique()}`;
    const email = `${sub}@Example.com`.toLowerCase();
    provider.addAccount({ sub, email, email_verified: true, name: `Person ${sub}`, ...(groups ? { groups } : {}) });
    return { sub, email };
  }

  async function loginAs(sub: string): Promise<OidcBrowser> {
    const browser = new OidcBrowser(t);
    const { callback } = await browser.login(sub);
    expect({ status: callback.status, body: callback.body }).toEqual({ status: 303, body: '' });
    return browser;
  }

  async function memberId(team: TestTeam, email: string): Promise<string> {
    const res = await t.request('GET', '/api/members?limit=100', { token: team.token });
    expect(res.status).toBe(200);
    const item = (res.body.items as Array<{ id: string; email: string; status: string }>).find(
      (i) => i.email === email && i.status === 'active',
    );
    if (!item) throw new Error(`${email} is not an active member: ${JSON.stringify(res.body.items)}`);
    return item.id;
  }

  /** A person invited to `team` with `role` (by the owner token) who then logs in. */
  async function member(team: TestTeam, role: string): Promise<LoggedIn> {
    const person = newPerson();
    const invited = await t.request('POST', '/api/members', { token: team.token, body: { email: person.email, role } });
    expect(invited.status).toBe(201);
    const browser = await loginAs(person.sub);
    const me = await browser.appRequest('GET', '/api/me');
    expect(me.status).toBe(200);
    return { ...person, browser, csrf: me.body.csrfToken, memberId: await memberId(team, person.email) };
  }

  /** A cookie request carrying the CSRF token (as a browser page of Heddle would). */
  const asPerson = (
    p: LoggedIn,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => p.browser.appRequest(method, path, { body, headers: { 'x-csrf-token': p.csrf, ...headers } });

  describe('the authorization code flow with PKCE', () => {
    it('logs an invited person in: S256 challenge, state and nonce at the provider; a signed, httpOnly, Secure, SameSite=Lax cookie; /api/me shows them', async () => {
      const team = await t.createTeam('flow');
      const person = newPerson();
      expect(
        (await t.request('POST', '/api/members', { token: team.token, body: { email: person.email, role: 'member' } }))
          .status,
      ).toBe(201);

      const browser = new OidcBrowser(t);
      const start = await browser.appRequest('GET', '/auth/login?returnTo=%2Fapi%2Fteam%3Fx%3D1');
      expect(start.status).toBe(303);
      const authorize = new URL(String(start.headers.location));
      expect(authorize.origin).toBe(provider.issuer);
      expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
        client_id: provider.clientId,
        redirect_uri: `${PUBLIC_URL}/auth/callback`,
        response_type: 'code',
        scope: 'openid email profile groups',
        code_challenge_method: 'S256',
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        state: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
        nonce: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      });
      expect(String(start.headers['set-cookie'])).toMatch(
        /^heddle_login=[^;]+; Path=\/auth; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/,
      );
      // The PKCE verifier rides sealed in that cookie, never in the clear.
      expect(String(start.headers['set-cookie'])).not.toContain(authorize.searchParams.get('state')!);

      const { callback, callbackUrl } = await browser.login(person.sub, { returnTo: '/api/team?x=1' });
      expect(callbackUrl.searchParams.get('code')).toBeTruthy();
      expect(callback.status).toBe(303);
      expect(callback.headers.location).toBe('/api/team?x=1');
      const cookies = callback.headers['set-cookie'] as string[];
      const session = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
      expect(session).toMatch(
        /^heddle_session=[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure$/,
      );
      expect(cookies.find((c) => c.startsWith('heddle_login='))).toMatch(/Max-Age=0/);

      const me = await browser.appRequest('GET', '/api/me');
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        teamId: team.teamId,
        teamName: team.name,
        tokenId: null,
        scopes: [...ROLE_SCOPES.member].sort((a, b) => TEAM_SCOPES.indexOf(a) - TEAM_SCOPES.indexOf(b)),
        user: { id: expect.any(String), subject: person.sub, email: person.email, name: `Person ${person.sub}` },
        role: 'member',
        memberships: [{ teamId: team.teamId, teamName: team.name, role: 'member' }],
        csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: expect.any(String),
      });
      expect(me.body.scopes).not.toContain('platform:admin');

      // The cookie works on the team's routes, within the role's scopes.
      expect((await browser.appRequest('GET', '/api/team')).body).toMatchObject({ id: team.teamId });
      expect((await browser.appRequest('GET', '/api/tasks')).status).toBe(200);

      // A tampered cookie is refused before it reaches the database.
      const value = browser.cookie(SESSION_COOKIE)!;
      const tampered = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
      expectErrorBody(
        await t.request('GET', '/api/me', { headers: { cookie: `${SESSION_COOKIE}=${tampered}` } }),
        401,
        'auth/invalid_session',
      );
    });

    it('refuses a callback whose state is not the one the browser started with, and sets no login cookie', async () => {
      const person = newPerson();
      const browser = new OidcBrowser(t);
      const { callback } = await browser.login(person.sub, {
        alterCallback: (url) => {
          const wrong = new URL(url);
          wrong.searchParams.set('state', randomBytes(32).toString('base64url'));
          return wrong;
        },
      });
      expectErrorBody(callback, 400, 'auth/login_state_mismatch');
      expect(String(callback.headers['set-cookie'] ?? '')).not.toContain(SESSION_COOKIE);
      expect(browser.cookie(SESSION_COOKIE)).toBeUndefined();
    });

    it('refuses a callback in a browser that did not start the login (no login-state cookie)', async () => {
      const person = newPerson();
      const browser = new OidcBrowser(t);
      const { callback } = await browser.login(person.sub, {
        alterCallback: (url) => {
          browser.clear(); // the callback lands in another browser
          return url;
        },
      });
      expectErrorBody(callback, 400, 'auth/login_expired');
    });

    it('refuses an ID token signed with a key the provider never had', async () => {
      const person = newPerson();
      provider.rewriteNextIdTokenWith((idToken) => provider.signIdToken(TestOidcProvider.claimsOf(idToken), 'foreign'));
      const { callback } = await new OidcBrowser(t).login(person.sub);
      expectErrorBody(callback, 401, 'auth/id_token_invalid');
      expect(callback.body.message).toMatch(/signature/);
      expect(String(callback.headers['set-cookie'] ?? '')).not.toContain(SESSION_COOKIE);
    });

    it('refuses an expired ID token, even one signed with the provider’s own key', async () => {
      const person = newPerson();
      provider.rewriteNextIdTokenWith((idToken) => {
        const now = Math.floor(Date.now() / 1000);
        return provider.signIdToken(
          { ...TestOidcProvider.claimsOf(idToken), iat: now - 7200, exp: now - 3600 },
          'provider',
        );
      });
      const { callback } = await new OidcBrowser(t).login(person.sub);
      expectErrorBody(callback, 401, 'auth/id_token_invalid');
      expect(callback.body.message).toMatch(/exp/);

      // The same account logs in fine with the provider's real token: only the expiry was wrong.
      const { callback: good } = await new OidcBrowser(t).login(person.sub);
      expect(good.status).toBe(303);
    });

    it('refuses a returnTo on another origin (no open redirect)', async () => {
      for (const returnTo of ['https://evil.example/x', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
        const res = await t.request('GET', `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
        expectErrorBody(res, 400, 'auth/invalid_return_to');
      }
      const same = await t.request('GET', `/auth/login?returnTo=${encodeURIComponent(`${PUBLIC_URL}/docs`)}`);
      expect(same.status).toBe(303);
    });
  });

  describe('memberships', () => {
    it('a person in no team logs in, then gets 403 saying so on every route', async () => {
      const person = newPerson();
      const browser = await loginAs(person.sub);
      for (const path of ['/api/me', '/api/team', '/api/tasks']) {
        const res = await browser.appRequest('GET', path);
        expectErrorBody(res, 403, 'auth/no_membership');
        expect(res.body.message).toContain(person.email);
        expect(res.body.message).toContain('belong to no team');
      }
    });

    it('an invite by email is listed as invited, claimed at first login, and audited', async () => {
      const team = await t.createTeam('invite');
      const person = newPerson();
      const invited = await t.request('POST', '/api/members', {
        token: team.token,
        body: { email: person.email.toUpperCase(), role: 'viewer' },
      });
      expect(invited.status).toBe(201);
      expect(invited.body).toMatchObject({
        status: 'invited',
        role: 'viewer',
        email: person.email,
        userId: null,
        invitedBy: `token:${team.token.slice(4, 12)}`,
      });
      const again = await t.request('POST', '/api/members', {
        token: team.token,
        body: { email: person.email, role: 'admin' },
      });
      expectErrorBody(again, 409, 'member/already_invited');

      const browser = await loginAs(person.sub);
      const me = await browser.appRequest('GET', '/api/me');
      expect(me.body).toMatchObject({ teamId: team.teamId, role: 'viewer' });

      const list = await t.request('GET', '/api/members', { token: team.token });
      expect(list.body.items).toEqual([
        expect.objectContaining({
          status: 'active',
          role: 'viewer',
          email: person.email,
          subject: person.sub,
          source: 'invite',
        }),
      ]);
      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      const actions = (audit.body.items as Array<{ action: string; actor: string }>).map(
        (a) => `${a.action} ${a.actor}`,
      );
      expect(actions).toEqual(
        expect.arrayContaining([`member.invite token:${team.token.slice(4, 12)}`, 'member.join system:login']),
      );

      // Already a member now.
      expectErrorBody(
        await t.request('POST', '/api/members', { token: team.token, body: { email: person.email, role: 'admin' } }),
        409,
        'member/already_member',
      );
    });

    it('an invite by subject is claimed too; an expired one is not', async () => {
      const team = await t.createTeam('subject');
      const person = newPerson();
      expect(
        (await t.request('POST', '/api/members', { token: team.token, body: { subject: person.sub, role: 'member' } }))
          .status,
      ).toBe(201);
      expect((await (await loginAs(person.sub)).appRequest('GET', '/api/me')).body.role).toBe('member');

      const late = newPerson();
      const expiresAt = new Date(t.clock.now().getTime() + 60_000);
      const invite = await t.request('POST', '/api/members', {
        token: team.token,
        body: { email: late.email, role: 'member', expiresAt: expiresAt.toISOString() },
      });
      expect(invite.status).toBe(201);
      t.clock.advance(120_000);
      const browser = await loginAs(late.sub);
      expectErrorBody(await browser.appRequest('GET', '/api/me'), 403, 'auth/no_membership');
      const listed = await t.request('GET', '/api/members', { token: team.token });
      expect(
        (listed.body.items as Array<{ id: string; status: string }>).find((i) => i.id === invite.body.id)?.status,
      ).toBe('expired');
    });

    it('refuses an invite naming both or neither of email and subject, or a role that does not exist', async () => {
      const team = await t.createTeam('bad-invite');
      expectErrorBody(
        await t.request('POST', '/api/members', { token: team.token, body: { role: 'member' } }),
        400,
        'member/invite_target',
      );
      expectErrorBody(
        await t.request('POST', '/api/members', {
          token: team.token,
          body: { role: 'member', email: 'a@example.com', subject: 'a' },
        }),
        400,
        'member/invite_target',
      );
      expectErrorBody(
        await t.request('POST', '/api/members', { token: team.token, body: { role: 'king', email: 'a@example.com' } }),
        400,
        'request/validation_failed',
      );
      // Not an email, or not even well-formed text (a lone surrogate): 400, never 500.
      for (const email of ['not-an-email', 'a\ud800@example.com']) {
        const res = await t.request('POST', '/api/members', { token: team.token, body: { role: 'member', email } });
        expectErrorBody(res, 400, 'request/validation_failed');
        expect(res.body.details).toEqual([{ field: 'email', errors: ['email must be an email address'] }]);
      }
    });

    it('a role change counts from the next request, in both directions', async () => {
      const team = await t.createTeam('roles');
      const person = await member(team, 'member');
      expectErrorBody(await person.browser.appRequest('GET', '/api/tokens'), 403, 'auth/missing_scope');

      const up = await t.request('PATCH', `/api/members/${person.memberId}`, {
        token: team.token,
        body: { role: 'admin' },
      });
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({ id: person.memberId, role: 'admin', status: 'active' });
      expect((await person.browser.appRequest('GET', '/api/tokens')).status).toBe(200);
      expect((await person.browser.appRequest('GET', '/api/me')).body.role).toBe('admin');

      expect(
        (await t.request('PATCH', `/api/members/${person.memberId}`, { token: team.token, body: { role: 'viewer' } }))
          .status,
      ).toBe(200);
      const write = await asPerson(person, 'POST', '/api/tasks', { name: 'n', workspace: '/srv/ws', goal: 'g' });
      expectErrorBody(write, 403, 'auth/missing_scope');
      expect(write.body.message).toBe('your role in this team (viewer) lacks the scope tasks:write');
      expect((await person.browser.appRequest('GET', '/api/tasks')).status).toBe(200);
    });

    it('keeps the last owner: no demotion or removal (409) until another owner exists; admins cannot touch owners', async () => {
      const team = await t.createTeam('owners');
      const owner = await member(team, 'owner');
      const admin = await member(team, 'admin');

      expectErrorBody(
        await asPerson(owner, 'PATCH', `/api/members/${owner.memberId}`, { role: 'admin' }),
        409,
        'member/last_owner',
      );
      expectErrorBody(await asPerson(owner, 'DELETE', `/api/members/${owner.memberId}`), 409, 'member/last_owner');
      expectErrorBody(
        await t.request('DELETE', `/api/members/${owner.memberId}`, { token: team.token }),
        409,
        'member/last_owner',
      );

      // An admin can neither make an owner, nor demote or remove one, nor invite one.
      for (const res of [
        await asPerson(admin, 'PATCH', `/api/members/${admin.memberId}`, { role: 'owner' }),
        await asPerson(admin, 'PATCH', `/api/members/${owner.memberId}`, { role: 'member' }),
        await asPerson(admin, 'DELETE', `/api/members/${owner.memberId}`),
        await asPerson(admin, 'POST', '/api/members', { email: 'boss@example.com', role: 'owner' }),
      ]) {
        expectErrorBody(res, 403, 'auth/missing_scope');
        expect(res.body.details).toEqual({ missing: ['members:owner'] });
      }
      // … but manages everyone else.
      const other = await member(team, 'viewer');
      expect((await asPerson(admin, 'PATCH', `/api/members/${other.memberId}`, { role: 'member' })).status).toBe(200);

      // The owner makes the admin an owner; now either can step down.
      expect((await asPerson(owner, 'PATCH', `/api/members/${admin.memberId}`, { role: 'owner' })).status).toBe(200);
      expect((await asPerson(owner, 'PATCH', `/api/members/${owner.memberId}`, { role: 'admin' })).status).toBe(200);
      expectErrorBody(await asPerson(admin, 'DELETE', `/api/members/${admin.memberId}`), 409, 'member/last_owner');
      expect((await owner.browser.appRequest('GET', '/api/me')).body.role).toBe('admin');
    });

    it('removing a member ends their logins and revokes the API tokens they made; another team sees 404', async () => {
      const team = await t.createTeam('remove');
      const admin = await member(team, 'admin');
      const made = await asPerson(admin, 'POST', '/api/tokens', { name: 'mine', scopes: ['tasks:read'] });
      expect(made.status).toBe(201);
      expect((await t.request('GET', '/api/me', { token: made.body.token })).status).toBe(200);

      const other = await t.createTeam('other');
      expectErrorBody(
        await t.request('DELETE', `/api/members/${admin.memberId}`, { token: other.token }),
        404,
        'member/not_found',
      );
      expectErrorBody(
        await t.request('PATCH', `/api/members/${admin.memberId}`, { token: other.token, body: { role: 'viewer' } }),
        404,
        'member/not_found',
      );
      expect((await t.request('GET', '/api/members', { token: other.token })).body.items).toEqual([]);

      expect((await t.request('DELETE', `/api/members/${admin.memberId}`, { token: team.token })).status).toBe(204);
      expectErrorBody(await admin.browser.appRequest('GET', '/api/me'), 401, 'auth/session_revoked');
      expectErrorBody(
        await t.request('GET', '/api/me', { token: made.body.token }),
        401,
        /^auth\/(token_revoked|invalid_token)$/,
      );
      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      expect(
        (audit.body.items as Array<{ action: string; details: Record<string, unknown> }>).map((a) => a.action),
      ).toEqual(expect.arrayContaining(['member.remove', 'token.revoke']));
    });

    it('a person in several teams picks one with X-Heddle-Team; without it they are told which', async () => {
      const teamA = await t.createTeam('multi-a');
      const teamB = await t.createTeam('multi-b');
      const person = newPerson();
      for (const [team, role] of [
        [teamA, 'viewer'],
        [teamB, 'admin'],
      ] as const) {
        expect(
          (await t.request('POST', '/api/members', { token: team.token, body: { email: person.email, role } })).status,
        ).toBe(201);
      }
      const browser = await loginAs(person.sub);
      const unnamed = await browser.appRequest('GET', '/api/me');
      expectErrorBody(unnamed, 400, 'auth/team_required');
      expect(unnamed.body.details.teams).toEqual(
        expect.arrayContaining([
          { teamId: teamA.teamId, teamName: teamA.name, role: 'viewer' },
          { teamId: teamB.teamId, teamName: teamB.name, role: 'admin' },
        ]),
      );
      const inB = await browser.appRequest('GET', '/api/me', { headers: { 'x-heddle-team': teamB.teamId } });
      expect(inB.body).toMatchObject({ teamId: teamB.teamId, role: 'admin' });
      expect(inB.body.memberships).toHaveLength(2);
      expect(
        (await browser.appRequest('GET', '/api/tokens', { headers: { 'x-heddle-team': teamB.teamId } })).status,
      ).toBe(200);
      expectErrorBody(
        await browser.appRequest('GET', '/api/tokens', { headers: { 'x-heddle-team': teamA.teamId } }),
        403,
        'auth/missing_scope',
      );
      const stranger = await t.createTeam('stranger');
      expectErrorBody(
        await browser.appRequest('GET', '/api/me', { headers: { 'x-heddle-team': stranger.teamId } }),
        403,
        'auth/not_a_member',
      );
    });

    it('maps IdP groups to roles (OIDC_GROUP_ROLE_MAP), kept in step at each login', async () => {
      const created = await t.get(TeamsService).create({ system: 'test' }, GROUP_TEAM);
      t.relayTeam(created.id);
      const team: TestTeam = { teamId: created.id, name: GROUP_TEAM, token: created.token };

      // Both groups: the stronger role.
      const sub = `grouped-${unique()}`;
      provider.addAccount({ sub, email: `${sub}@example.com`, groups: [GROUPS.devs, GROUPS.admins, 'unrelated'] });
      expect((await (await loginAs(sub)).appRequest('GET', '/api/me')).body).toMatchObject({
        teamId: team.teamId,
        role: 'admin',
      });
      const listed = await t.request('GET', '/api/members', { token: team.token });
      expect(listed.body.items).toEqual([expect.objectContaining({ subject: sub, role: 'admin', source: 'group' })]);

      // Out of the admins group: member at the next login.
      provider.addAccount({ sub, email: `${sub}@example.com`, groups: [GROUPS.devs] });
      const again = await loginAs(sub);
      expect((await again.appRequest('GET', '/api/me')).body.role).toBe('member');

      // Out of every mapped group: the membership the groups made goes.
      provider.addAccount({ sub, email: `${sub}@example.com`, groups: [] });
      expectErrorBody(await (await loginAs(sub)).appRequest('GET', '/api/me'), 403, 'auth/no_membership');

      // A person's own change takes the membership out of the groups' hands.
      const kept = `kept-${unique()}`;
      provider.addAccount({ sub: kept, groups: [GROUPS.viewers] });
      await loginAs(kept);
      const id = (await t.request('GET', '/api/members', { token: team.token })).body.items.find(
        (i: { subject: string }) => i.subject === kept,
      ).id as string;
      expect(
        (await t.request('PATCH', `/api/members/${id}`, { token: team.token, body: { role: 'member' } })).body.source,
      ).toBe('invite');
      provider.addAccount({ sub: kept, groups: [] });
      expect((await (await loginAs(kept)).appRequest('GET', '/api/me')).body.role).toBe('member');
    });
  });

  describe('CSRF and the bearer token', () => {
    it('refuses a cookie write without the CSRF token or this server’s Origin, and accepts either', async () => {
      const team = await t.createTeam('csrf');
      const admin = await member(team, 'admin');
      const body = { name: 'ci', scopes: ['tasks:read'] };

      const bare = await admin.browser.appRequest('POST', '/api/tokens', { body });
      expectErrorBody(bare, 403, 'auth/csrf_failed');
      expect(bare.body.message).toContain('X-CSRF-Token');
      const foreign = await admin.browser.appRequest('POST', '/api/tokens', {
        body,
        headers: { origin: 'https://evil.example' },
      });
      expectErrorBody(foreign, 403, 'auth/csrf_failed');
      const wrongToken = await admin.browser.appRequest('POST', '/api/tokens', {
        body,
        headers: { 'x-csrf-token': 'x'.repeat(43) },
      });
      expectErrorBody(wrongToken, 403, 'auth/csrf_failed');
      const tokens = await t.request('GET', '/api/tokens', { token: team.token });
      expect(tokens.body.items).toHaveLength(1); // the owner token only: nothing was made

      expect(
        (await admin.browser.appRequest('POST', '/api/tokens', { body, headers: { 'x-csrf-token': admin.csrf } }))
          .status,
      ).toBe(201);
      expect(
        (await admin.browser.appRequest('POST', '/api/tokens', { body, headers: { origin: PUBLIC_URL } })).status,
      ).toBe(201);
      // Reads need neither.
      expect((await admin.browser.appRequest('GET', '/api/tokens')).status).toBe(200);
    });

    it('a bearer token wins over the cookie and needs no CSRF token', async () => {
      const team = await t.createTeam('bearer-wins');
      const viewer = await member(team, 'viewer');
      const res = await viewer.browser.appRequest('POST', '/api/tokens', {
        body: { name: 'ci', scopes: ['tasks:read'] },
        headers: { authorization: `Bearer ${team.token}` },
      });
      expect(res.status).toBe(201);
      const me = await viewer.browser.appRequest('GET', '/api/me', {
        headers: { authorization: `Bearer ${team.token}` },
      });
      expect(me.body).not.toHaveProperty('user');
      expect(me.body.tokenId).toEqual(expect.any(String));
    });

    it('logout is CSRF-checked, ends the session and removes the cookie', async () => {
      const team = await t.createTeam('logout');
      const person = await member(team, 'member');
      const cookie = person.browser.cookie(SESSION_COOKIE)!;
      expectErrorBody(await person.browser.appRequest('POST', '/auth/logout'), 403, 'auth/csrf_failed');

      const out = await asPerson(person, 'POST', '/auth/logout');
      expect(out.status).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/^heddle_session=; Path=\/; Max-Age=0;/);
      expect(person.browser.cookie(SESSION_COOKIE)).toBeUndefined();
      expectErrorBody(
        await t.request('GET', '/api/me', { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } }),
        401,
        'auth/session_revoked',
      );
      // Logging out without a session is harmless.
      expect((await t.request('POST', '/auth/logout')).status).toBe(204);
    });

    it('an event stream opened with the cookie ends when the session does', async () => {
      const team = await t.createTeam('stream');
      const person = await member(team, 'viewer');
      const cookie = `${SESSION_COOKIE}=${person.browser.cookie(SESSION_COOKIE)}`;
      const stream = await SseClient.open(`${await t.baseUrl()}/api/events/stream?live=true`, null, { cookie });
      try {
        expect(stream.status).toBe(200);
        expect((await asPerson(person, 'POST', '/auth/logout')).status).toBe(204);
        await stream.ended;
        expect(stream.comments.at(-1)).toMatch(/revoked or has expired/);
      } finally {
        stream.close();
      }
    });

    it('a session ends at its expiry (SESSION_TTL_SECONDS)', async () => {
      const team = await t.createTeam('expiry');
      const person = await member(team, 'viewer');
      t.clock.advance(43_200_000 + 1000);
      expectErrorBody(await person.browser.appRequest('GET', '/api/me'), 401, 'auth/session_expired');
    });
  });

  describe('API tokens made by people', () => {
    it('never hold a scope the role lacks (403 naming it); members without `admin` cannot make any', async () => {
      const team = await t.createTeam('people-tokens');
      const admin = await member(team, 'admin');
      const plain = await member(team, 'member');

      for (const scope of ['checks:command', 'members:owner', 'platform:admin']) {
        const res = await asPerson(admin, 'POST', '/api/tokens', { name: 'too-much', scopes: ['tasks:read', scope] });
        expectErrorBody(res, 403, 'auth/missing_scope');
        expect(res.body.details).toEqual({ missing: [scope] });
        expect(res.body.message).toBe(`your role in this team (admin) lacks the scope ${scope}`);
      }
      const allowed = await asPerson(admin, 'POST', '/api/tokens', { name: 'ci', scopes: [...ROLE_SCOPES.admin] });
      expect(allowed.status).toBe(201);
      expect((await t.request('GET', '/api/me', { token: allowed.body.token })).body.teamId).toBe(team.teamId);

      const denied = await asPerson(plain, 'POST', '/api/tokens', { name: 'ci', scopes: ['tasks:read'] });
      expectErrorBody(denied, 403, 'auth/missing_scope');
      expect(denied.body.details).toEqual({ missing: ['admin'] });

      // Revoked by the person too; the audit names them.
      expect((await asPerson(admin, 'DELETE', `/api/tokens/${allowed.body.id}`)).status).toBe(204);
      const audit = await t.request('GET', '/api/audit?limit=100', { token: team.token });
      const rows = (
        audit.body.items as Array<{ action: string; actor: string; actorTokenId: string | null; targetId: string }>
      ).filter((r) => r.targetId === allowed.body.id);
      expect(rows.map((r) => [r.action, r.actor, r.actorTokenId])).toEqual([
        ['token.revoke', `user:${admin.email}`, null],
        ['token.create', `user:${admin.email}`, null],
      ]);
    });

    it('a demotion revokes the tokens the person made with scopes the new role lacks', async () => {
      const team = await t.createTeam('demoted-tokens');
      const admin = await member(team, 'admin');
      const wide = await asPerson(admin, 'POST', '/api/tokens', { name: 'wide', scopes: ['hosts:write'] });
      const narrow = await asPerson(admin, 'POST', '/api/tokens', { name: 'narrow', scopes: ['tasks:read'] });
      expect([wide.status, narrow.status]).toEqual([201, 201]);

      expect(
        (await t.request('PATCH', `/api/members/${admin.memberId}`, { token: team.token, body: { role: 'member' } }))
          .status,
      ).toBe(200);
      expectErrorBody(
        await t.request('GET', '/api/me', { token: wide.body.token }),
        401,
        /^auth\/(token_revoked|invalid_token)$/,
      );
      expect((await t.request('GET', '/api/me', { token: narrow.body.token })).status).toBe(200);
    });
  });
});
