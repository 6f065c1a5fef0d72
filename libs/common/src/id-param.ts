import { Param, ParseUUIDPipe } from '@nestjs/common';
import { BadRequestError } from './errors';

/** A path id that must be a UUID (400 otherwise, before any query runs). */
export const IdParam = (name = 'id') =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new BadRequestError('request/invalid_id', `${name} must be a UUID`, [
          { field: name, errors: [`${name} must be a UUID`] },
        ]),
    }),
  );
