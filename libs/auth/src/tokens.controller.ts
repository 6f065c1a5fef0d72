import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, CurrentAuth, IdParam, PageQueryDto, RequireScopes } from '@heddle/common';
import { ApiTokensService } from './api-tokens.service';
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
  @Get()
  @RequireScopes()
  @ApiOperation({ summary: "Who am I: the calling token's team and scopes" })
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentAuth() auth: AuthContext): MeResponseDto {
    return { teamId: auth.teamId, teamName: auth.teamName, tokenId: auth.tokenId, scopes: [...auth.scopes] };
  }
}
