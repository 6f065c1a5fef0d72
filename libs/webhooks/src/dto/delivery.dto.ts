import { ApiProperty } from '@nestjs/swagger';
import { DeliveryBaseDto } from '@heddle/delivery';

export { DELIVERY_STATUSES, DeliveryAttemptDto, ListDeliveriesQueryDto } from '@heddle/delivery';
export type { DeliveryStatus } from '@heddle/delivery';

export class DeliveryResponseDto extends DeliveryBaseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-9a00-7000-8000-00000000b001' })
  webhookId!: string;
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryResponseDto] })
  items!: DeliveryResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
