import multipart from '@fastify/multipart';
import {
  BadRequestException,
  createParamDecorator,
  ExecutionContext,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** A document sent to a route that takes one (`POST /api/inbox`): its bytes and what it says it is. */
export interface UploadedDocumentBody {
  content: Buffer;
  /** The part's or the body's content type, without parameters' case changes. */
  contentType?: string;
  /** A multipart file's name. */
  fileName?: string;
}

/** Routes that take a document body (raw or multipart); every other route refuses those types (415). */
export const DOCUMENT_ROUTES = ['/api/inbox'];

/** Raw document bodies besides text/plain (Fastify's own parser keeps that one, as a string). */
const RAW_DOCUMENT_TYPES = [
  'text/markdown',
  'text/x-markdown',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
];

const isDocumentRoute = (url: string) => DOCUMENT_ROUTES.includes(url.split('?')[0]!.replace(/\/+$/, ''));

/**
 * Document bodies for DOCUMENT_ROUTES only: the raw types above as a Buffer (bounded by
 * HTTP_BODY_LIMIT_BYTES like JSON), and multipart/form-data with exactly one file of at most that
 * size and no other fields of note. Elsewhere these types answer 415, as before.
 */
export async function registerDocumentBodies(app: NestFastifyApplication, bodyLimit: number): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addContentTypeParser(RAW_DOCUMENT_TYPES, { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    if (!isDocumentRoute(request.url)) return done(new UnsupportedMediaTypeException(), undefined);
    done(null, body);
  });
  await app.register(multipart as never, {
    limits: { fileSize: bodyLimit, files: 1, fields: 10, fieldSize: 1024, parts: 11, headerPairs: 100 },
  });
  fastify.addHook('preValidation', async (request) => {
    if (request.isMultipart() && !isDocumentRoute(request.url)) throw new UnsupportedMediaTypeException();
  });
}

/** The request's document: the multipart file (field name free), or the raw body with its content type. */
export const UploadedDocument = createParamDecorator(
  async (_data: unknown, ctx: ExecutionContext): Promise<UploadedDocumentBody> => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (request.isMultipart()) {
      const file = await request.file();
      if (!file) throw new BadRequestException('multipart body without a file part');
      const content = await file.toBuffer().catch((err: { code?: string }) => {
        if (err.code === 'FST_REQ_FILE_TOO_LARGE')
          throw new PayloadTooLargeException('the file is over the body limit');
        throw err;
      });
      return { content, contentType: file.mimetype, fileName: file.filename };
    }
    const body: unknown = request.body;
    const content = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body, 'utf8') : undefined;
    if (!content)
      throw new UnsupportedMediaTypeException(
        'send the document as a raw body with its content type, or as a multipart file',
      );
    return { content, contentType: request.headers['content-type'] };
  },
);
