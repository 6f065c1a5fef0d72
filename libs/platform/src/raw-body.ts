import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * The exact bytes of a JSON request body, as received (undefined for an empty body): what a
 * signature over the body (inbound hooks' HMAC) is checked against. The JSON body parser in
 * configure-app keeps them on the request; controllers never touch the Fastify request themselves.
 */
export const RawBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): Buffer | undefined => {
  const request = ctx.switchToHttp().getRequest<{ rawBody?: Buffer }>();
  return request.rawBody;
});
