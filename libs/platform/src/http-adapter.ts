import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@heddle/config';
import { sendError } from './error.filter';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: the caller's `x-request-id` when it is sane, otherwise a new UUID. It is kept on
 * the raw request too, where pino-http and the CLS middleware (both below Fastify) read it.
 */
export function requestIdFor(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  (raw as IncomingMessage & { id?: string }).id = id;
  return id;
}

const logger = new Logger('HTTP');

export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdFor,
    // Fastify's own request logging is replaced by nestjs-pino's.
    logger: false,
    // Who may name the client in X-Forwarded-For (per-IP rate limits, logs): TRUST_PROXY.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    return503OnClosing: true,
    // The router's own refusals (a malformed URL, a path parameter over 100 characters → 414) come
    // before any hook or filter: answer them with the one error body too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendError(reply, error, String(request.id), logger),
    clientErrorHandler: answerClientError,
  });
}

/**
 * Errors Node's HTTP parser raises before there is a request (headers over the limit → 431, a
 * request line it cannot parse → 400, a client too slow → 408): written straight to the socket,
 * in the error body every other answer uses.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request/headers_too_large', 'the request headers are larger than the server accepts']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request/timeout', 'the request took too long to arrive']
        : [400, 'request/malformed', 'the request is not valid HTTP'];
  const requestId = randomUUID();
  const body = JSON.stringify({ statusCode, code, message, details: null, requestId });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(err);
}
