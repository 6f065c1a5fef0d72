import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, PageQueryDto, RequireScopes } from '@heddle/common';
import { ApiTokensService } from './api-tokens.service';
import { SessionsService } from './people/sessions.service';
import { CreateTokenDto, CreatedTokenResponseDto, MeResponseDto, TokenPageDto } from './dto/tokens.dto';

@ApiTags('tokens')
@Controller('api/tokens')
export class TokensController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Post()
  @RequireScopes('admin')
  @ApiOperation({
    summary: 'Create an API token',
    description: 'The response holds the whole token, this once. A token cannot mint scopes it lacks.',
  })
  @ApiCreatedResponse({ type: CreatedTokenResponseDto })
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CreateTokenDto): Promise<CreatedTokenResponseDto> {
    return this.tokens.create(auth, dto);
  }

  @Get()
  @RequireScopes('admin')
  @ApiOperation({ summary: "List the team's live tokens (never their secrets)" })
  @ApiOkResponse({ type: TokenPageDto })
  list(@CurrentAuth() auth: AuthContext, @Query() query: PageQueryDto): Promise<TokenPageDto> {
    return this.tokens.list(auth.teamId, query.limit!, query.cursor);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('admin')
  @ApiOperation({ summary: 'Revoke a token', description: 'Every replica refuses it within a second.' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  revoke(@CurrentAuth() auth: AuthContext, @IdParam() id: string): Promise<void> {
    return this.tokens.revoke(auth, id);
  }
}

@ApiTags('tokens')
@Controller('api/me')
export class MeController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @RequireScopes()
  @ApiOperation({
    summary: 'Who am I: the team and scopes of the token, or the person of the login cookie',
    description:
      'With a bearer token: its team, id and scopes. With the login cookie: also the person, their role here, every team they belong to and the CSRF token for writes. A person in no team gets 403 `auth/no_membership`; one in several teams without `X-Heddle-Team` gets 400 `auth/team_required` listing them.',
  })
  @ApiOkResponse({ type: MeResponseDto })
  async me(@CurrentAuth() auth: AuthContext): Promise<MeResponseDto> {
    const base = { teamId: auth.teamId, teamName: auth.teamName, scopes: [...auth.scopes] };
    if (!auth.user) return { ...base, tokenId: auth.tokenId };
    return { ...base, tokenId: null, ...(await this.sessions.view(auth)) };
  }
}
