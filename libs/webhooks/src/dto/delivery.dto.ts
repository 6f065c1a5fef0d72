import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '@heddle/common';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, example: 'failed' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class DeliveryAttemptDto {
  @ApiProperty({ example: 1, description: '1 for the first attempt.' })
  number!: number;

  @ApiProperty({ type: Number, nullable: true, example: 500, description: 'null when nothing answered.' })
  statusCode!: number | null;

  @ApiProperty({ example: 42 })
  latencyMs!: number;

  @ApiProperty({ type: String, nullable: true, example: 'upstream unavailable', description: 'The first 1 KB.' })
  responseExcerpt!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Timeout, connection error, refusal.' })
  error!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  createdAt!: string;
}

export class DeliveryResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000d001' })
  id!: string;

  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000b001' })
  webhookId!: string;

  @ApiProperty({
    format: 'uuid',
    example: '0195f3c2-9a00-7000-8000-00000000e001',
    description: 'Also the `webhook-id` header of every attempt.',
  })
  eventId!: string;

  @ApiProperty({ example: 42 })
  eventSeq!: number;

  @ApiProperty({ example: 'TASK_COMPLETED' })
  eventType!: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'delivered' })
  status!: DeliveryStatus;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'While pending: when the next attempt is due.',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 200 })
  lastStatus!: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-23T12:00:00.000Z' })
  deliveredAt!: string | null;

  @ApiProperty({ type: [DeliveryAttemptDto], description: 'Every attempt made, oldest first.' })
  attempts!: DeliveryAttemptDto[];

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
  updatedAt!: string;
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryResponseDto] })
  items!: DeliveryResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
