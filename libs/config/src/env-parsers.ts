// The shape of one environment variable and the parsers shared by the area tables (env-*.ts).

export interface EnvVar<T> {
  name: string;
  description: string;
  /** Shown in docs; `undefined` means required or optional-without-default (see `required`). */
  default?: string;
  required?: boolean;
  /** Never echoed back in error messages or docs examples. */
  secret?: boolean;
  parse(raw: string): T;
}

/** Thrown by parsers; the message is completed with the variable's name by loadConfig. */
export class EnvValueError extends Error {}

export function url(protocols: string[]) {
  return (raw: string): string => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new EnvValueError(`is not a URL (expected e.g. ${protocols[0]}//host:port/...)`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new EnvValueError(`must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
    }
    return raw;
  };
}

export function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new EnvValueError(`must be a whole number (got "${raw}")`);
    const n = Number(raw);
    if (n < min || n > max) throw new EnvValueError(`must be between ${min} and ${max} (got ${n})`);
    return n;
  };
}

export function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) {
      throw new EnvValueError(`must be one of ${values.join(', ')} (got "${raw}")`);
    }
    return raw as T;
  };
}

export function flag(raw: string): boolean {
  return oneOf(['true', 'false'] as const)(raw) === 'true';
}

/** A secret typed by an operator: long enough to resist guessing, no whitespace. */
export function longSecret(minLength: number) {
  return (raw: string): string => {
    if (raw.length < minLength || /\s/.test(raw)) {
      throw new EnvValueError(
        `must be at least ${minLength} characters without spaces (e.g. \`openssl rand -base64 32\`)`,
      );
    }
    return raw;
  };
}
