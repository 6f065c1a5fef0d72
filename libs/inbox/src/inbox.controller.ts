import { Controller, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthContext, CurrentAuth, RequireScopes } from '@heddle/common';
import { UploadedDocument, UploadedDocumentBody } from '@heddle/platform';
import { CreatedOrReplayedInterceptor, CreatedTask, IdempotencyKey, TaskResponseDto } from '@heddle/tasks';
import { InboxService } from './inbox.service';

@ApiTags('inbox')
@Controller('api/inbox')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  @Post()
  @RequireScopes('tasks:write')
  @UseInterceptors(CreatedOrReplayedInterceptor)
  @ApiOperation({
    summary: 'Create a task from a document',
    description:
      "One document → one task, exactly as `POST /api/tasks` (validation, `Idempotency-Key`, events). Markdown (`# name`, `key: value` lines — workspace, host, labels, session, abort, model, agent, mode, plan — then `## goal`, `## steps`, `## acceptance`), YAML (the same fields; OpenLoom's `openloom.yaml` accepted), plain text (first line the name, the rest the goal) or .docx (its text read as Markdown); as a raw body with its content type or as a multipart file. `session:` binds the task to an existing session; `abort: true` needs `session:`. A bad document is a 400 `inbox/invalid_document` whose `details` name each line and field. See docs/inbox.md.",
  })
  @ApiConsumes(
    'text/markdown',
    'application/yaml',
    'text/plain',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'multipart/form-data',
  )
  @ApiBody({
    schema: {
      type: 'string',
      format: 'binary',
      example: '# Add a health route\nworkspace: /srv/repos/api\n## goal\nAdd GET /health.\n',
    },
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Up to 200 visible ASCII characters; scoped to the team (shared with POST /api/tasks).',
    example: 'inbox-task-md-1',
  })
  @ApiCreatedResponse({ type: TaskResponseDto, description: 'Created.' })
  @ApiOkResponse({ type: TaskResponseDto, description: 'Replayed by Idempotency-Key.' })
  submit(
    @CurrentAuth() auth: AuthContext,
    @UploadedDocument() document: UploadedDocumentBody,
    @IdempotencyKey() key?: string,
  ): Promise<CreatedTask> {
    return this.inbox.submit(auth, document, key);
  }
}
