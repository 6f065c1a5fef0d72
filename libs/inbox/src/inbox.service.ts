import { Injectable } from '@nestjs/common';
import { AuthContext, DomainError } from '@heddle/common';
import { CreatedTask, TasksService } from '@heddle/tasks';
import { InboxDocumentError } from './inbox-document';
import { formatOfContentType, formatOfFileName, InboxFormat, parseInboxDocument } from './inbox-formats';
import { invalidDocument, toCreateTaskDto } from './inbox-validation';

/** A document in a format the inbox does not read. */
export class UnsupportedDocumentError extends DomainError {
  readonly statusCode = 415;
  constructor(what: string) {
    super(
      'inbox/unsupported_format',
      `${what}: send Markdown (text/markdown, .md), YAML (application/yaml, .yaml), plain text (text/plain, .txt) or Word (.docx)`,
    );
  }
}

export interface InboxSubmission {
  content: Buffer;
  contentType?: string;
  fileName?: string;
}

/**
 * One document → one task, through `TasksService.create` (the path of `POST /api/tasks`: the same
 * validation, Idempotency-Key and events — there is no other way to make a task). A document that
 * cannot become a task is a 400 `inbox/invalid_document` naming each line and field.
 */
@Injectable()
export class InboxService {
  constructor(private readonly tasks: TasksService) {}

  async submit(auth: AuthContext, submission: InboxSubmission, idempotencyKey?: string): Promise<CreatedTask> {
    const format = formatOf(submission);
    try {
      const doc = await parseInboxDocument(submission.content, format);
      const dto = await toCreateTaskDto(doc);
      return await this.tasks.create(auth, dto, idempotencyKey);
    } catch (err) {
      if (err instanceof InboxDocumentError) throw invalidDocument(err);
      throw err;
    }
  }
}

/** By the file name's extension first (uploads are often `application/octet-stream`), then the content type. */
export function formatOf(s: Pick<InboxSubmission, 'contentType' | 'fileName'>): InboxFormat {
  const format = (s.fileName && formatOfFileName(s.fileName)) || formatOfContentType(s.contentType);
  if (!format)
    throw new UnsupportedDocumentError(s.fileName ? `file ${s.fileName}` : `content type ${s.contentType ?? '(none)'}`);
  return format;
}
