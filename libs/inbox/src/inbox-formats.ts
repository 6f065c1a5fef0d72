import { InboxDocument, InboxDocumentError } from './inbox-document';
import { parseDocxDocument } from './docx-document';
import { parseMarkdownDocument } from './markdown-document';
import { parseTextDocument } from './text-document';
import { parseYamlDocument } from './yaml-document';

export const INBOX_FORMATS = ['markdown', 'yaml', 'text', 'docx'] as const;
export type InboxFormat = (typeof INBOX_FORMATS)[number];

export const DOCX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Content types `POST /api/inbox` takes as a raw body, by format. */
export const INBOX_CONTENT_TYPES: Record<string, InboxFormat> = {
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/x-yaml': 'yaml',
  'text/plain': 'text',
  [DOCX_CONTENT_TYPE]: 'docx',
};

const EXTENSIONS: Record<string, InboxFormat> = {
  md: 'markdown',
  markdown: 'markdown',
  yaml: 'yaml',
  yml: 'yaml',
  txt: 'text',
  text: 'text',
  docx: 'docx',
};

/** A file name's format by its extension (`task.md`, `openloom.yaml`, `note.txt`, `spec.docx`). */
export function formatOfFileName(name: string): InboxFormat | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? EXTENSIONS[m[1]!.toLowerCase()] : undefined;
}

/** `text/markdown; charset=utf-8` → markdown. */
export function formatOfContentType(contentType: string | undefined): InboxFormat | undefined {
  const base = contentType?.split(';')[0]?.trim().toLowerCase();
  return base ? INBOX_CONTENT_TYPES[base] : undefined;
}

/** The largest document read (bytes): a task's goal is at most 100 000 characters. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** Any format → a document (pure but for .docx unzipping); InboxDocumentError names line and field. */
export async function parseInboxDocument(content: Buffer, format: InboxFormat): Promise<InboxDocument> {
  if (format === 'docx') return parseDocxDocument(content);
  const text = content.toString('utf8');
  if (text.includes('\0')) {
    throw new InboxDocumentError([{ line: 1, field: 'document', message: 'holds NUL bytes: not a text document' }]);
  }
  switch (format) {
    case 'markdown':
      return parseMarkdownDocument(text);
    case 'yaml':
      return parseYamlDocument(text);
    case 'text':
      return parseTextDocument(text);
  }
}
