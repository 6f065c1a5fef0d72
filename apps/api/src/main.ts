import 'reflect-metadata';
import { loadConfigOrExit, serve } from '@heddle/platform';
import { version } from '../../../package.json';
import { ApiModule } from './api.module';

/** `npm run start:api` serves HTTP only; `npm start` (--with-workers) also runs every consumer. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const withWorkers = process.argv.includes('--with-workers');
  await serve(ApiModule.forRoot(config, { withWorkers }), config, {
    port: config.port,
    host: config.host,
    swagger: true,
    version,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
  // One plain line for people, next to the JSON logs.
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(
    `Heddle API ${version} listening on http://${host}:${config.port}${withWorkers ? ' with every worker consumer' : ''} (public URL ${config.publicUrl})\n`,
  );
}

void main();
