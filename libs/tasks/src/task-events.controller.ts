import { Controller, Get, Headers, Query } from '@nestjs/common';
import { ApiOperation, ApiTags, OmitType } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, RequireScopes } from '@heddle/common';
import { EventStreamService, StreamEventsQueryDto } from '@heddle/events';
import { EventStream, SseSource } from '@heddle/platform';
import { TasksService } from './tasks.service';

/** `after`, `live` and `type` of `GET /api/events/stream`; the task is the path's. */
export class StreamTaskEventsQueryDto extends OmitType(StreamEventsQueryDto, ['hostId', 'taskId'] as const) {}

const FRAMES = `One frame per event of the task, oldest first:

    id: <seq>
    event: <type>
    data: <the event as JSON: an EventDto, as an item of GET /api/events>

Each frame's \`data\` has the schema \`EventDto\` (#/components/schemas/EventDto): a union discriminated
by \`type\` (the frame's \`event:\`), whose \`data\` has that type's schema.

Ids are the team's event seqs, so they skip the seqs of other tasks' events. A \`: heartbeat\` comment
every \`SSE_HEARTBEAT_MS\` keeps proxies from closing an idle stream. A stream that starts after seq N
first sends the frame \`id: N\` alone, which dispatches nothing but makes a reconnecting client resume
from N. Only committed events are sent, each once, in seq order, with no gaps.`;

@ApiTags('tasks')
@Controller('api/tasks')
export class TaskEventsController {
  constructor(
    private readonly tasks: TasksService,
    private readonly streams: EventStreamService,
  ) {}

  @Get(':id/events')
  @RequireScopes('tasks:read')
  @ApiOperation({
    summary: "A task's events as Server-Sent Events: history, then live",
    description:
      "What `GET /api/events/stream?taskId=<id>` sends, for a token with `tasks:read`: the task's events " +
      'from TASK_CREATED on, then each one as it commits. Resume with `Last-Event-ID` (EventSource sends it ' +
      'on reconnect) or `?after=<seq>`; with neither, the whole history is replayed unless `live=true`. ' +
      "`type` filters history and live events alike. 404 when the task is not the team's.",
  })
  @EventStream({
    description: FRAMES,
    example:
      ': connected\n\nid: 7\nevent: TASK_CREATED\ndata: {"id":"0195f3c2-…","seq":7,"type":"TASK_CREATED",…}\n\n: heartbeat\n\n',
  })
  async stream(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Query() query: StreamTaskEventsQueryDto,
    @Headers('last-event-id') lastEventId?: string,
  ): Promise<SseSource> {
    await this.tasks.get(auth.teamId, id); // 404 unless the task is the team's
    return this.streams.openSse(
      auth.teamId,
      { types: query.type, taskId: id },
      { lastEventId, after: query.after, live: query.live },
    );
  }
}
