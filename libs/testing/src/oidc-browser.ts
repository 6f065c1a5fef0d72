import type { TestApp, TestResponse } from './test-app';

interface StoredCookie {
  value: string;
  path: string;
}

/** What a login through the browser ended with. */
export interface BrowserLogin {
  /** The app's answer to /auth/callback (303 to returnTo, with the login cookie, on success). */
  callback: TestResponse;
  /** The callback URL the provider sent the browser to (code, state, iss). */
  callbackUrl: URL;
}

export interface LoginOptions {
  returnTo?: string;
  /** Changes the provider's redirect back before the browser follows it (e.g. another state). */
  alterCallback?: (url: URL) => URL;
  /** Answer the app's routes with these extra headers (e.g. a foreign Origin). */
  appHeaders?: Record<string, string>;
}

/**
 * A browser with a cookie jar, for login tests: it talks to the real OIDC provider over HTTP
 * (`fetch`, redirects followed by hand) and to the app through `TestApp.request`, for URLs of the
 * app's HEDDLE_PUBLIC_URL (which needs no DNS). It fills the provider's development login form with
 * an account's `sub` and accepts its consent form, as a person would click through them.
 */
export class OidcBrowser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();
  private readonly appOrigin: string;

  constructor(private readonly app: TestApp) {
    this.appOrigin = new URL(app.config.publicUrl).origin;
  }

  /** The full code flow: /auth/login → provider login → consent → /auth/callback. */
  async login(sub: string, options: LoginOptions = {}): Promise<BrowserLogin> {
    const query = options.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(options.returnTo)}`;
    const start = await this.appRequest('GET', `/auth/login${query}`, { headers: options.appHeaders });
    if (start.status !== 303) throw new Error(`/auth/login answered ${start.status}: ${JSON.stringify(start.body)}`);
    let url = new URL(String(start.headers.location));
    for (let hop = 0; hop < 20; hop++) {
      if (url.origin === this.appOrigin) {
        const callbackUrl = options.alterCallback ? options.alterCallback(url) : url;
        const callback = await this.appRequest('GET', `${callbackUrl.pathname}${callbackUrl.search}`, {
          headers: options.appHeaders,
        });
        return { callback, callbackUrl };
      }
      const res = await this.fetch(url);
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location')!, url);
        continue;
      }
      const html = await res.text();
      if (res.status !== 200)
        throw new Error(`the provider answered ${res.status} at ${url.href}: ${html.slice(0, 500)}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      if (!action || !prompt) throw new Error(`no login or consent form at ${url.href}: ${html.slice(0, 500)}`);
      const form = new URLSearchParams({ prompt });
      if (prompt === 'login') {
        form.set('login', sub);
        form.set('password', 'any');
      }
      const submitted = await this.fetch(new URL(action.replace(/&amp;/g, '&'), url), form);
      if (submitted.status < 300 || submitted.status >= 400) {
        throw new Error(
          `submitting the ${prompt} form answered ${submitted.status}: ${(await submitted.text()).slice(0, 500)}`,
        );
      }
      url = new URL(submitted.headers.get('location')!, url);
    }
    throw new Error('the login did not come back to the app within 20 redirects');
  }

  /** The value of a cookie the app set (e.g. `heddle_session`), if it is in the jar. */
  cookie(name: string): string | undefined {
    return this.jar.get(this.appOrigin)?.get(name)?.value;
  }

  /** A request to the app with the jar's cookies (and any extra headers); stores what it sets. */
  async appRequest<T = any>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<TestResponse<T>> {
    const cookie = this.cookieHeader(this.appOrigin, path);
    const res = await this.app.request<T>(method, path, {
      body: options.body,
      headers: { ...(cookie ? { cookie } : {}), ...options.headers },
    });
    const setCookie = res.headers['set-cookie'];
    this.store(this.appOrigin, Array.isArray(setCookie) ? setCookie : setCookie ? [String(setCookie)] : []);
    return res;
  }

  /** Forgets every cookie (a new browser). */
  clear(): void {
    this.jar.clear();
  }

  private async fetch(url: URL, form?: URLSearchParams): Promise<Response> {
    const cookie = this.cookieHeader(url.origin, url.pathname);
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form?.toString(),
    });
    this.store(url.origin, res.headers.getSetCookie());
    return res;
  }

  private store(origin: string, setCookies: string[]): void {
    let cookies = this.jar.get(origin);
    if (!cookies) this.jar.set(origin, (cookies = new Map()));
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const attr = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const maxAge = attr('max-age');
      const expires = attr('expires');
      const gone =
        (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) < Date.now());
      if (gone) cookies.delete(name);
      else cookies.set(name, { value, path: attr('path') ?? '/' });
    }
  }

  private cookieHeader(origin: string, path: string): string {
    const cookies = this.jar.get(origin);
    if (!cookies) return '';
    return [...cookies]
      .filter(([, c]) => path.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }
}
