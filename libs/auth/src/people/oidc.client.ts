import { Injectable, Logger } from '@nestjs/common';
// openid-client is ESM-only; Node ≥ 20.19 loads it with require() from this CommonJS build.
import * as oidc from 'openid-client';
import { DomainError, NotImplementedError, ServiceUnavailableError, UnauthorizedError } from '@heddle/common';
import { AppConfig } from '@heddle/config';

/** Who logged in, from the validated ID token (and userinfo for what the ID token leaves out). */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** Lowercased. */
  email: string | null;
  /** `email_verified` as the provider says it; undefined when it does not say. */
  emailVerified: boolean | undefined;
  name: string | null;
  /** The groups claim (OIDC_GROUPS_CLAIM), as strings; empty when absent. */
  groups: string[];
}

/** What a login in progress must remember between /auth/login and /auth/callback. */
export interface LoginChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export class LoginFailedError extends DomainError {
  readonly statusCode = 400;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The OpenID Connect relying party: authorization code + PKCE (S256), state and nonce, ID token
 * validated (signature against the provider's JWKS, issuer, audience, expiry, nonce). The only file
 * that imports openid-client (CONVENTIONS C12).
 */
@Injectable()
export class OidcClient {
  private readonly logger = new Logger('OIDC');
  private configuration?: Promise<oidc.Configuration>;

  constructor(private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.oidcIssuerUrl !== undefined;
  }

  get redirectUri(): string {
    return new URL('/auth/callback', this.config.publicUrl).href;
  }

  /** Fresh state, nonce and PKCE verifier, and the provider's authorization URL that carries them. */
  async startLogin(): Promise<{ url: string; checks: LoginChecks }> {
    const configuration = await this.discover();
    const checks: LoginChecks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: this.config.oidcScopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url: url.href, checks };
  }

  /**
   * Redeems the code of the provider's redirect back (`callbackUrl`, with its query) for tokens,
   * checking state, nonce, PKCE and the ID token; fills in email, name and groups from userinfo
   * when the ID token does not carry them.
   */
  async finishLogin(callbackUrl: URL, checks: LoginChecks): Promise<OidcIdentity> {
    const configuration = await this.discover();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw this.loginError(err);
    }
    const claims = tokens.claims();
    if (!claims) throw new UnauthorizedError('the provider answered no ID token', 'auth/id_token_invalid');
    let merged: Record<string, unknown> = { ...claims };
    const groupsClaim = this.config.oidcGroupsClaim;
    const missing = ['email', 'name', groupsClaim].some((c) => merged[c] === undefined);
    if (missing && configuration.serverMetadata().userinfo_endpoint && tokens.access_token) {
      try {
        const info = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        merged = { ...info, ...merged };
        for (const key of ['email', 'email_verified', 'name', groupsClaim]) {
          if (merged[key] === undefined && info[key] !== undefined) merged[key] = info[key];
        }
      } catch (err) {
        // The ID token alone is enough to log in; the profile is only incomplete.
        this.logger.warn(`userinfo failed, logging ${claims.sub} in with the ID token's claims only: ${String(err)}`);
      }
    }
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof merged.email === 'string' ? merged.email.trim().toLowerCase() || null : null,
      emailVerified: typeof merged.email_verified === 'boolean' ? merged.email_verified : undefined,
      name: typeof merged.name === 'string' ? merged.name : null,
      groups: groupsOf(merged[groupsClaim]),
    };
  }

  /**
   * The provider's metadata, fetched once; a failure is not cached, so the next login tries again
   * (the provider may have been down while Heddle started).
   */
  private discover(): Promise<oidc.Configuration> {
    const issuer = this.config.oidcIssuerUrl;
    if (!issuer) {
      return Promise.reject(
        new NotImplementedError(
          'auth/login_disabled',
          'login is off on this server: set OIDC_ISSUER_URL, OIDC_CLIENT_ID (and OIDC_CLIENT_SECRET) to turn it on (docs/auth.md); API tokens work without it',
        ),
      );
    }
    if (!this.configuration) {
      const server = new URL(issuer);
      const secret = this.config.oidcClientSecret;
      this.configuration = oidc
        .discovery(
          server,
          this.config.oidcClientId!,
          secret ? { client_secret: secret } : undefined,
          secret ? oidc.ClientSecretPost(secret) : oidc.None(),
          {
            // Plain http only for a provider on this machine (tests, development): the config refuses others.
            execute: [
              oidc.enableNonRepudiationChecks,
              ...(server.protocol === 'http:' && LOOPBACK.has(server.hostname) ? [oidc.allowInsecureRequests] : []),
            ],
            timeout: 10,
          },
        )
        .catch((err: unknown) => {
          this.configuration = undefined;
          throw new ServiceUnavailableError(
            'auth/oidc_unavailable',
            `the OIDC provider ${issuer} did not answer discovery (${describe(err)}); try again, or check OIDC_ISSUER_URL`,
          );
        });
    }
    return this.configuration;
  }

  /** openid-client's refusals, as errors a person can act on; the provider being down is a 503. */
  private loginError(err: unknown): Error {
    if (err instanceof oidc.AuthorizationResponseError) {
      return new UnauthorizedError(
        `the provider did not log you in: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
        'auth/login_denied',
      );
    }
    if (err instanceof oidc.ResponseBodyError) {
      return new UnauthorizedError(
        `the provider refused the login code: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}; log in again`,
        'auth/login_failed',
      );
    }
    const message = describe(err);
    if (/state/i.test(message) && /unexpected|mismatch|missing/i.test(message)) {
      return new LoginFailedError(
        'auth/login_state_mismatch',
        `the login's state does not match: ${message}; log in again`,
      );
    }
    if (err instanceof oidc.ClientError || /jw[st]|id_token|claim|signature/i.test(message)) {
      return new UnauthorizedError(`the ID token was refused: ${message}`, 'auth/id_token_invalid');
    }
    this.logger.warn(`token request to the OIDC provider failed: ${message}`);
    return new ServiceUnavailableError(
      'auth/oidc_unavailable',
      `the OIDC provider did not answer: ${message}; try again`,
    );
  }
}

function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  return [];
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
