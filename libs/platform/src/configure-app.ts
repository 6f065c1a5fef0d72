import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@heddle/config';
import { registerDocumentBodies } from './document-body';
import { ErrorFilter } from './error.filter';
import { assertJsonShape, assertNoNul } from './json-shape';
import { MetricsService } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { createValidationPipe } from './validation';

export interface ConfigureAppOptions {
  /** Serve Swagger UI at /docs (the API role, unless DOCS_ENABLED=false); the worker's health server does not. */
  swagger: boolean;
  version: string;
}

/**
 * Everything the HTTP shell needs besides routes, in one place so that main.ts, the OpenAPI
 * generator and the e2e tests build exactly the same app.
 */
export async function configureApp(app: NestFastifyApplication, options: ConfigureAppOptions): Promise<void> {
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  // Action routes (`POST …/probe`) take no body, and many clients still send
  // `content-type: application/json` with an empty one: treat that as no body, not a 400.
  // Everything else keeps Fastify's own parser (prototype-poisoning protection included).
  // A body that parses is then bounded (depth, size, no NUL) before validation sees it: see json-shape.ts.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  const config = app.get(AppConfig);
  const limits = { maxDepth: config.bodyMaxDepth, maxNodes: config.bodyMaxFields };
  app.useBodyParser('application/json', { bodyLimit: fastify.initialConfig.bodyLimit }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    // Kept for signature checks over the exact bytes (inbound hooks read it with @RawBody()).
    (request as { rawBody?: Buffer }).rawBody = body;
    parseJson(request as Parameters<typeof parseJson>[0], body.toString('utf8'), (err, parsed) => {
      if (err) return done(err, undefined);
      try {
        assertJsonShape(parsed, limits);
      } catch (shapeError) {
        return done(shapeError as Error, undefined);
      }
      done(null, parsed);
    });
  });
  // Document bodies (markdown, yaml, text, .docx; multipart) for POST /api/inbox only.
  await registerDocumentBodies(app, config.bodyLimitBytes);
  fastify.addHook('preValidation', async (request) => {
    assertNoNul(request.query as Record<string, unknown> | undefined);
  });
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.get(MetricsService).instrument(fastify);

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        // Plain-http installs (a private network, a laptop) must still load Swagger UI's assets.
        upgradeInsecureRequests: null,
      },
    },
  });

  // DOCS_ENABLED=false: /docs and /docs/openapi.json are not registered at all (404).
  if (options.swagger && config.docsEnabled) {
    const document = buildOpenApiDocument(app, options.version);
    SwaggerModule.setup('docs', app, document, {
      jsonDocumentUrl: 'docs/openapi.json',
      swaggerOptions: { persistAuthorization: true },
    });
  }
}
