import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, PageQueryDto, RequireScopes } from '@heddle/common';
import { InviteMemberDto, MemberPageDto, MemberResponseDto, UpdateMemberDto } from './dto/member.dto';
import { MembersService } from './members.service';

@ApiTags('members')
@Controller('api/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @RequireScopes('members:read')
  @ApiOperation({
    summary: "List the team's members and pending invites, newest first",
    description: 'Members (`status: active`) and invites not yet claimed (`invited`, or `expired` past their expiry).',
  })
  @ApiOkResponse({ type: MemberPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: PageQueryDto): Promise<MemberPageDto> {
    return this.members.list(auth.teamId, query.limit!, query.cursor);
  }

  @Post()
  @RequireScopes('members:write')
  @ApiOperation({
    summary: 'Invite a person by email or OIDC subject, with a role',
    description:
      'The invite is claimed when that person next logs in (GET /auth/login); until then it is listed as `invited`. Inviting an owner needs `members:owner`. 409 `member/already_member` or `member/already_invited` when they are.',
  })
  @ApiCreatedResponse({ type: MemberResponseDto })
  invite(@CurrentAuth() auth: AuthContext, @Body() dto: InviteMemberDto): Promise<MemberResponseDto> {
    return this.members.invite(auth, dto);
  }

  @Patch(':id')
  @RequireScopes('members:write')
  @ApiOperation({
    summary: "Change a member's (or a pending invite's) role",
    description:
      "Counts from the member's next request. Making or demoting an owner needs `members:owner`; the last owner cannot be demoted (409 `member/last_owner`). A demotion revokes the API tokens that member made holding scopes the new role lacks.",
  })
  @ApiOkResponse({ type: MemberResponseDto })
  update(
    @CurrentAuth() auth: AuthContext,
    @IdParam() id: string,
    @Body() dto: UpdateMemberDto,
  ): Promise<MemberResponseDto> {
    return this.members.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('members:write')
  @ApiOperation({
    summary: 'Remove a member, or withdraw a pending invite',
    description:
      "The member's API tokens in this team are revoked and their logins end. Removing an owner needs `members:owner`; the last owner cannot be removed (409 `member/last_owner`).",
  })
  @ApiNoContentResponse({ description: 'Removed.' })
  remove(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<void> {
    return this.members.remove(auth, id);
  }
}
