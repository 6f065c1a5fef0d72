import { Injectable } from '@nestjs/common';
import { BadRequestError, DomainError } from '@heddle/common';
import { createValidationPipe } from '@heddle/platform';
import { CreateTaskDto } from '@heddle/tasks';

/** A task a hook makes, validated exactly as the body of POST /api/tasks is (the same pipe and DTO). */
@Injectable()
export class TaskInput {
  private readonly pipe = createValidationPipe();

  /** The CreateTaskDto for `value`; a 400 naming each bad field (prefixed with `prefix` when given). */
  async validate(value: Record<string, unknown>, prefix?: string): Promise<CreateTaskDto> {
    try {
      return (await this.pipe.transform(value, { type: 'body', metatype: CreateTaskDto, data: '' })) as CreateTaskDto;
    } catch (err) {
      if (!prefix || !(err instanceof DomainError)) throw err;
      const details = (err.details as { field: string; errors: string[] }[] | undefined)?.map((d) => ({
        ...d,
        field: `${prefix}.${d.field}`,
      }));
      throw new BadRequestError(err.code, err.message, details);
    }
  }
}
