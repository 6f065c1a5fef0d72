import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { BadRequestError } from '@heddle/common';
import { flattenValidationErrors } from '@heddle/platform';
import { CreateTaskDto } from '@heddle/tasks';
import { InboxDocument, InboxDocumentError, InboxProblem, describeProblem } from './inbox-document';

/** The document's own words for a CreateTaskDto property (what the author wrote). */
const FIELD_NAMES: Record<string, string> = {
  hostId: 'host',
  sessionId: 'session',
  planFile: 'plan',
  checks: 'acceptance',
  checkIntervalSeconds: 'check_interval',
  abortSession: 'abort',
};

/**
 * The document as the body of `POST /api/tasks`: a CreateTaskDto validated exactly as the global
 * ValidationPipe validates it (whitelist, forbidNonWhitelisted, transform), each failure mapped
 * back to the line it came from. Throws InboxDocumentError.
 */
export async function toCreateTaskDto(doc: InboxDocument): Promise<CreateTaskDto> {
  const dto = plainToInstance(CreateTaskDto, doc.task);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) {
    const problems: InboxProblem[] = flattenValidationErrors(errors).flatMap((e) =>
      e.errors.map((message) => {
        // The check-list validator reports on `checks`, naming the item in its message.
        const item = e.field === 'checks' ? /checks\[\d+\](?:\.[A-Za-z]+)?/.exec(message)?.[0] : undefined;
        const field = item ?? e.field;
        return { line: lineFor(doc, field), field: documentField(field), message };
      }),
    );
    throw new InboxDocumentError(problems);
  }
  return dto;
}

/** `checks[1].path` → the line of `checks[1]`, else of `checks`, else 1. */
function lineFor(doc: InboxDocument, path: string): number {
  let p = path;
  for (;;) {
    if (doc.lines[p] !== undefined) return doc.lines[p]!;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return doc.lines.name ?? 1;
    p = p.slice(0, cut);
  }
}

function documentField(path: string): string {
  const m = /^([A-Za-z]+)(.*)$/.exec(path);
  return m ? (FIELD_NAMES[m[1]!] ?? m[1]!) + m[2] : path;
}

/** The 400 an inbox answers: `inbox/invalid_document`, each problem with its line and field. */
export function invalidDocument(err: InboxDocumentError): BadRequestError {
  return new BadRequestError(
    'inbox/invalid_document',
    err.problems.slice(0, 20).map(describeProblem).join('; '),
    err.problems.slice(0, 20).map((p) => ({ field: p.field, line: p.line, errors: [p.message] })),
  );
}
