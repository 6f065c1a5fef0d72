export { AppConfig, ConfigError, loadConfig } from './app-config';
export type { AppConfigValues } from './app-config';
export { ConfigModule } from './config.module';
export { renderConfigurationDoc } from './config-docs';
export { API_TOKEN_PATTERN, ENV_SCHEMA, LOG_LEVELS, WORKER_CONSUMER_NAMES } from './env-schema';
export type { LogLevel, OutboundAllow, WorkerConsumerName } from './env-schema';
