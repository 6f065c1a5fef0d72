import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class ListHostWorkspacesQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Workspaces to list.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number = 20;
}

export class HostWorkspaceDto {
  @ApiProperty({ example: '/srv/repos/api' })
  directory!: string;

  @ApiProperty({ example: '2026-05-01T12:00:00.000Z', description: "Its most recently updated session's time." })
  lastUsedAt!: string;

  @ApiProperty({ example: 4, description: 'Top-level sessions seen in it (of those read).' })
  sessions!: number;

  @ApiPropertyOptional({ example: 'Fix the login bug', description: 'Title of its most recent session.' })
  lastTitle?: string;
}

export class HostWorkspacesDto {
  @ApiProperty({ type: [HostWorkspaceDto], description: 'Newest first, only under the host’s workspaceRoots.' })
  items!: HostWorkspaceDto[];

  @ApiProperty({ description: 'Sessions read from the host to build the list (at most 1000).' })
  sessionsRead!: number;
}
