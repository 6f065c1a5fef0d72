import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { AuthContext, CurrentAuth, EVENT_TYPES, EventType, RequireScopes } from '@heddle/common';
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

export class EventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 42, description: 'Per-team, strictly increasing, gap-free.' })
  seq!: number;

  @ApiProperty({ enum: EVENT_TYPES, example: 'HOST_ONLINE' })
  type!: string;

  @ApiProperty({ format: 'uuid' })
  teamId!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  taskId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  hostId!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  time!: string;

  @ApiProperty({ type: Object, example: { name: 'build-box-1', status: 'online', version: '1.18.34' } })
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
