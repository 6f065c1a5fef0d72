import { Body, Controller, Delete, Get, HttpCode, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CHECK_DTO_CLASSES } from '@heddle/checks';
import { AuthContext, CurrentAuth, IdParam, PageQueryDto, RequireScopes } from '@heddle/common';
import { AcceptedOrReplayedInterceptor, CreatedOrReplayedInterceptor } from './created-or-replayed.interceptor';
import { IdempotencyKey } from './idempotency-key.decorator';
import { CreateTaskDto, ListTasksQueryDto, MarkTaskDto, ResumeTaskDto, TakeoverTaskDto } from './dto/task.dto';
import {
  ListTaskMessagesQueryDto,
  SendTaskMessageDto,
  TaskMessagePageDto,
  TaskMessageResponseDto,
} from './dto/task-message.dto';
import { CheckRunPageDto, TaskPageDto, TaskResponseDto, TurnPageDto } from './dto/task-response.dto';
import { SentMessage, TaskMessagesService } from './task-messages.service';
import { CreatedTask, TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiExtraModels(...CHECK_DTO_CLASSES)
@Controller('api/tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly messages: TaskMessagesService,
  ) {}

  @Post()
  @RequireScopes('tasks:write')
  @UseInterceptors(CreatedOrReplayedInterceptor)
  @ApiOperation({
    summary: 'Create a task',
    description:
      'Stored `queued`. With `Idempotency-Key`, the same key and body answer the same task (200); the same key with another body is a 409. A `command` check needs the `checks:command` scope (403 `auth/missing_scope`) and the team policy `allowCommandChecks` (403 `task/command_checks_disabled`). Naming a host (`hostId`) whose `workspaceRoots` cannot contain the workspace is a 400 `task/workspace_outside_roots`.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Up to 200 visible ASCII characters; scoped to the team.',
    example: 'ci-run-1234',
  })
  @ApiCreatedResponse({ type: TaskResponseDto, description: 'Created.' })
  @ApiOkResponse({ type: TaskResponseDto, description: 'Replayed by Idempotency-Key.' })
  create(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: CreateTaskDto,
    @IdempotencyKey() key?: string,
  ): Promise<CreatedTask> {
    return this.tasks.create(auth, dto, key);
  }

  @Get()
  @RequireScopes('tasks:read')
  @ApiOperation({ summary: "List the team's tasks, newest first" })
  @ApiOkResponse({ type: TaskPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: ListTasksQueryDto): Promise<TaskPageDto> {
    return this.tasks.list(auth.teamId, query);
  }

  @Get(':id')
  @RequireScopes('tasks:read')
  @ApiOperation({ summary: 'Read a task: status, reason, progress, totals, latest check results' })
  @ApiOkResponse({ type: TaskResponseDto })
  get(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<TaskResponseDto> {
    return this.tasks.get(auth.teamId, id);
  }

  @Get(':id/turns')
  @RequireScopes('tasks:read')
  @ApiOperation({ summary: "A task's turns, oldest first" })
  @ApiOkResponse({ type: TurnPageDto })
  turns(@CurrentAuth() auth: AuthContext, @IdParam() id: string, @Query() query: PageQueryDto): Promise<TurnPageDto> {
    return this.tasks.turns(auth.teamId, id, query.limit!, query.cursor);
  }

  @Get(':id/checks')
  @RequireScopes('tasks:read')
  @ApiOperation({ summary: "A task's check runs, newest first" })
  @ApiOkResponse({ type: CheckRunPageDto })
  checks(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Query() query: PageQueryDto,
  ): Promise<CheckRunPageDto> {
    return this.tasks.checks(auth.teamId, id, query.limit!, query.cursor);
  }

  @Post(':id/messages')
  @RequireScopes('tasks:write')
  @UseInterceptors(AcceptedOrReplayedInterceptor)
  @ApiOperation({
    summary: 'Send a follow-up message to a task',
    description:
      "Queued (202), not sent now: the harness delivers the task's queued messages together — by lane priority, then oldest first — as the next prompt in the same session once it is idle and `followUps.debounceMs` has passed since the newest, as a turn of its own; the running turn is never aborted. `MESSAGE_QUEUED`, then `MESSAGE_DELIVERED` (with the turn) or `MESSAGE_DROPPED`. For a queued, dispatching, running, verifying or paused task; 409 `task/invalid_state` once it has finished (its undelivered messages are then dropped, `task_finished`). At the task's cap (`followUps.cap`): `reject` answers 409 `task/message_queue_full`; `drop_oldest` drops the oldest queued message of the lowest-priority lane; `summarize` merges the two oldest queued messages into one. With `Idempotency-Key`, the same key and body answer the same message (200); another body is a 409.",
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Up to 200 visible ASCII characters; scoped to the task.',
    example: 'nudge-1234',
  })
  @ApiAcceptedResponse({ type: TaskMessageResponseDto, description: 'Queued.' })
  @ApiOkResponse({ type: TaskMessageResponseDto, description: 'Replayed by Idempotency-Key.' })
  sendMessage(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: SendTaskMessageDto,
    @IdempotencyKey() key?: string,
  ): Promise<SentMessage> {
    return this.messages.send(auth, id, dto, key);
  }

  @Get(':id/messages')
  @RequireScopes('tasks:read')
  @ApiOperation({
    summary: "A task's follow-up messages, oldest first",
    description: 'Queued, delivered (with the turn) and dropped (with why) messages; filter with `status`.',
  })
  @ApiOkResponse({ type: TaskMessagePageDto })
  listMessages(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Query() query: ListTaskMessagesQueryDto,
  ): Promise<TaskMessagePageDto> {
    return this.messages.list(auth.teamId, id, query);
  }

  @Post(':id/abort')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({ summary: 'Abort a task', description: '409 naming the current state when it has already finished.' })
  @ApiOkResponse({ type: TaskResponseDto })
  abort(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<TaskResponseDto> {
    return this.tasks.abort(auth, id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({ summary: 'Pause a task: no new turns; the current one finishes' })
  @ApiOkResponse({ type: TaskResponseDto })
  pause(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<TaskResponseDto> {
    return this.tasks.pause(auth, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({ summary: 'Resume a paused or finished task, optionally with a new goal' })
  @ApiOkResponse({ type: TaskResponseDto })
  resume(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: ResumeTaskDto,
  ): Promise<TaskResponseDto> {
    return this.tasks.resume(auth, id, dto ?? {});
  }

  @Post(':id/takeover')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({ summary: 'Abort the session and prompt it with a new goal, in one call' })
  @ApiOkResponse({ type: TaskResponseDto })
  takeover(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: TakeoverTaskDto,
  ): Promise<TaskResponseDto> {
    return this.tasks.takeover(auth, id, dto);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({
    summary: 'Mark a task completed by hand',
    description:
      'A human verdict, recorded as `verification: "manual"` with who and why — never as check evidence. A running session is aborted. Also over a failed or aborted task; 409 when it is already completed.',
  })
  @ApiOkResponse({ type: TaskResponseDto })
  complete(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: MarkTaskDto,
  ): Promise<TaskResponseDto> {
    return this.tasks.markComplete(auth, id, dto);
  }

  @Post(':id/fail')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({
    summary: 'Mark a task failed by hand',
    description: 'Reason `manual`, with who and why; a running session is aborted. 409 when it has already finished.',
  })
  @ApiOkResponse({ type: TaskResponseDto })
  fail(@CurrentAuth() auth: AuthContext, @IdParam() id: string, @Body() dto: MarkTaskDto): Promise<TaskResponseDto> {
    return this.tasks.markFailed(auth, id, dto);
  }

  @Post(':id/recheck')
  @HttpCode(202)
  @RequireScopes('tasks:write')
  @ApiOperation({
    summary: 'Run the checks of a finished task again (drift)',
    description:
      'On the host it ran on, without changing its status: a `CHECK_RESULT` event with `recheck: true` and `drift: true` when checks that passed now fail, plus what changed since (files, git HEAD, dirty state). 409 unless the task has finished on a host.',
  })
  @ApiAcceptedResponse({ type: TaskResponseDto })
  recheck(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<TaskResponseDto> {
    return this.tasks.recheck(auth, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({ summary: 'Archive a finished task (hidden from default lists)' })
  @ApiOkResponse({ type: TaskResponseDto })
  archive(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<TaskResponseDto> {
    return this.tasks.archive(auth, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('tasks:write')
  @ApiOperation({ summary: 'Delete a finished task' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  delete(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<void> {
    return this.tasks.delete(auth, id);
  }
}
