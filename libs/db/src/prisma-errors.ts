import { ConflictError, DomainError, NotFoundError } from '@heddle/common';
import { Prisma } from './generated/client';

/**
 * Maps the Prisma errors that mean something to a client: a unique key taken (P2002 → 409) and a
 * row that is not there (P2025 → 404). Everything else stays a server error.
 */
export function mapPrismaError(err: unknown): DomainError | undefined {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  if (err.code === 'P2002') {
    const target = uniqueTarget(err);
    return new ConflictError(
      'resource/conflict',
      target ? `a row with the same ${target} already exists` : 'a row with the same key already exists',
      target ? { fields: target.split(', ') } : undefined,
    );
  }
  if (err.code === 'P2025') return new NotFoundError('resource');
  return undefined;
}

/** True when a write failed because a unique key is taken (for services that name the conflict). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

function uniqueTarget(err: Prisma.PrismaClientKnownRequestError): string | undefined {
  const meta = err.meta as Record<string, unknown> | undefined;
  const target = meta?.target;
  if (Array.isArray(target)) return target.join(', ');
  if (typeof target === 'string') return target;
  // Driver adapters report the constraint as `driverAdapterError.cause.constraint.fields`.
  const cause = (meta?.driverAdapterError as { cause?: { constraint?: { fields?: string[] } } } | undefined)?.cause;
  const fields = cause?.constraint?.fields;
  return fields?.length ? fields.map((f) => f.replace(/^"|"$/g, '')).join(', ') : undefined;
}
