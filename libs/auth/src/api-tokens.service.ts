import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@heddle/audit';
import {
  Actor,
  AuthContext,
  BadRequestError,
  Clock,
  ForbiddenScopeError,
  NotFoundError,
  Page,
  Scope,
  UnauthorizedError,
  actorTokenId,
  actorUserId,
  scopeHolder,
  decodeCursor,
  isScope,
  toPage,
} from '@heddle/common';
import { AppConfig } from '@heddle/config';
import { ApiToken, Transactional } from '@heddle/db';
import { ApiTokensRepository, TokenWithTeam } from './api-tokens.repository';
import { TokenCache } from './token-cache';
import { generateToken, hashSecret, parseToken, secretMatches } from './token-format';

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface IssuedToken extends TokenView {
  /** The whole secret; shown this once and never again. */
  token: string;
}

export interface IssueTokenInput {
  name: string;
  scopes: readonly Scope[];
  expiresAt?: Date | null;
  /** An existing token value to store (bootstrap); otherwise a new one is generated. */
  value?: string;
}

/** lastUsedAt is a hint, not a log: write it at most this often per token. */
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class ApiTokensService {
  private readonly logger = new Logger(ApiTokensService.name);
  private readonly cache: TokenCache<TokenWithTeam | null>;
  private readonly touchedAt = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<TokenWithTeam | null>>();

  constructor(
    private readonly repository: ApiTokensRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.cache = new TokenCache(config.tokenCacheMs);
  }

  /** A token minted by another token: never with a scope the caller lacks. */
  @Transactional()
  async create(auth: AuthContext, input: IssueTokenInput): Promise<IssuedToken> {
    const missing = input.scopes.filter((s) => !auth.scopes.includes(s));
    if (missing.length > 0) throw new ForbiddenScopeError(missing, scopeHolder(auth));
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new BadRequestError('token/expiry_in_past', 'expiresAt must be in the future', [
        { field: 'expiresAt', errors: ['expiresAt must be in the future'] },
      ]);
    }
    return this.issue(auth.teamId, input, auth);
  }

  /** Stores a new token for a team. Runs in the caller's transaction. */
  async issue(teamId: string, input: IssueTokenInput, actor: Actor): Promise<IssuedToken> {
    const generated = input.value ? existingToken(input.value) : generateToken();
    const row = await this.repository.create(teamId, {
      name: input.name,
      prefix: generated.prefix,
      secretHash: hashSecret(generated.secret),
      scopes: [...new Set(input.scopes)],
      expiresAt: input.expiresAt ?? null,
      createdByTokenId: actorTokenId(actor),
      createdByUserId: actorUserId(actor),
    });
    await this.audit.record({
      teamId,
      actor,
      action: 'token.create',
      targetType: 'token',
      targetId: row.id,
      details: { name: row.name, prefix: row.prefix, scopes: row.scopes },
    });
    return { ...toView(row), token: generated.token };
  }

  async list(teamId: string, limit: number, cursor?: string): Promise<Page<TokenView>> {
    const rows = await this.repository.listActive(teamId, limit, decodeCursor(cursor)?.id);
    return toPage(rows, limit, toView);
  }

  @Transactional()
  async revoke(auth: AuthContext, id: string): Promise<void> {
    const token = await this.repository.findActive(auth.teamId, id);
    if (!token || !(await this.repository.revoke(auth.teamId, id, this.clock.now()))) {
      throw new NotFoundError('token', id);
    }
    this.cache.delete(token.prefix);
    await this.audit.record({
      teamId: auth.teamId,
      actor: auth,
      action: 'token.revoke',
      targetType: 'token',
      targetId: id,
      details: { prefix: token.prefix },
    });
  }

  /**
   * Revokes the live tokens a person made in a team: all of them (`keep` undefined: they left the
   * team), or those holding a scope outside `keep` (their role shrank). Runs in the caller's
   * transaction; each revocation is audited with the reason.
   */
  async revokeMadeBy(
    teamId: string,
    userId: string,
    actor: Actor,
    reason: string,
    keep?: readonly Scope[],
  ): Promise<number> {
    const tokens = await this.repository.listActiveMadeBy(teamId, userId);
    let revoked = 0;
    for (const token of tokens) {
      if (keep && token.scopes.every((s) => (keep as readonly string[]).includes(s))) continue;
      if (!(await this.repository.revoke(teamId, token.id, this.clock.now()))) continue;
      this.cache.delete(token.prefix);
      revoked++;
      await this.audit.record({
        teamId,
        actor,
        action: 'token.revoke',
        targetType: 'token',
        targetId: token.id,
        details: { prefix: token.prefix, reason },
      });
    }
    return revoked;
  }

  /**
   * Resolves a bearer token to its caller. Warm tokens are answered from memory; expiry is checked
   * on every call, revocation within the cache's TTL.
   */
  async authenticate(bearer: string): Promise<AuthContext> {
    const parsed = parseToken(bearer);
    if (!parsed)
      throw new UnauthorizedError('token is not a Heddle token (hdl_<prefix>_<secret>)', 'auth/invalid_token');
    const row = await this.lookup(parsed.prefix);
    if (!row || !secretMatches(parsed.secret, row.secretHash)) {
      throw new UnauthorizedError('token is unknown', 'auth/invalid_token');
    }
    const now = this.clock.now();
    if (row.revokedAt) throw new UnauthorizedError('token was revoked', 'auth/token_revoked');
    if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
      throw new UnauthorizedError('token has expired', 'auth/token_expired');
    }
    this.touch(row, now);
    return {
      teamId: row.teamId,
      teamName: row.team.name,
      tokenId: row.id,
      tokenPrefix: row.prefix,
      scopes: row.scopes.filter(isScope),
    };
  }

  /**
   * The token row for a prefix, from the cache when warm. Concurrent misses for one prefix share one
   * query, so an expiring entry under load costs one round trip, not one per request in flight.
   */
  private lookup(prefix: string): Promise<TokenWithTeam | null> {
    const cached = this.cache.get(prefix);
    if (cached) return Promise.resolve(cached.value);
    let pending = this.inflight.get(prefix);
    if (!pending) {
      pending = this.repository
        .findByPrefixForAuth(prefix)
        .then((row) => {
          this.cache.set(prefix, row);
          return row;
        })
        .finally(() => this.inflight.delete(prefix));
      this.inflight.set(prefix, pending);
    }
    return pending;
  }

  /** Forget cached tokens of a team, e.g. after its name changed. */
  forgetTeam(teamId: string): void {
    this.cache.deleteWhere((row) => row?.teamId === teamId);
  }

  private touch(row: ApiToken, now: Date): void {
    const last = this.touchedAt.get(row.id) ?? row.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.touchedAt.set(row.id, now.getTime());
    this.repository.touch(row.teamId, row.id, now).catch((err: unknown) => {
      this.logger.warn(`could not record last use of token ${row.prefix}: ${String(err)}`);
    });
  }
}

function existingToken(value: string) {
  const parsed = parseToken(value);
  if (!parsed) throw new BadRequestError('token/invalid_format', 'token value is not hdl_<prefix>_<secret>');
  return { ...parsed, token: value };
}

function toView(row: ApiToken): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.filter(isScope),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
