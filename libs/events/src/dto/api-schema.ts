import { ApiSchema, ApiSchemaOptions } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

/**
 * Schema keywords for a whole class, beside its properties. `@ApiSchema` types only `name` and
 * `description`, but @nestjs/swagger spreads every key of it over the class's schema (after `type`
 * and `properties`), which is the one way to give a class-made schema a keyword of its own.
 * test/event-schemas.e2e-spec.ts reads the generated document, so a change of that behaviour fails it.
 */
function classSchema(keywords: Record<string, unknown>): ClassDecorator {
  const options: ApiSchemaOptions & Record<string, unknown> = keywords;
  return ApiSchema(options);
}

/**
 * The class's object may carry keys it does not list (`additionalProperties: true`): event data
 * and results gain keys over time, and a generated client must keep them.
 */
export function ApiOpenObject(): ClassDecorator {
  return classSchema({ additionalProperties: true });
}

/**
 * The class's schema is this union instead of an object: `oneOf`/`anyOf` (with a discriminator)
 * and nothing else. The class itself stays what the server's code sees.
 */
export function ApiUnionSchema(
  union: Pick<SchemaObject, 'oneOf' | 'anyOf' | 'discriminator' | 'description'>,
): ClassDecorator {
  // Unset, `type` and `properties` (always written for a class) are left out of the JSON document.
  return classSchema({ type: undefined, properties: undefined, ...union });
}
