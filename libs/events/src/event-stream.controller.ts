import { Controller, Get, Headers, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { AuthContext, CurrentAuth, EVENT_TYPES, EventType, RequireScopes } from '@heddle/common';
import { EventStream, SseSource } from '@heddle/platform';
import { EventStreamService } from './event-stream.service';

/** `type=A&type=B`, `type=A,B` or both, as one list. */
const toList = ({ value }: { value: unknown }): unknown =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value])
        .flatMap((v) => String(v).split(','))
        .map((v) => v.trim())
        .filter(Boolean);

const toBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

export class StreamEventsQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description:
      'Replay the events with seq greater than this, then follow live. For clients that cannot send ' +
      '`Last-Event-ID`; the header wins when both are present.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'Without `after` or `Last-Event-ID`: skip the history and send only events committed from now on ' +
      '(otherwise the whole log is replayed first).',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  live?: boolean;

  @ApiPropertyOptional({
    enum: EVENT_TYPES,
    isArray: true,
    description: 'Only events of these types: repeat the parameter or separate types with commas.',
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @IsIn(EVENT_TYPES, { each: true })
  type?: EventType[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  hostId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  taskId?: string;
}

const FRAMES = `One frame per event, oldest first:

    id: <seq>
    event: <type>
    data: <the event as JSON: an EventDto, as an item of GET /api/events>

Each frame's \`data\` has the schema \`EventDto\` (#/components/schemas/EventDto): a union discriminated
by \`type\` (the frame's \`event:\`), whose \`data\` has that type's schema.

A \`: heartbeat\` comment every \`SSE_HEARTBEAT_MS\` keeps proxies from closing an idle stream. A stream
that starts after seq N first sends the frame \`id: N\` alone, which dispatches nothing but makes a
reconnecting client resume from N. Only committed events are sent, each once, in seq order, with no gaps.`;

@ApiTags('events')
@Controller('api/events')
export class EventStreamController {
  constructor(private readonly streams: EventStreamService) {}

  @Get('stream')
  @RequireScopes('events:read')
  @ApiOperation({
    summary: "The team's event log as Server-Sent Events: history, then live",
    description:
      'Replays the log after a position, then sends each event as it commits. Resume with `Last-Event-ID` ' +
      '(EventSource sends it on reconnect) or `?after=<seq>`; with neither, the whole log is replayed ' +
      'unless `live=true`. Filters apply to history and live events alike. When the stream drops, resume ' +
      'from the last id received (or page `GET /api/events?after=<seq>`): nothing is missed.',
  })
  @EventStream({
    description: FRAMES,
    example:
      ': connected\n\nid: 42\nevent: HOST_ONLINE\ndata: {"id":"0195f3c2-…","seq":42,"type":"HOST_ONLINE",…}\n\n: heartbeat\n\n',
  })
  stream(
    @CurrentAuth() auth: AuthContext,
    @Query() query: StreamEventsQueryDto,
    @Headers('last-event-id') lastEventId?: string,
  ): Promise<SseSource> {
    return this.streams.openSse(
      auth.teamId,
      { types: query.type, hostId: query.hostId, taskId: query.taskId },
      { lastEventId, after: query.after, live: query.live },
    );
  }
}
