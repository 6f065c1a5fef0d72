import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@heddle/config';
import { buildOpenApiDocument, createHttpAdapter } from '@heddle/platform';
import { version } from '../../../package.json';
import { ApiModule } from './api.module';

/** `npm run openapi`: writes docs/openapi.json from the real API module, without listening. */
async function main(): Promise<void> {
  // The document does not depend on the environment; a throwaway key keeps validation happy.
  const config = loadConfig({ ...process.env, HEDDLE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') });
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config, { withWorkers: false }),
    createHttpAdapter(config),
    {
      logger: false,
    },
  );
  const document = buildOpenApiDocument(app, version);
  const target = join(__dirname, '../../../docs/openapi.json');
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
  console.log(`wrote ${target}`);
}

void main();
