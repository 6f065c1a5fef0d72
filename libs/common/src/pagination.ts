import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { BadRequestError } from './errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

/** The one paging convention of every list route: `limit` ≤ 100 and an opaque `cursor`. */
export class PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    description: 'Items per page.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page; omit for the first page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Position after which the next page starts: the last row's id (ids are time-ordered UUIDv7). */
export interface CursorPosition {
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): CursorPosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const id = value && typeof value === 'object' ? (value as Partial<CursorPosition>).id : undefined;
    // Only what toPage() hands out: the id of a row, a UUID (anything else would reach the query).
    if (typeof id === 'string' && UUID.test(id)) return { id: id.toLowerCase() };
  } catch {
    // fall through: any undecodable cursor is the client's error
  }
  throw new BadRequestError('request/invalid_cursor', 'cursor is not one this server handed out', [
    { field: 'cursor', errors: ['cursor must be the nextCursor of a previous page'] },
  ]);
}

/**
 * Builds a page from `limit + 1` rows fetched in order: the extra row only tells whether another
 * page exists.
 */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(map),
    nextCursor: hasMore && last ? encodeCursor({ id: last.id }) : null,
  };
}
