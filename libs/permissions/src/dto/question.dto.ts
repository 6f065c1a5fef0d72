import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsUUID, ValidateBy, ValidationOptions, buildMessage } from 'class-validator';
import { PageQueryDto } from '@heddle/common';
import { ToolCallRefDto } from './permission.dto';

export const QUESTION_STATUSES = ['pending', 'answered', 'rejected', 'expired'] as const;
export type QuestionStatus = (typeof QUESTION_STATUSES)[number];

export const MAX_QUESTIONS = 100;
export const MAX_LABELS = 100;
export const MAX_LABEL_LENGTH = 1000;

export class QuestionOptionDto {
  @ApiProperty({ example: 'Postgres' })
  label!: string;

  @ApiProperty({ example: 'Use the existing database' })
  description!: string;
}

export class QuestionInfoDto {
  @ApiProperty({ example: 'Which database should the cache use?' })
  question!: string;

  @ApiProperty({ example: 'Database' })
  header!: string;

  @ApiProperty({ type: [QuestionOptionDto] })
  options!: QuestionOptionDto[];

  @ApiPropertyOptional({ description: 'More than one label may be chosen.' })
  multiple?: boolean;

  @ApiPropertyOptional({
    description: 'false: only the labels of `options` (OpenCode otherwise takes a typed answer).',
  })
  custom?: boolean;
}

const ANSWERS_SCHEMA = {
  type: 'array' as const,
  items: { type: 'array' as const, items: { type: 'string' as const } },
};

export class QuestionResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000d001' })
  id!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: '0195f3c2-7d4e-7a61-9b0a-5e2f1c3d4b5a' })
  taskId!: string | null;

  @ApiProperty({ format: 'uuid', example: '0195f3c2-0000-7000-8000-0000000000a1' })
  hostId!: string;

  @ApiProperty({ example: 'ses_e1b1c0f3a001Qm5kZ8yVd3H2nP' })
  sessionId!: string;

  @ApiProperty({ example: '/srv/repos/api' })
  directory!: string;

  @ApiProperty({ example: 'que_e1b1c0f3a001Qm5kZ8yVd3H2nP', description: "OpenCode's id of the request." })
  requestId!: string;

  @ApiProperty({ type: [QuestionInfoDto] })
  questions!: QuestionInfoDto[];

  @ApiProperty({ type: ToolCallRefDto, nullable: true })
  tool!: ToolCallRefDto | null;

  @ApiProperty({ enum: QUESTION_STATUSES, example: 'pending' })
  status!: QuestionStatus;

  @ApiProperty({
    ...ANSWERS_SCHEMA,
    nullable: true,
    example: [['Postgres']],
    description: 'The labels chosen, one array per question; null unless answered.',
  })
  answers!: string[][] | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: "`token:<prefix>`, `policy` (the team's `autoAnswerQuestions`) or `host`; null while pending.",
  })
  repliedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-05T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  repliedAt!: string | null;
}

export class QuestionPageDto {
  @ApiProperty({ type: [QuestionResponseDto] })
  items!: QuestionResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class ListQuestionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this task's questions." })
  @IsOptional()
  @IsUUID()
  taskId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only this host's questions." })
  @IsOptional()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({ description: 'One status or a comma list.', example: 'pending' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value))
  @IsIn(QUESTION_STATUSES, { each: true })
  status?: QuestionStatus[];
}

/** An array (≤ 100) of arrays (≤ 100) of labels (1–1000 characters each). */
function IsAnswerList(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isAnswerList',
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.length <= MAX_QUESTIONS &&
          value.every(
            (labels) =>
              Array.isArray(labels) &&
              labels.length <= MAX_LABELS &&
              labels.every((l) => typeof l === 'string' && l.length >= 1 && l.length <= MAX_LABEL_LENGTH),
          ),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be an array with one array of option labels per question (strings of 1 to ${MAX_LABEL_LENGTH} characters)`,
          options,
        ),
      },
    },
    options,
  );
}

export class ReplyQuestionDto {
  @ApiProperty({
    ...ANSWERS_SCHEMA,
    example: [['Postgres'], ['unit', 'e2e']],
    description:
      'One array of labels per question, in order (as OpenCode takes them): one label unless the question is `multiple`; a label outside `options` only when the question does not say `custom: false`.',
  })
  @IsAnswerList()
  answers!: string[][];
}
