import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** The login cookie (see SESSION_COOKIE in libs/common) and the short-lived one of a login in progress. */
export const LOGIN_STATE_COOKIE = 'heddle_login';
/** The header a cookie-authenticated write carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** The header a person in several teams names the team of a request in. */
export const TEAM_HEADER = 'x-heddle-team';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

export interface CookieKeys {
  /** HMAC-SHA256 key of the session cookie and the CSRF tokens. */
  session: Buffer;
  /** AES-256-GCM key of the login-state cookie (it carries the PKCE verifier). */
  loginState: Buffer;
}

/**
 * The cookie keys: from SESSION_SECRET when set, else derived from HEDDLE_ENCRYPTION_KEY. Either way
 * through HKDF with a label per use, so no key serves two purposes.
 */
export function deriveCookieKeys(sessionSecret: string | undefined, encryptionKey: Buffer): CookieKeys {
  const base = sessionSecret ? Buffer.from(sessionSecret, 'utf8') : encryptionKey;
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', base, Buffer.alloc(0), label, 32));
  return { session: derive('heddle session cookie v1'), loginState: derive('heddle login state v1') };
}

export interface SessionCookieValue {
  sessionId: string;
  secret: string;
}

/**
 * `<session id>.<secret>.<HMAC-SHA256 of both>`. The signature lets a tampered or foreign cookie be
 * refused before any query; the secret is then compared with the session row's hash, so a cookie is
 * only good while its row is (logout and removal revoke the row).
 */
export class SessionCookieSigner {
  constructor(private readonly key: Buffer) {}

  issue(sessionId: string): { value: string; secret: string; secretHash: string } {
    const secret = randomBytes(32).toString('base64url');
    return {
      value: `${sessionId}.${secret}.${this.mac(`${sessionId}.${secret}`)}`,
      secret,
      secretHash: sha256(secret),
    };
  }

  verify(value: string | undefined): SessionCookieValue | undefined {
    if (!value || value.length > 200) return undefined;
    const [sessionId, secret, mac, ...rest] = value.split('.');
    if (rest.length > 0 || !sessionId || !secret || !mac) return undefined;
    if (!UUID.test(sessionId) || !B64URL.test(secret) || !B64URL.test(mac)) return undefined;
    if (!safeEqual(mac, this.mac(`${sessionId}.${secret}`))) return undefined;
    return { sessionId, secret };
  }

  /** The CSRF token of a session: derived, so nothing more is stored, and useless without the cookie. */
  csrfToken(sessionId: string): string {
    return this.mac(`csrf:${sessionId}`);
  }

  csrfMatches(sessionId: string, token: string | undefined): boolean {
    return typeof token === 'string' && safeEqual(token, this.csrfToken(sessionId));
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Compares two strings in time independent of where they differ (digests first: equal lengths). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  secure: boolean;
  path?: string;
}

/** A `Set-Cookie` value: always httpOnly and SameSite=Lax (sent on top-level navigations such as the IdP's redirect back). */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`, `Max-Age=${options.maxAge}`];
  if (options.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  parts.push('HttpOnly', 'SameSite=Lax');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * Where a login may send the browser back to: a path on this server (`/docs`, `/ui/tasks?x=1`) or
 * an absolute URL of the same origin as HEDDLE_PUBLIC_URL. Anything else (`//evil.example`,
 * `https://evil.example`, `/\evil`) is undefined: an open redirect is a phishing tool.
 */
export function sameOriginReturnTo(returnTo: string, publicUrl: string): string | undefined {
  if (returnTo.length > 2000 || returnTo.includes('\\') || [...returnTo].some((c) => c.charCodeAt(0) < 0x20)) {
    return undefined;
  }
  const base = new URL(publicUrl);
  let target: URL;
  try {
    target = new URL(returnTo, base);
  } catch {
    return undefined;
  }
  if (target.origin !== base.origin) return undefined;
  if (!returnTo.startsWith('/') && !/^https?:\/\//i.test(returnTo)) return undefined;
  if (returnTo.startsWith('//')) return undefined;
  return `${target.pathname}${target.search}${target.hash}`;
}
