import { ENV_SCHEMA, EnvSchema, EnvValueError } from './env-schema';

type Parsed<K extends keyof EnvSchema> = ReturnType<EnvSchema[K]['parse']>;

/** The validated configuration: the only way code reads settings. */
export type AppConfigValues = {
  [K in keyof EnvSchema]: EnvSchema[K] extends { default: string } | { required: true }
    ? Parsed<K>
    : Parsed<K> | undefined;
} & { publicUrl: string };

/**
 * Injection token and type for the validated configuration: a class so Nest can inject it by type,
 * merged with the values' interface so `config.port` is typed.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class AppConfig {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface AppConfig extends AppConfigValues {}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Heddle cannot start: the configuration has ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSee docs/configuration.md for every variable.',
    );
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once and reports every problem in one message, so an operator fixes
 * them all in one go. Empty strings count as unset.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(ENV_SCHEMA) as [string, (typeof ENV_SCHEMA)[keyof EnvSchema]][]) {
    const raw = env[spec.name]?.trim() || undefined;
    const source = raw ?? ('default' in spec ? spec.default : undefined);
    if (source === undefined) {
      if ('required' in spec && spec.required) problems.push(`${spec.name} is required: ${spec.description}`);
      continue;
    }
    try {
      values[key] = spec.parse(source);
    } catch (err) {
      // Parsers never echo a secret's value, so the message is safe to log.
      problems.push(`${spec.name} ${err instanceof EnvValueError ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  values.publicUrl = (values.publicUrl as string | undefined) ?? `http://localhost:${values.port as number}`;
  return Object.freeze(values) as unknown as AppConfig;
}
