import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '@heddle/config';

/** Paths pino replaces with [redacted]: credentials in headers, and secrets wherever they appear. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.encryptionKey',
  '*.databaseUrl',
  '*.redisUrl',
];

export function loggerModule() {
  return LoggerModule.forRootAsync({
    inject: [AppConfig],
    useFactory: (config: AppConfig) => ({
      // nestjs-pino's default route pattern matches nothing under Nest 12 on Fastify; this one
      // (the pattern nestjs-cls mounts with) matches every request.
      forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      pinoHttp: {
        level: config.logLevel,
        redact: { paths: REDACT_PATHS, censor: '[redacted]' },
        genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'none',
        // Health probes every few seconds would drown the log.
        autoLogging: { ignore: (req: IncomingMessage) => /^\/(healthz|readyz|metrics)/.test(req.url ?? '') },
        customProps: (req: IncomingMessage) => ({ requestId: (req as IncomingMessage & { id?: string }).id }),
        quietReqLogger: true,
      },
    }),
  });
}
