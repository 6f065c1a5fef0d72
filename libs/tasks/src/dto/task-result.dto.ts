import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions, getSchemaPath } from '@nestjs/swagger';
import { ApiOpenObject, CheckCountsDto } from '@heddle/events';

/**
 * What the harness stores when the checks (or, without checks, the weak verdict; in plan mode, the
 * plan) complete a task that has no passing `reply_json` check.
 */
@ApiOpenObject()
export class TaskVerdictResultDto {
  @ApiProperty({ type: CheckCountsDto, description: 'The evaluation that completed the task.' })
  checks!: CheckCountsDto;
  @ApiProperty({
    enum: ['checks', 'weak', 'manual'],
    description:
      "The task's verification when it completed: `checks`, or `weak` without checks (`manual` only for a task completed by hand before, then resumed).",
  })
  verification!: 'checks' | 'weak' | 'manual';
  @ApiPropertyOptional({ description: 'Plan mode: the summary of the `<plan-complete>` tag, when it gave one.' })
  summary?: string;
}

/** What `POST /api/tasks/{id}/complete` stores: a person's verdict, never check evidence. */
@ApiOpenObject()
export class TaskManualResultDto {
  @ApiProperty({ enum: ['manual'] }) verification!: 'manual';
  @ApiProperty({ example: 'token:a1b2c3d4', description: 'Who completed it.' }) by!: string;
  @ApiProperty({ example: 'Reviewed by hand: the migration is applied.', description: 'Why, as they said.' })
  reason!: string;
}

/** A `reply_json` check's value: any JSON its schema allows (null is the task's `result` null). */
const REPLY_VALUE = {
  description:
    "The JSON block of the agent's last reply that the task's first passing `reply_json` check parsed, as that check's schema describes it.",
  oneOf: [
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
  ],
};

/**
 * The schema of a task's `result`: null until it completes (and after a failure or an abort that
 * followed no completion). `anyOf`, not `oneOf`: a reply's value may look like a verdict. The two
 * verdict classes must be among the document's models (`@ApiExtraModels` where this is used).
 */
export const TASK_RESULT_PROPERTY: ApiPropertyOptions = {
  anyOf: [
    { $ref: getSchemaPath(TaskVerdictResultDto) },
    { $ref: getSchemaPath(TaskManualResultDto) },
    REPLY_VALUE,
    // OpenAPI 3.0 has no null type, and `nullable` needs a `type` beside it: this is "null" in 3.0.
    { type: 'object', nullable: true, enum: [null], description: 'No result: the task has not completed.' },
  ],
  description:
    "The task's outcome once completed: the value of its `reply_json` check when one passed (structured output), else the verdict that completed it (`checks` counts), or a person's (`verification: manual`); null before.",
};

/** What a task's `result` holds once set (see TASK_RESULT_PROPERTY). */
export type TaskResult =
  TaskVerdictResultDto | TaskManualResultDto | Record<string, unknown> | unknown[] | string | number | boolean;
