export { InboxDocumentError, describeProblem } from './inbox-document';
export type { InboxDocument, InboxProblem } from './inbox-document';
export {
  parseInboxDocument,
  formatOfFileName,
  formatOfContentType,
  INBOX_FORMATS,
  INBOX_CONTENT_TYPES,
  DOCX_CONTENT_TYPE,
  MAX_DOCUMENT_BYTES,
} from './inbox-formats';
export type { InboxFormat } from './inbox-formats';
export { parseMarkdownDocument } from './markdown-document';
export { parseYamlDocument } from './yaml-document';
export { parseTextDocument } from './text-document';
export { parseDocxDocument, docxToText } from './docx-document';
export { parseAcceptanceLine } from './acceptance-line';
export { toCreateTaskDto, invalidDocument } from './inbox-validation';
export { InboxModule, InboxApiModule, InboxWorkerModule } from './inbox.module';
export { InboxService, UnsupportedDocumentError } from './inbox.service';
export { InboxWatcher, inboxActor } from './inbox-watcher';
export { renderStatus, renderResult } from './inbox-status';
