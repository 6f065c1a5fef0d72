export { AppConfig, ConfigError, loadConfig } from './app-config';
export type { AppConfigValues } from './app-config';
export { ConfigModule } from './config.module';
export { renderConfigurationDoc } from './config-docs';
export { API_TOKEN_PATTERN, ENV_SCHEMA, LOG_LEVELS, MEMBER_ROLES, WORKER_CONSUMER_NAMES } from './env-schema';
export type { GroupRoleMapping, LogLevel, MemberRole, OutboundAllow, WorkerConsumerName } from './env-schema';
