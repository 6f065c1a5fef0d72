import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '@heddle/common';
import type { Delivery, DeliveryAttempt } from '@heddle/db';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** `?status=` on the deliveries listings of webhooks and sinks. */
export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, example: 'failed' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class DeliveryAttemptDto {
  @ApiProperty({ example: 1, description: '1 for the first attempt.' })
  number!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 500,
    description: 'HTTP status; null when nothing answered. A file sink reports 200 for a file written.',
  })
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

/** What webhook and sink deliveries have in common (each adds its target's id). */
export class DeliveryBaseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000d001' })
  id!: string;

  @ApiProperty({
    format: 'uuid',
    example: '0195f3c2-9a00-7000-8000-00000000e001',
    description: 'The event delivered (for webhooks also the `webhook-id` header of every attempt).',
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

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The common part of a delivery as the API shows it. */
export function toDeliveryBase(delivery: Delivery & { attemptLog: DeliveryAttempt[] }): DeliveryBaseDto {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventSeq: Number(delivery.eventSeq),
    eventType: delivery.eventType,
    status: delivery.status as DeliveryStatus,
    nextAttemptAt: delivery.status === 'pending' ? iso(delivery.nextAttemptAt) : null,
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    deliveredAt: iso(delivery.deliveredAt),
    attempts: delivery.attemptLog.map((a) => ({
      number: a.number,
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      responseExcerpt: a.responseExcerpt,
      error: a.error,
      createdAt: a.createdAt.toISOString(),
    })),
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}
