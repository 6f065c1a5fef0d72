import { randomBytes, randomUUID } from 'node:crypto';
import { MEMBER_ROLES } from '@heddle/config';
import { ROLES, parseCookies } from '@heddle/common';
import { SessionCookieSigner, deriveCookieKeys, sameOriginReturnTo, serializeCookie, sha256 } from './session-cookie';

describe('deriveCookieKeys', () => {
  const encryptionKey = randomBytes(32);

  it('derives two different 32-byte keys, the same ones every time', () => {
    const keys = deriveCookieKeys(undefined, encryptionKey);
    expect(keys.session).toHaveLength(32);
    expect(keys.loginState).toHaveLength(32);
    expect(keys.session.equals(keys.loginState)).toBe(false);
    expect(deriveCookieKeys(undefined, encryptionKey)).toEqual(keys);
    // Neither is the encryption key itself.
    expect(keys.session.equals(encryptionKey)).toBe(false);
  });

  it('uses SESSION_SECRET when set, so rotating the encryption key keeps people logged in', () => {
    const secret = 'x'.repeat(40);
    expect(deriveCookieKeys(secret, encryptionKey)).toEqual(deriveCookieKeys(secret, randomBytes(32)));
    expect(
      deriveCookieKeys(secret, encryptionKey).session.equals(deriveCookieKeys(undefined, encryptionKey).session),
    ).toBe(false);
  });
});

describe('SessionCookieSigner', () => {
  const signer = new SessionCookieSigner(randomBytes(32));
  const id = randomUUID();

  it('issues <id>.<secret>.<mac> that verifies back to the id and secret; only the hash is to be stored', () => {
    const issued = signer.issue(id);
    expect(issued.value).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(issued.value)).toEqual({ sessionId: id, secret: issued.secret });
    expect(issued.secretHash).toBe(sha256(issued.secret));
    expect(issued.value).not.toContain(issued.secretHash);
  });

  it('refuses a cookie changed anywhere, signed with another key, or malformed', () => {
    const { value } = signer.issue(id);
    const [sid, secret, mac] = value.split('.');
    const flip = (s: string) => `${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [
      `${randomUUID()}.${secret}.${mac}`,
      `${sid}.${flip(secret!)}.${mac}`,
      `${sid}.${secret}.${flip(mac!)}`,
      new SessionCookieSigner(randomBytes(32)).issue(id).value,
      `${value}.x`,
      `${sid}.${secret}`,
      '',
      'not-a-cookie',
      `${sid}.${secret}.${mac}`.replace(sid!, 'abc'),
      'x'.repeat(300),
    ]) {
      expect(signer.verify(bad)).toBeUndefined();
    }
    expect(signer.verify(undefined)).toBeUndefined();
  });

  it('derives a CSRF token per session, which only matches that session', () => {
    const token = signer.csrfToken(id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.csrfMatches(id, token)).toBe(true);
    expect(signer.csrfMatches(randomUUID(), token)).toBe(false);
    expect(signer.csrfMatches(id, undefined)).toBe(false);
    expect(signer.csrfMatches(id, '')).toBe(false);
    expect(new SessionCookieSigner(randomBytes(32)).csrfMatches(id, token)).toBe(false);
  });
});

describe('serializeCookie and parseCookies', () => {
  it('is always httpOnly and SameSite=Lax; Secure only when asked (an https HEDDLE_PUBLIC_URL)', () => {
    expect(serializeCookie('heddle_session', 'v', { maxAge: 60, secure: true })).toBe(
      'heddle_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure',
    );
    expect(serializeCookie('heddle_login', 'v', { maxAge: 600, secure: false, path: '/auth' })).toBe(
      'heddle_login=v; Path=/auth; Max-Age=600; HttpOnly; SameSite=Lax',
    );
    expect(serializeCookie('heddle_session', '', { maxAge: 0, secure: false })).toBe(
      'heddle_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
    );
  });

  it('reads a Cookie header; the first of a repeated name wins', () => {
    const cookies = parseCookies('a=1; heddle_session="x.y.z" ;b=; a=2; junk; =v');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['heddle_session', 'x.y.z'],
      ['b', ''],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });
});

describe('sameOriginReturnTo', () => {
  const publicUrl = 'https://heddle.example.com';

  it('keeps paths and URLs of this server (as a path)', () => {
    expect(sameOriginReturnTo('/docs', publicUrl)).toBe('/docs');
    expect(sameOriginReturnTo('/api/tasks?status=running#x', publicUrl)).toBe('/api/tasks?status=running#x');
    expect(sameOriginReturnTo('https://heddle.example.com/ui?a=1', publicUrl)).toBe('/ui?a=1');
  });

  it.each([
    'https://evil.example/x',
    'http://heddle.example.com/x',
    'https://heddle.example.com.evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'docs',
    '/docs\r\nSet-Cookie: x=1',
    `/${'a'.repeat(2001)}`,
  ])('refuses %j', (returnTo) => {
    expect(sameOriginReturnTo(returnTo, publicUrl)).toBeUndefined();
  });
});

describe('roles in config and common', () => {
  it('OIDC_GROUP_ROLE_MAP accepts exactly the roles of libs/common', () => {
    expect([...MEMBER_ROLES]).toEqual([...ROLES]);
  });
});
