import { existsSync } from 'node:fs';
import { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, ConfigError, loadConfig } from '@heddle/config';
import { configureApp } from './configure-app';
import { createHttpAdapter } from './http-adapter';

/**
 * Reads `.env` (values already in the environment win) and validates the configuration; on a
 * problem prints the one message naming every bad variable and exits.
 */
export function loadConfigOrExit(envFile = '.env'): AppConfig {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

export interface ServeOptions {
  port: number;
  host: string;
  swagger: boolean;
  version: string;
  shutdownTimeoutMs: number;
}

/**
 * Creates, configures and starts an HTTP process. On SIGTERM/SIGINT Nest stops listening, closes
 * workers (letting active jobs finish) and pools; if that takes longer than the timeout the process
 * exits anyway, and unfinished jobs return to their queue when their lock expires.
 */
export async function serve(
  root: DynamicModule,
  config: AppConfig,
  options: ServeOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(root, createHttpAdapter(config), { bufferLogs: true });
  await configureApp(app, { swagger: options.swagger, version: options.version });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write(`shutdown took longer than ${options.shutdownTimeoutMs} ms; exiting\n`);
        process.exit(1);
      }, options.shutdownTimeoutMs).unref();
    });
  }
  await app.listen({ port: options.port, host: options.host });
  return app;
}
