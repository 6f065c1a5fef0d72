import { KeyObject, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type ProviderClass from 'oidc-provider';

/** A person the provider knows: log in as them with their `sub` (the dev interactions take any password). */
export interface OidcAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export interface TestOidcProviderOptions {
  /** The client's one redirect URI: `<HEDDLE_PUBLIC_URL>/auth/callback`. */
  redirectUri: string;
}

type IdTokenRewrite = (idToken: string) => string;

/**
 * `oidc-provider` on 127.0.0.1 with one confidential client (client_secret_post) that must use PKCE
 * (S256), its own RSA signing key (so a test can mint a token the provider would — or sign one with
 * another key), the claims `email`, `profile` and `groups`, and the package's development
 * interactions (a login form taking any password, then a consent form). Claims other than `sub`
 * reach the client through userinfo, as with most real providers.
 */
export class TestOidcProvider {
  readonly clientId = `heddle-${randomBytes(4).toString('hex')}`;
  readonly clientSecret = randomBytes(24).toString('base64url');
  private readonly accounts = new Map<string, OidcAccount>();
  private rewriteNextIdToken?: IdTokenRewrite;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly signingKey: KeyObject,
    private readonly kid: string,
  ) {}

  static async start(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(6).toString('hex');
    const self = new TestOidcProvider(server, issuer, privateKey, kid);
    // A real OpenID Provider, loaded only by the tests that start one (ESM-only: required on Node
    // ≥ 20.19, transformed by jest; it warns about Node 20 once, here).
    const { default: Provider } = (await import('oidc-provider')) as { default: typeof ProviderClass };
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: self.clientId,
          client_secret: self.clientSecret,
          redirect_uris: [options.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      pkce: { required: () => true },
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      scopes: ['openid', 'email', 'profile', 'groups'],
      cookies: { keys: [randomBytes(16).toString('hex')] },
      features: { devInteractions: { enabled: true } },
      // Explicit lifetimes (the provider warns about its defaults).
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
      findAccount: (_ctx: unknown, id: string) => {
        const account = self.accounts.get(id);
        if (!account) return undefined;
        return { accountId: id, claims: () => ({ ...account }) };
      },
    });
    // The token endpoint's answer, as the client receives it: a test may swap its ID token once.
    provider.use(async (ctx: { path: string; status: number; body: unknown }, next: () => Promise<void>) => {
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (ctx.path === '/token' && ctx.status === 200 && body?.id_token && self.rewriteNextIdToken) {
        const rewrite = self.rewriteNextIdToken;
        self.rewriteNextIdToken = undefined;
        ctx.body = { ...body, id_token: rewrite(body.id_token) };
      }
    });
    server.on('request', provider.callback());
    return self;
  }

  addAccount(account: OidcAccount): OidcAccount {
    this.accounts.set(account.sub, account);
    return account;
  }

  /** The next ID token the token endpoint answers is replaced by what `rewrite` makes of it. */
  rewriteNextIdTokenWith(rewrite: IdTokenRewrite): void {
    this.rewriteNextIdToken = rewrite;
  }

  /** The claims of an ID token (its signature unchecked). */
  static claimsOf(idToken: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  /**
   * An RS256 JWT with these claims, signed with the provider's own key (`key: 'provider'`: a token
   * it could have issued) or with a key it never had (`'foreign'`, under the provider's key id).
   */
  signIdToken(claims: Record<string, unknown>, key: 'provider' | 'foreign'): string {
    const signer =
      key === 'provider' ? this.signingKey : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const input = `${encode(header)}.${encode(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), signer).toString('base64url')}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
