import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, RequireScopes } from '@heddle/common';
import { ErrorResponseDto } from '@heddle/platform';
import {
  ListPermissionsQueryDto,
  PermissionPageDto,
  PermissionResponseDto,
  ReplyPermissionDto,
} from './dto/permission.dto';
import { ListQuestionsQueryDto, QuestionPageDto, QuestionResponseDto, ReplyQuestionDto } from './dto/question.dto';
import { PermissionsService } from './permissions.service';

const HOST_DOWN = {
  status: 503,
  description:
    'The host could not be reached, or failed, while forwarding the answer (`host/unreachable`): nothing was recorded; try again.',
  type: ErrorResponseDto,
};

const ALREADY_ANSWERED =
  ' 409 `permission/already_answered` when it is no longer pending — answered (by whom: `details.repliedBy`) or expired; also when the host no longer has it (it is then recorded `expired`).';

@ApiTags('permissions')
@Controller('api/permissions')
export class PermissionsController {
  constructor(private readonly permissions: PermissionsService) {}

  @Get()
  @RequireScopes('tasks:read')
  @ApiOperation({
    summary: "List the team's permission requests, newest first",
    description:
      "Tool approvals OpenCode sessions asked for on the team's hosts (`permission.asked`), pending or answered. `status=pending` lists what waits for a person.",
  })
  @ApiOkResponse({ type: PermissionPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: ListPermissionsQueryDto): Promise<PermissionPageDto> {
    return this.permissions.listPermissions(auth.teamId, query);
  }

  @Get(':id')
  @RequireScopes('tasks:read')
  @ApiOperation({ summary: 'Read a permission request' })
  @ApiOkResponse({ type: PermissionResponseDto })
  get(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<PermissionResponseDto> {
    return this.permissions.getPermission(auth.teamId, id);
  }

  @Post(':id/reply')
  @HttpCode(200)
  @RequireScopes('permissions:write')
  @ApiOperation({
    summary: 'Answer a permission request',
    description:
      'Forwards the reply to the host (`POST /permission/{requestID}/reply`), then records it with `PERMISSION_REPLIED` (`repliedBy: "token:<prefix>"`) and an audit row.' +
      ALREADY_ANSWERED,
  })
  @ApiOkResponse({ type: PermissionResponseDto })
  @ApiResponse(HOST_DOWN)
  reply(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: ReplyPermissionDto,
  ): Promise<PermissionResponseDto> {
    return this.permissions.replyPermission(auth, id, dto);
  }
}

@ApiTags('permissions')
@Controller('api/questions')
export class QuestionsController {
  constructor(private readonly permissions: PermissionsService) {}

  @Get()
  @RequireScopes('tasks:read')
  @ApiOperation({
    summary: "List the questions agents asked on the team's hosts, newest first",
    description: 'Multiple-choice questions of the `question` tool (`question.asked`), pending or answered.',
  })
  @ApiOkResponse({ type: QuestionPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: ListQuestionsQueryDto): Promise<QuestionPageDto> {
    return this.permissions.listQuestions(auth.teamId, query);
  }

  @Get(':id')
  @RequireScopes('tasks:read')
  @ApiOperation({ summary: 'Read a question' })
  @ApiOkResponse({ type: QuestionResponseDto })
  get(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<QuestionResponseDto> {
    return this.permissions.getQuestion(auth.teamId, id);
  }

  @Post(':id/reply')
  @HttpCode(200)
  @RequireScopes('permissions:write')
  @ApiOperation({
    summary: 'Answer a question',
    description:
      'Checks the answers against the questions asked (400 naming the field), forwards them to the host (`POST /question/{requestID}/reply`), then records them with `QUESTION_ANSWERED` and an audit row.' +
      ALREADY_ANSWERED.replace('permission/', 'question/'),
  })
  @ApiOkResponse({ type: QuestionResponseDto })
  @ApiResponse(HOST_DOWN)
  reply(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: ReplyQuestionDto,
  ): Promise<QuestionResponseDto> {
    return this.permissions.replyQuestion(auth, id, dto);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @RequireScopes('permissions:write')
  @ApiOperation({
    summary: 'Dismiss a question',
    description:
      'Forwards the dismissal to the host (`POST /question/{requestID}/reject`: the tool fails and the turn ends), then records it (`status: "rejected"`) with `QUESTION_ANSWERED` and an audit row.' +
      ALREADY_ANSWERED.replace('permission/', 'question/'),
  })
  @ApiOkResponse({ type: QuestionResponseDto })
  @ApiResponse(HOST_DOWN)
  reject(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<QuestionResponseDto> {
    return this.permissions.rejectQuestion(auth, id);
  }
}
