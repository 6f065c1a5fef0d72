import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { AuthContext, CurrentAuth, EVENT_TYPES, EventType, RequireScopes } from '@heddle/common';
import { ApiUnionSchema } from './dto/api-schema';
import { EVENT_VARIANTS } from './dto/event-variants.dto';
import { EventsReader } from './events.reader';

export class ListEventsQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    default: 0,
    description: "Return events with seq greater than this (the previous page's `nextAfter`).",
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number = 0;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number = 50;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: EventType;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;
}

const variants = [...EVENT_VARIANTS.values()];

/**
 * One event of the team's log. Its schema is a union discriminated by `type`: one variant per event
 * type, whose `data` is that type's own schema (dto/event-data.dto.ts). `data` objects may gain keys.
 */
@ApiExtraModels(...variants)
@ApiUnionSchema({
  description:
    "One event of the team's log: the envelope every event has, and `data` as its `type` says (one variant per type).",
  oneOf: variants.map((variant) => ({ $ref: getSchemaPath(variant) })),
  discriminator: {
    propertyName: 'type',
    mapping: Object.fromEntries([...EVENT_VARIANTS].map(([type, variant]) => [type, getSchemaPath(variant)])),
  },
})
export class EventDto {
  id!: string;
  seq!: number;
  type!: string;
  teamId!: string;
  taskId!: string | null;
  hostId!: string | null;
  time!: string;
  data!: unknown;
}

export class EventPageDto {
  @ApiProperty({ type: [EventDto] })
  items!: EventDto[];

  @ApiProperty({
    example: 42,
    description: 'Pass as `after` for the next page; equals `after` when nothing new has happened.',
  })
  nextAfter!: number;
}

@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(private readonly reader: EventsReader) {}

  @Get()
  @RequireScopes('events:read')
  @ApiOperation({
    summary: "The team's event log, oldest first after a sequence number",
    description:
      'For clients that cannot hold a stream, and to catch up after one drops: poll with `after=<nextAfter>`.',
  })
  @ApiOkResponse({ type: EventPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: ListEventsQueryDto): Promise<EventPageDto> {
    return this.reader.page(auth.teamId, query);
  }
}
