import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorBody } from './error-body';

/** Every error leaves through here, so every client sees the same body. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendError(reply, exception, String(request.id), this.logger);
  }
}

export function sendError(
  reply: FastifyReply,
  exception: unknown,
  requestId: string,
  logger: Pick<Logger, 'error'>,
): void {
  const { body, internal } = toErrorBody(exception, requestId);
  // Unknown errors are logged once, here, with their stack; clients only see the generic body.
  if (internal) logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  // The header is set here too: the router's own refusals (frameworkErrors) skip the onSend hook.
  void reply
    .status(body.statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .header('x-request-id', requestId)
    .send(body);
}
