import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsDate, MaxDate, MinDate, ValidateIf } from 'class-validator';

/**
 * Optional, but never null. `@IsOptional()` also skips the checks for null, which would let
 * `{"name": null}` through validation and fail in the database as a 500.
 */
export const IsOptionalNotNull = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** The dates a request may carry: what Postgres `timestamptz` and every client can hold without surprise. */
export const EARLIEST_DATE = new Date('1970-01-01T00:00:00.000Z');
export const LATEST_DATE = new Date('9999-12-31T23:59:59.999Z');

/**
 * A date-time field: an ISO 8601 string turned into a Date between 1970 and 9999. `@IsDate()` alone
 * accepts `+275760-09-13T00:00:00Z`, which the database cannot store (a 500).
 */
export const IsDateTime = () =>
  applyDecorators(
    Type(() => Date),
    IsDate({ message: ({ property }) => `${property} must be an ISO 8601 date-time` }),
    MinDate(EARLIEST_DATE, { message: ({ property }) => `${property} must not be before 1970-01-01` }),
    MaxDate(LATEST_DATE, { message: ({ property }) => `${property} must not be after 9999-12-31` }),
  );
