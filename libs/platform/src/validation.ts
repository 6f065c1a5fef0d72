import { ValidationError, ValidationPipe } from '@nestjs/common';
import { BadRequestError } from '@heddle/common';

export interface FieldError {
  field: string;
  errors: string[];
}

/** Flattens nested class-validator errors into `a.b[0].c` paths with their messages. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent
      ? /^\d+$/.test(e.property)
        ? `${parent}[${e.property}]`
        : `${parent}.${e.property}`
      : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => validationError(flattenValidationErrors(errors)),
  });
}

/** Field errors an answer lists; the rest are counted in its message, so a hostile body gets a short answer. */
export const MAX_FIELD_ERRORS = 20;

/** The 400 for failed validation: the first MAX_FIELD_ERRORS fields in `details`, and how many more. */
export function validationError(details: FieldError[]): BadRequestError {
  const shown = details.slice(0, MAX_FIELD_ERRORS);
  const more = details.length - shown.length;
  const summary = shown.flatMap((d) => d.errors).join('; ');
  const message = (summary || 'request is invalid') + (more > 0 ? `; and ${more} more invalid fields` : '');
  return new BadRequestError('request/validation_failed', message, shown);
}
