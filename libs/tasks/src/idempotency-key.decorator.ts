import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * The `Idempotency-Key` request header. Not `@Headers('idempotency-key')`: Swagger documents that as
 * a second, *required* header parameter beside the optional one declared with `@ApiHeader`, and
 * generated clients then demand it.
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers[
    'idempotency-key'
  ];
  return Array.isArray(value) ? value.join(', ') : value;
});
