import { HttpException, HttpStatus } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { DomainError } from '@heddle/common';
import { mapPrismaError } from '@heddle/db';

/** The one body of every error answer. */
export class ErrorResponseDto {
  @ApiProperty({ example: 404 })
  statusCode!: number;

  @ApiProperty({ example: 'token/not_found', description: 'Stable, namespaced code to branch on.' })
  code!: string;

  @ApiProperty({ example: 'token 0195f3c2-… not found', description: 'For people; may change.' })
  message!: string;

  @ApiProperty({
    anyOf: [
      { type: 'array', items: { type: 'object', additionalProperties: true } },
      { type: 'object', additionalProperties: true, nullable: true },
    ],
    description: 'Structured detail, or null: for a 400 the invalid fields and their messages.',
    example: [{ field: 'name', errors: ['name must be a string'] }],
  })
  details!: unknown;

  @ApiProperty({ example: '0f4c1c3e-5c9b-4c53-9e0e-0d3b7e5d9a11', description: 'Echo of `x-request-id`.' })
  requestId!: string;
}

export type ErrorBody = ErrorResponseDto;

const CODE_BY_STATUS: Record<number, string> = {
  400: 'request/invalid',
  401: 'auth/unauthorized',
  403: 'auth/forbidden',
  404: 'route/not_found',
  405: 'route/method_not_allowed',
  406: 'request/not_acceptable',
  408: 'request/timeout',
  409: 'resource/conflict',
  413: 'request/too_large',
  414: 'request/uri_too_long',
  415: 'request/unsupported_media_type',
  429: 'request/rate_limited',
  431: 'request/headers_too_large',
  503: 'service/unavailable',
};

/** Fastify's own errors (body parsing, limits) carry a numeric statusCode and an `FST_` code. */
interface FastifyLikeError {
  statusCode: number;
  code?: string;
  message: string;
}

/**
 * Only Fastify's own errors (codes `FST_…`) are trusted to speak to the client: any other object that
 * happens to carry a statusCode (an HTTP client's error, say) is a server fault and answers 500.
 */
function isFastifyClientError(err: unknown): err is FastifyLikeError {
  const e = err as Partial<FastifyLikeError> | null;
  return (
    !!e &&
    typeof e.code === 'string' &&
    e.code.startsWith('FST_') &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  );
}

function fastifyCode(err: FastifyLikeError): string {
  if (err.statusCode === 413) return 'request/too_large';
  if (err.statusCode === 400 && /JSON|SyntaxError|body/i.test(`${err.code} ${err.message}`)) return 'request/malformed';
  return CODE_BY_STATUS[err.statusCode] ?? `request/error_${err.statusCode}`;
}

/** Turns anything thrown while serving a request into the error body; `internal` is for logging. */
export function toErrorBody(thrown: unknown, requestId: string): { body: ErrorBody; internal: boolean } {
  // Nest wraps Fastify's own errors (body parsing, limits) in an HttpException; unwrap for the code.
  const err = thrown instanceof HttpException && isFastifyClientError(thrown.cause) ? thrown.cause : thrown;
  const domain = err instanceof DomainError ? err : mapPrismaError(err);
  if (domain) {
    return {
      body: {
        statusCode: domain.statusCode,
        code: domain.code,
        message: domain.message,
        details: domain.details ?? null,
        requestId,
      },
      internal: false,
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? err.message);
    return {
      body: {
        statusCode: status,
        code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal/error' : `request/error_${status}`),
        // A server-side failure's own text may carry internals; it goes to the log, not the client.
        message: status >= 500 ? 'internal server error' : message,
        details: status >= 500 ? null : ((response as { details?: unknown }).details ?? null),
        requestId,
      },
      internal: status >= 500,
    };
  }
  if (isFastifyClientError(err)) {
    return {
      body: { statusCode: err.statusCode, code: fastifyCode(err), message: err.message, details: null, requestId },
      internal: false,
    };
  }
  return {
    body: {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'internal/error',
      message: 'internal server error',
      details: null,
      requestId,
    },
    internal: true,
  };
}
