export { WorkersModule, CONSUMER_MODULES } from './workers.module';
