import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  ForbiddenScopeError,
  InvalidStateError,
  NotFoundError,
  ServiceUnavailableError,
  UnauthorizedError,
} from '@heddle/common';
import { Prisma } from '@heddle/db';
import { toErrorBody } from './error-body';

const RID = 'req-1';

function prismaError(code: string, meta?: Record<string, unknown>) {
  return new Prisma.PrismaClientKnownRequestError(`prisma says ${code}`, { code, clientVersion: '7.10.0', meta });
}

/** What Fastify throws for its own errors (FastifyError from @fastify/error). */
function fastifyError(statusCode: number, code: string, message: string) {
  return Object.assign(new Error(message), { statusCode, code, name: 'FastifyError' });
}

describe('toErrorBody', () => {
  describe('domain errors', () => {
    it.each([
      [new NotFoundError('task', 'abc'), 404, 'task/not_found', 'task abc not found', null],
      [new NotFoundError('team'), 404, 'team/not_found', 'team not found', null],
      [
        new ConflictError('team/name_taken', 'name taken', { field: 'name' }),
        409,
        'team/name_taken',
        'name taken',
        { field: 'name' },
      ],
      [
        new InvalidStateError('task', 'completed', 'abort'),
        409,
        'task/invalid_state',
        'cannot abort a task that is completed',
        { currentState: 'completed' },
      ],
      [new UnauthorizedError(), 401, 'auth/unauthorized', 'a valid bearer token is required', null],
      [
        new UnauthorizedError('token has expired', 'auth/token_expired'),
        401,
        'auth/token_expired',
        'token has expired',
        null,
      ],
      [
        new ForbiddenScopeError(['admin', 'tasks:write']),
        403,
        'auth/missing_scope',
        'this token lacks the scope admin, tasks:write',
        { missing: ['admin', 'tasks:write'] },
      ],
      [new ForbiddenError('team/forbidden', 'no'), 403, 'team/forbidden', 'no', null],
      [
        new BadRequestError('request/invalid_cursor', 'bad cursor', [{ field: 'cursor' }]),
        400,
        'request/invalid_cursor',
        'bad cursor',
        [{ field: 'cursor' }],
      ],
      [new ServiceUnavailableError('host/unreachable', 'host down'), 503, 'host/unreachable', 'host down', null],
    ])('maps %p', (err, statusCode, code, message, details) => {
      expect(toErrorBody(err, RID)).toEqual({
        body: { statusCode, code, message, details, requestId: RID },
        internal: false,
      });
    });
  });

  describe('HttpException', () => {
    it('hides the text and details of a 5xx HttpException from the client', () => {
      const { body, internal } = toErrorBody(
        new HttpException({ message: 'pool at 10.0.0.5 exhausted', details: { dsn: 'x' } }, 502),
        RID,
      );
      expect(internal).toBe(true);
      expect(body).toEqual({
        statusCode: 502,
        code: 'internal/error',
        message: 'internal server error',
        details: null,
        requestId: RID,
      });
    });

    it('uses a string response as the message', () => {
      expect(toErrorBody(new HttpException('I am a teapot', 418), RID)).toEqual({
        body: { statusCode: 418, code: 'request/error_418', message: 'I am a teapot', details: null, requestId: RID },
        internal: false,
      });
    });

    it('uses the message of an object response, with the status code', () => {
      expect(toErrorBody(new NotFoundException(), RID).body).toEqual({
        statusCode: 404,
        code: 'route/not_found',
        message: 'Not Found',
        details: null,
        requestId: RID,
      });
      expect(toErrorBody(new ForbiddenException('nope'), RID).body).toMatchObject({
        statusCode: 403,
        code: 'auth/forbidden',
        message: 'nope',
      });
    });

    it('joins an array of messages', () => {
      const { body } = toErrorBody(
        new BadRequestException(['name must be a string', 'limit must not be greater than 100']),
        RID,
      );
      expect(body).toMatchObject({
        statusCode: 400,
        code: 'request/invalid',
        message: 'name must be a string; limit must not be greater than 100',
      });
    });

    it('passes details of an object response through', () => {
      const { body } = toErrorBody(new HttpException({ message: 'bad', details: [{ field: 'x' }] }, 422), RID);
      expect(body).toEqual({
        statusCode: 422,
        code: 'request/error_422',
        message: 'bad',
        details: [{ field: 'x' }],
        requestId: RID,
      });
    });

    it('falls back to the exception message when the object response has none', () => {
      const { body } = toErrorBody(new HttpException({ reason: 'x' }, 409), RID);
      expect(body).toMatchObject({ statusCode: 409, code: 'resource/conflict', message: 'Http Exception' });
    });

    it('marks a 5xx exception internal', () => {
      expect(toErrorBody(new ServiceUnavailableException(), RID)).toMatchObject({
        body: { statusCode: 503, code: 'service/unavailable' },
        internal: true,
      });
      expect(toErrorBody(new InternalServerErrorException(), RID)).toMatchObject({
        body: { statusCode: 500, code: 'internal/error' },
        internal: true,
      });
      expect(toErrorBody(new HttpException('gateway', 502), RID).body.code).toBe('internal/error');
    });
  });

  describe("Fastify's own errors", () => {
    it('maps a body-too-large error to 413 request/too_large', () => {
      const err = fastifyError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large');
      expect(toErrorBody(err, RID)).toEqual({
        body: {
          statusCode: 413,
          code: 'request/too_large',
          message: 'Request body is too large',
          details: null,
          requestId: RID,
        },
        internal: false,
      });
    });

    it('does not trust a foreign object that merely carries a 4xx statusCode: 500, message hidden', () => {
      const { body, internal } = toErrorBody({ statusCode: 404, message: 'upstream said: secret path /x' }, RID);
      expect(internal).toBe(true);
      expect(body).toMatchObject({ statusCode: 500, code: 'internal/error', message: 'internal server error' });
    });

    it('unwraps the cause when Nest wrapped it in an HttpException (FastifyAdapter.mapException)', () => {
      const cause = fastifyError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large');
      const wrapped = new HttpException(cause.message, cause.statusCode, { cause });

      expect(toErrorBody(wrapped, RID)).toEqual({
        body: {
          statusCode: 413,
          code: 'request/too_large',
          message: 'Request body is too large',
          details: null,
          requestId: RID,
        },
        internal: false,
      });
    });

    it('also handles a wrapped PayloadTooLargeException', () => {
      const cause = fastifyError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large');
      expect(toErrorBody(new PayloadTooLargeException(cause.message, { cause }), RID).body.code).toBe(
        'request/too_large',
      );
    });

    it('maps malformed JSON to 400 request/malformed', () => {
      const cause = fastifyError(
        400,
        'FST_ERR_CTP_INVALID_JSON_BODY',
        "Body is not valid JSON but content-type is set to 'application/json'",
      );
      expect(toErrorBody(cause, RID).body).toMatchObject({ statusCode: 400, code: 'request/malformed' });
      expect(toErrorBody(new HttpException(cause.message, 400, { cause }), RID).body).toMatchObject({
        statusCode: 400,
        code: 'request/malformed',
      });
    });

    it('maps an unsupported content type to 415', () => {
      const err = fastifyError(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'Unsupported Media Type: text/csv');
      expect(toErrorBody(err, RID).body).toMatchObject({ statusCode: 415, code: 'request/unsupported_media_type' });
    });

    it('names an unlisted 4xx by its status', () => {
      expect(toErrorBody(fastifyError(418, 'FST_X', 'a teapot'), RID).body.code).toBe('request/error_418');
    });

    it('treats a 5xx Fastify error as an unknown server error', () => {
      const { body, internal } = toErrorBody(
        fastifyError(500, 'FST_ERR_HANDLER_TIMEOUT', 'handler timed out at /secret/path'),
        RID,
      );
      expect(internal).toBe(true);
      expect(body).toEqual({
        statusCode: 500,
        code: 'internal/error',
        message: 'internal server error',
        details: null,
        requestId: RID,
      });
    });
  });

  describe('Prisma errors', () => {
    it('maps P2002 (unique key taken) to 409 naming the fields', () => {
      const { body, internal } = toErrorBody(prismaError('P2002', { target: ['name'] }), RID);
      expect(internal).toBe(false);
      expect(body).toEqual({
        statusCode: 409,
        code: 'resource/conflict',
        message: 'a row with the same name already exists',
        details: { fields: ['name'] },
        requestId: RID,
      });
    });

    it('reads the fields of a P2002 reported by the pg driver adapter', () => {
      const err = prismaError('P2002', {
        driverAdapterError: { cause: { constraint: { fields: ['"teamId"', '"seq"'] } } },
      });
      expect(toErrorBody(err, RID).body).toMatchObject({ statusCode: 409, details: { fields: ['teamId', 'seq'] } });
    });

    it('maps P2002 without a target to 409 without details', () => {
      expect(toErrorBody(prismaError('P2002'), RID).body).toMatchObject({
        statusCode: 409,
        message: 'a row with the same key already exists',
        details: null,
      });
    });

    it('maps P2025 (record not found) to 404', () => {
      expect(toErrorBody(prismaError('P2025', { cause: 'Record to update not found.' }), RID)).toEqual({
        body: {
          statusCode: 404,
          code: 'resource/not_found',
          message: 'resource not found',
          details: null,
          requestId: RID,
        },
        internal: false,
      });
    });

    it('leaves other Prisma errors a 500 without their message', () => {
      const { body, internal } = toErrorBody(prismaError('P2003'), RID);
      expect(internal).toBe(true);
      expect(body).toMatchObject({ statusCode: 500, code: 'internal/error', message: 'internal server error' });
    });
  });

  describe('unknown errors', () => {
    it('become a 500 internal/error that leaks nothing', () => {
      const err = new Error('connect ECONNREFUSED postgres://admin:hunter2@10.0.0.5/heddle');
      const { body, internal } = toErrorBody(err, RID);

      expect(internal).toBe(true);
      expect(body).toEqual({
        statusCode: 500,
        code: 'internal/error',
        message: 'internal server error',
        details: null,
        requestId: RID,
      });
      expect(JSON.stringify(body)).not.toContain('hunter2');
      expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    });

    it.each([
      ['a string', 'boom'],
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
      ['a TypeError', new TypeError('x is undefined')],
      ['an object', { oops: true }],
    ])('treat %s as a 500', (_label, thrown) => {
      expect(toErrorBody(thrown, RID)).toMatchObject({
        body: { statusCode: 500, code: 'internal/error' },
        internal: true,
      });
    });

    it('do not trust a statusCode outside 4xx', () => {
      expect(toErrorBody({ statusCode: 302, message: 'moved' }, RID).body.statusCode).toBe(500);
      expect(toErrorBody({ statusCode: '404', message: 'x' }, RID).body.statusCode).toBe(500);
    });
  });
});
