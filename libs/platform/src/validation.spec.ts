import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MinLength, ValidateNested, ValidationError } from 'class-validator';
import { BadRequestError } from '@heddle/common';
import { MAX_FIELD_ERRORS, createValidationPipe, flattenValidationErrors, validationError } from './validation';

function ve(property: string, constraints?: Record<string, string>, children: ValidationError[] = []): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

describe('flattenValidationErrors', () => {
  it('keeps top-level fields as they are', () => {
    expect(
      flattenValidationErrors([ve('name', { isString: 'name must be a string', minLength: 'name is too short' })]),
    ).toEqual([{ field: 'name', errors: ['name must be a string', 'name is too short'] }]);
  });

  it('joins nested objects with dots and array items with brackets', () => {
    const errors = [
      ve('a', undefined, [ve('b', { isInt: 'b must be an integer' })]),
      ve('items', undefined, [
        ve('0', undefined, [ve('x', { isString: 'x must be a string' })]),
        ve('12', undefined, [ve('y', undefined, [ve('z', { max: 'z must not be greater than 3' })])]),
      ]),
      ve('matrix', undefined, [ve('1', undefined, [ve('0', { isInt: 'must be an integer' })])]),
    ];

    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'a.b', errors: ['b must be an integer'] },
      { field: 'items[0].x', errors: ['x must be a string'] },
      { field: 'items[12].y.z', errors: ['z must not be greater than 3'] },
      { field: 'matrix[1][0]', errors: ['must be an integer'] },
    ]);
  });

  it('reports a parent and its children both when both have constraints', () => {
    expect(
      flattenValidationErrors([ve('a', { isObject: 'a must be an object' }, [ve('b', { isInt: 'bad b' })])]),
    ).toEqual([
      { field: 'a', errors: ['a must be an object'] },
      { field: 'a.b', errors: ['bad b'] },
    ]);
  });

  it('answers nothing for no errors', () => {
    expect(flattenValidationErrors([])).toEqual([]);
  });
});

class ItemDto {
  @IsString()
  x!: string;
}

class SettingsDto {
  @IsInt()
  @Max(10)
  b!: number;
}

class BodyDto {
  @IsString()
  @MinLength(2)
  name!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => SettingsDto)
  a?: SettingsDto;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items?: ItemDto[];
}

describe('createValidationPipe', () => {
  const pipe = createValidationPipe();
  const validate = (value: unknown) => pipe.transform(value, { type: 'body', metatype: BodyDto });

  async function rejection(value: unknown): Promise<BadRequestError> {
    const err = await validate(value).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BadRequestError);
    return err as BadRequestError;
  }

  it('answers a BadRequestError with the nested field paths of real class-validator errors', async () => {
    const err = await rejection({ name: 'n', a: { b: 11 }, items: [{ x: 'ok' }, { x: 1 }] });

    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('request/validation_failed');
    expect(err.details).toEqual([
      { field: 'name', errors: ['name must be longer than or equal to 2 characters'] },
      { field: 'a.b', errors: ['b must not be greater than 10'] },
      { field: 'items[1].x', errors: ['x must be a string'] },
    ]);
    expect(err.message).toBe(
      'name must be longer than or equal to 2 characters; b must not be greater than 10; x must be a string',
    );
  });

  it('refuses unknown properties (forbidNonWhitelisted)', async () => {
    const err = await rejection({ name: 'ok', extra: 1 });
    expect(err.details).toEqual([{ field: 'extra', errors: ['property extra should not exist'] }]);
  });

  it('passes and transforms a valid body', async () => {
    const value = await validate({ name: 'ok', a: { b: 3 } });
    expect(value).toBeInstanceOf(BodyDto);
    expect((value as BodyDto).a).toBeInstanceOf(SettingsDto);
  });
});

describe('validationError', () => {
  const fields = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ field: `k${i}`, errors: [`property k${i} should not exist`] }));

  it('lists every field when there are few', () => {
    const err = validationError(fields(3));
    expect(err.details).toHaveLength(3);
    expect(err.message).not.toContain('more');
  });

  it(`lists the first ${MAX_FIELD_ERRORS} fields and counts the rest in the message`, () => {
    const err = validationError(fields(85_000));
    expect(err.details).toEqual(fields(MAX_FIELD_ERRORS));
    expect(err.message).toMatch(new RegExp(`; and ${85_000 - MAX_FIELD_ERRORS} more invalid fields$`));
    expect(JSON.stringify({ message: err.message, details: err.details }).length).toBeLessThan(4096);
  });
});
