/**
 * Domain errors. Services throw these; one global filter (libs/platform) maps them to the single
 * error body `{statusCode, code, message, details, requestId}`. Codes are namespaced strings
 * (`token/not_found`) that clients may branch on; messages are for people.
 */
export abstract class DomainError extends Error {
  abstract readonly statusCode: number;
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Missing and another team's rows are the same thing: 404. */
export class NotFoundError extends DomainError {
  readonly statusCode = 404;
  constructor(resource: string, id?: string) {
    super(`${resource}/not_found`, id ? `${resource} ${id} not found` : `${resource} not found`);
  }
}

export class ConflictError extends DomainError {
  readonly statusCode = 409;
}

/** A transition the current state does not allow; the message names that state. */
export class InvalidStateError extends DomainError {
  readonly statusCode = 409;
  constructor(resource: string, currentState: string, action: string) {
    super(`${resource}/invalid_state`, `cannot ${action} a ${resource} that is ${currentState}`, {
      currentState,
    });
  }
}

export class UnauthorizedError extends DomainError {
  readonly statusCode = 401;
  constructor(message = 'a valid bearer token is required', code = 'auth/unauthorized') {
    super(code, message);
  }
}

export class ForbiddenScopeError extends DomainError {
  readonly statusCode = 403;
  /** `holder` names who lacks it: `this token`, or a person's role (`scopeHolder` in auth-context). */
  constructor(missing: readonly string[], holder = 'this token') {
    super('auth/missing_scope', `${holder} lacks the scope ${missing.join(', ')}`, { missing });
  }
}

export class ForbiddenError extends DomainError {
  readonly statusCode = 403;
}

/** Bad input that class-validator could not see (e.g. a cursor that does not decode). */
export class BadRequestError extends DomainError {
  readonly statusCode = 400;
}

/** A feature this install has not configured (e.g. login without OIDC_ISSUER_URL); the message says how. */
export class NotImplementedError extends DomainError {
  readonly statusCode = 501;
}

/** A dependency (Postgres, Redis, an OpenCode host) is not answering. */
export class ServiceUnavailableError extends DomainError {
  readonly statusCode = 503;
}

/** An upstream (an OpenCode host) answered, but not usefully: an error, or a reply Heddle cannot use. */
export class BadGatewayError extends DomainError {
  readonly statusCode = 502;
}

/** An upstream (an OpenCode host) did not answer in time. */
export class GatewayTimeoutError extends DomainError {
  readonly statusCode = 504;
}

/**
 * Too many requests from one token or address (429 `request/rate_limited`). Whoever throws it also
 * sets `Retry-After` on the answer; `details` say which limit and when to come back.
 */
export class RateLimitedError extends DomainError {
  readonly statusCode = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, unknown> = {},
  ) {
    super('request/rate_limited', message, { ...details, retryAfterSeconds });
  }
}
