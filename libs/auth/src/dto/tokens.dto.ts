import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IsDateTime, ROLES, Role, SCOPES, Scope } from '@heddle/common';

export class CreateTokenDto {
  @ApiProperty({ example: 'ci-pipeline', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['tasks:read', 'tasks:write'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes!: Scope[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2027-01-01T00:00:00Z',
    description: 'Omit for a token that does not expire.',
  })
  @IsOptional()
  @IsDateTime()
  expiresAt?: Date;
}

export class TokenResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-7d4e-7a61-9b0a-5e2f1c3d4b5a' })
  id!: string;

  @ApiProperty({ example: 'ci-pipeline' })
  name!: string;

  @ApiProperty({ example: 'k3v9x2qa', description: 'The public part of the token, shown in lists and logs.' })
  prefix!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['tasks:read', 'tasks:write'] })
  scopes!: Scope[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  expiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-23T10:15:00.000Z' })
  lastUsedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T10:00:00.000Z' })
  createdAt!: string;
}

export class CreatedTokenResponseDto extends TokenResponseDto {
  @ApiProperty({
    example: 'hdl_k3v9x2qa_3q2-7wKx0bY1tZ9mQ4sV8nR6uP5oL2iJ0hG7fE3dC1a',
    description: 'The whole token. Shown only in this response: store it now.',
  })
  token!: string;
}

export class TokenPageDto {
  @ApiProperty({ type: [TokenResponseDto] })
  items!: TokenResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class MeUserDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-1111-7000-8000-000000000001' })
  id!: string;

  @ApiProperty({ example: '248289761001', description: 'The OIDC subject (`sub`) at the issuer.' })
  subject!: string;

  @ApiProperty({ type: String, nullable: true, example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  name!: string | null;
}

export class MeMembershipDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-0000-7000-8000-000000000001' })
  teamId!: string;

  @ApiProperty({ example: 'platform-team' })
  teamName!: string;

  @ApiProperty({ enum: ROLES, example: 'admin' })
  role!: Role;
}

export class MeResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-0000-7000-8000-000000000001' })
  teamId!: string;

  @ApiProperty({ example: 'platform-team' })
  teamName!: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '0195f3c2-7d4e-7a61-9b0a-5e2f1c3d4b5a',
    description: 'The calling token; null when called with the login cookie.',
  })
  tokenId!: string | null;

  @ApiProperty({
    enum: SCOPES,
    isArray: true,
    example: ['tasks:read'],
    description: "The token's scopes, or those of the person's role in this team (docs/auth.md).",
  })
  scopes!: Scope[];

  @ApiPropertyOptional({ type: MeUserDto, description: 'With the login cookie only: the person.' })
  user?: MeUserDto;

  @ApiPropertyOptional({
    enum: ROLES,
    example: 'admin',
    description: 'With the login cookie only: the role in this team.',
  })
  role?: Role;

  @ApiPropertyOptional({
    type: [MeMembershipDto],
    description: 'With the login cookie only: every team of the person (pick one with the `X-Heddle-Team` header).',
  })
  memberships?: MeMembershipDto[];

  @ApiPropertyOptional({
    example: 'p3QhV0mQ2o8e5d2x0aTq1uYv7mZr9wK4sB6cN8dF1gE',
    description:
      'With the login cookie only: send it as `X-CSRF-Token` on writes (POST, PATCH, PUT, DELETE) unless the browser sends an `Origin` of this server.',
  })
  csrfToken?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-23T22:00:00.000Z',
    description: 'With the login cookie only: when the login ends.',
  })
  expiresAt?: string;
}
