import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IsDateTime, SCOPES, Scope } from '@heddle/common';

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

export class MeResponseDto {
  @ApiProperty({ format: 'uuid', example: '0195f3c2-0000-7000-8000-000000000001' })
  teamId!: string;

  @ApiProperty({ example: 'platform-team' })
  teamName!: string;

  @ApiProperty({ format: 'uuid', example: '0195f3c2-7d4e-7a61-9b0a-5e2f1c3d4b5a' })
  tokenId!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['tasks:read'] })
  scopes!: Scope[];
}
