import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, RequireScopes } from '@heddle/common';
import { BootstrapPlanDto, BootstrapPlanResponseDto, DraftPlanDto, DraftPlanResponseDto } from './dto/plan.dto';
import { PlansService } from './plans.service';

@ApiTags('plans')
@Controller('api/plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Post('bootstrap')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({
    summary: 'A starter PLAN.md and loop prompt',
    description:
      "pyocloop's `bootstrap`. Without `hostId`/`workspace` the files are only returned. With both they are also written into the workspace, which must lie under the host's `workspaceRoots` (400 `plan/workspace_outside_roots`); OpenCode has no file-write route, so that runs a shell command in a throw-away session and needs the `checks:command` scope and the team policy `allowCommandChecks` (403 otherwise). An existing file is a 409 `plan/file_exists` unless `force`.",
  })
  @ApiOkResponse({ type: BootstrapPlanResponseDto })
  bootstrap(@CurrentAuth() auth: AuthContext, @Body() dto: BootstrapPlanDto): Promise<BootstrapPlanResponseDto> {
    return this.plans.bootstrap(auth, dto);
  }

  @Post('draft')
  @HttpCode(200)
  @RequireScopes('tasks:write')
  @ApiOperation({
    summary: "Draft a plan's checklist from an intent",
    description:
      'Asks a host (`hostId`, or an online host with every one of `labels`) in a throw-away, read-only session to turn the intent into 3–8 checklist items, and returns them for review; nothing is dispatched. Bounded: past `timeoutSeconds` (default 60) the session is aborted and the answer is 504 `plan/draft_timeout`; past 50 000 tokens it is aborted with 502 `plan/draft_token_limit`. A reply without a usable checklist is 502 `plan/draft_unusable`; a failing host 502 `plan/host_error`. The session is deleted in every case.',
  })
  @ApiOkResponse({ type: DraftPlanResponseDto })
  draft(@CurrentAuth() auth: AuthContext, @Body() dto: DraftPlanDto): Promise<DraftPlanResponseDto> {
    return this.plans.draft(auth, dto);
  }
}
