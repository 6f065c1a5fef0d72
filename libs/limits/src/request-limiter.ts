import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, normalizeIp } from '@nestjs/throttler';
import { AuthContext, RateLimitedError, SKIP_RATE_LIMIT } from '@heddle/common';
import { LimitClass, tokenClassOf } from './limit-class';

/** Where the class being counted rides on the request while the throttler runs. */
const LIMIT_CLASS = Symbol('heddle.limit-class');

interface LimitedRequest {
  method: string;
  ip?: string;
  user?: AuthContext;
  [LIMIT_CLASS]?: LimitClass;
}

const WHO: Record<LimitClass, string> = {
  read: 'this token made more reads than',
  write: 'this token made more writes than',
  anonymous: 'this address made more requests than',
  auth_failure: 'this address failed to authenticate more often than',
};

/**
 * `@nestjs/throttler`'s guard, driven by the global `ScopesGuard` (libs/auth) at the point each
 * limit applies rather than as a guard of its own: a route without a token is counted by client
 * address before it runs; a failed authentication by client address (over the limit the answer
 * becomes 429 instead of 401); an authenticated request by its token id, after authentication, as
 * a read or a write. One throttler per class (`LimitsModule` leaves out the classes set to 0); each
 * runs only for requests of its class. Counters are per token or address across every route, and
 * live in Redis (`RedisThrottlerStorage`).
 */
@Injectable()
export class RequestLimiter extends ThrottlerGuard {
  /** A route that takes no token: counted against the client address (unless `@SkipRateLimit()`). */
  limitAnonymous(context: ExecutionContext): Promise<void> {
    return this.count(context, 'anonymous');
  }

  /** Authentication failed: counted against the client address; over the limit this throws the 429. */
  limitFailedAuthentication(context: ExecutionContext): Promise<void> {
    return this.count(context, 'auth_failure');
  }

  /** An authenticated request (`request.user` set): counted against its token as a read or a write. */
  limitToken(context: ExecutionContext): Promise<void> {
    const request = context.switchToHttp().getRequest<LimitedRequest>();
    return this.count(context, tokenClassOf(request.method));
  }

  private async count(context: ExecutionContext, limitClass: LimitClass): Promise<void> {
    const request = context.switchToHttp().getRequest<LimitedRequest>();
    request[LIMIT_CLASS] = limitClass;
    try {
      await this.canActivate(context);
    } finally {
      delete request[LIMIT_CLASS];
    }
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return (
      this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()]) === true
    );
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as LimitedRequest;
    const limitClass = request[LIMIT_CLASS];
    if ((limitClass === 'read' || limitClass === 'write') && request.user) return `token:${request.user.tokenId}`;
    // IPv6 clients are counted by /64, as the throttler does: one host holds a whole /64.
    return `ip:${normalizeIp(request.ip ?? 'unknown', this.ipv6SubnetPrefix)}`;
  }

  /** One counter per class and token (or address), shared by every route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const { req, res } = this.getRequestResponse(context);
    const limitClass = (req as LimitedRequest)[LIMIT_CLASS] ?? 'anonymous';
    const retryAfterSeconds = Math.max(1, detail.timeToBlockExpire);
    const windowSeconds = Math.round(detail.ttl / 1000);
    this.setResponseHeader(res, 'retry-after', retryAfterSeconds);
    throw new RateLimitedError(
      `${WHO[limitClass]} ${detail.limit} in ${windowSeconds} s; retry after ${retryAfterSeconds} s`,
      retryAfterSeconds,
      { limit: detail.limit, windowSeconds, class: limitClass },
    );
  }
}

/** The class a request is being counted in, for the throttlers' `skipIf`. */
export function limitClassOf(context: ExecutionContext): LimitClass | undefined {
  return context.switchToHttp().getRequest<LimitedRequest>()[LIMIT_CLASS];
}
