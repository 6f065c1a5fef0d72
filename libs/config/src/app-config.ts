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
  problems.push(...crossChecks(values, Boolean(env.OIDC_ISSUER_URL?.trim())));
  if (problems.length > 0) throw new ConfigError(problems);
  values.publicUrl = (values.publicUrl as string | undefined) ?? `http://localhost:${values.port as number}`;
  return Object.freeze(values) as unknown as AppConfig;
}

/**
 * Variables that only make sense together. Judged on the values that parsed, so a variable with a
 * bad value is reported once, for its value.
 */
function crossChecks(values: Record<string, unknown>, issuerGiven: boolean): string[] {
  const problems: string[] = [];
  const issuer = values.oidcIssuerUrl !== undefined;
  if (issuer && values.oidcClientId === undefined) {
    problems.push('OIDC_CLIENT_ID is required with OIDC_ISSUER_URL: the client id of Heddle at your OIDC provider');
  }
  if (!issuerGiven) {
    const orphans = [
      ['OIDC_CLIENT_ID', values.oidcClientId !== undefined],
      ['OIDC_CLIENT_SECRET', values.oidcClientSecret !== undefined],
      ['OIDC_GROUP_ROLE_MAP', Array.isArray(values.oidcGroupRoleMap) && values.oidcGroupRoleMap.length > 0],
    ]
      .filter(([, set]) => set)
      .map(([name]) => name as string);
    if (orphans.length > 0) {
      const many = orphans.length > 1;
      problems.push(
        `${orphans.join(', ')} ${many ? 'are' : 'is'} set but OIDC_ISSUER_URL is not: set the issuer to turn login on, or unset ${many ? 'them' : 'it'}`,
      );
    }
  }
  return problems;
}
