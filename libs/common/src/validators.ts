import { ValidateIf } from 'class-validator';

/**
 * Optional, but never null. `@IsOptional()` also skips the checks for null, which would let
 * `{"name": null}` through validation and fail in the database as a 500.
 */
export const IsOptionalNotNull = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
