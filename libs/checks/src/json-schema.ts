import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { CHECK_LIMITS, SchemaErrorExcerpt } from './check.types';
import { excerpt, re2, runGuarded } from './text';

/** A schema a check cannot use. */
export class JsonSchemaError extends Error {
  override name = 'JsonSchemaError';
}

export interface JsonSchemaOutcome {
  valid: boolean;
  /** At most 20. */
  errors: SchemaErrorExcerpt[];
  /** Ajv's one-line summary ('' when valid). */
  errorsText: string;
}

const MAX_REPORTED_ERRORS = 20;
const CACHE_SIZE = 100;
/** Compiled validators by serialised schema, least recently used dropped first. */
const cache = new Map<string, ValidateFunction>();

/** Ajv's hook for the engine of `pattern` keywords (`code` only matters for standalone code, unused here). */
const RE2_ENGINE = Object.assign((pattern: string, flags: string) => re2(pattern, flags), { code: 're2' });

function newAjv(schema: Record<string, unknown>): Ajv {
  // One Ajv per schema: instances remember `$id`s, and two teams may use the same `$id` for
  // different schemas. strict:false ignores unknown keywords and formats (no ajv-formats: `format`
  // is an annotation here); remote `$ref`s are never fetched.
  // `pattern` and `patternProperties` run on RE2, like pattern checks: linear time, whatever the schema says.
  const options = { allErrors: true, strict: false, logger: false as const, code: { regExp: RE2_ENGINE } };
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (dialect.includes('2020-12')) return new Ajv2020(options);
  if (dialect.includes('2019-09')) return new Ajv2019(options);
  return new Ajv(options);
}

/**
 * Compiles (and caches) a JSON Schema. Throws {@link JsonSchemaError} when it is too large, not an
 * object, invalid, asynchronous or refers to schemas that are not inside it.
 */
export function compileJsonSchema(schema: unknown, timeoutMs = 1000): ValidateFunction {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new JsonSchemaError('the schema must be a JSON object');
  }
  const key = JSON.stringify(schema);
  if (Buffer.byteLength(key, 'utf8') > CHECK_LIMITS.maxSchemaBytes) {
    throw new JsonSchemaError(`the schema must be at most ${CHECK_LIMITS.maxSchemaBytes} bytes of JSON`);
  }
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const copy = JSON.parse(key) as Record<string, unknown>;
  if (copy.$async === true) throw new JsonSchemaError('asynchronous schemas ($async) are not supported');
  let validate: ValidateFunction;
  try {
    validate = runGuarded(() => newAjv(copy).compile(copy), timeoutMs, 'compiling the schema');
  } catch (err) {
    throw new JsonSchemaError(`invalid JSON Schema: ${excerpt((err as Error).message, 500)}`);
  }
  cache.set(key, validate);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return validate;
}

/** Validates `value` against `schema` within the time budget (catastrophic `pattern`s stop). */
export function validateJsonSchema(schema: unknown, value: unknown, timeoutMs = 1000): JsonSchemaOutcome {
  const validate = compileJsonSchema(schema, timeoutMs);
  const valid = runGuarded(() => validate(value), timeoutMs, 'validating against the schema') as boolean;
  if (valid) return { valid, errors: [], errorsText: '' };
  const errors: ErrorObject[] = validate.errors ?? [];
  return {
    valid,
    errors: errors.slice(0, MAX_REPORTED_ERRORS).map((e) => ({
      instancePath: e.instancePath,
      keyword: e.keyword,
      message: excerpt(e.message ?? e.keyword, 300),
      ...(JSON.stringify(e.params ?? {}).length <= 300 ? { params: e.params as Record<string, unknown> } : {}),
    })),
    errorsText: excerpt(
      errors
        .slice(0, MAX_REPORTED_ERRORS)
        .map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}`)
        .join('; '),
    ),
  };
}
