import mammoth from 'mammoth';
import { InboxDocument, InboxDocumentError } from './inbox-document';
import { parseMarkdownDocument } from './markdown-document';

/**
 * A Word document: its text through `mammoth` (one line per paragraph), then read as Markdown —
 * write `# name`, `workspace: …`, `## goal` … as paragraphs. Line numbers count the text's lines.
 */
export async function docxToText(buffer: Buffer): Promise<string> {
  try {
    const { value } = await mammoth.extractRawText({ buffer });
    // mammoth ends each paragraph with a blank line; one line per paragraph reads as the author wrote it.
    return value.replace(/\n\n/g, '\n');
  } catch (err) {
    throw new InboxDocumentError([
      { line: 1, field: 'document', message: `not a readable .docx file (${(err as Error).message.split('\n')[0]})` },
    ]);
  }
}

export async function parseDocxDocument(buffer: Buffer): Promise<InboxDocument> {
  return parseMarkdownDocument(await docxToText(buffer));
}
