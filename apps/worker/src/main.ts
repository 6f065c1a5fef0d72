import 'reflect-metadata';
import { loadConfigOrExit, serve } from '@heddle/platform';
import { version } from '../../../package.json';
import { WorkerModule } from './worker.module';

/** `npm run start:worker`: consumers only, with a small health server on WORKER_HEALTH_PORT. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await serve(WorkerModule.forRoot(config), config, {
    port: config.workerHealthPort,
    host: config.host,
    swagger: false,
    version,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
  // One plain line for people, next to the JSON logs.
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(
    `Heddle worker ${version} running ${config.workerConsumers.join(', ')}; health on http://${host}:${config.workerHealthPort}/healthz\n`,
  );
}

void main();
