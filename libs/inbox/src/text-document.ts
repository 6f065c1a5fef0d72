import {
  HEADER_KEYS,
  InboxDocument,
  InboxDocumentError,
  InboxProblem,
  applyHeader,
  emptyDocument,
  finishDocument,
} from './inbox-document';

const KNOWN_HEADER = new RegExp(`^(${HEADER_KEYS.join('|')})\\s*:\\s*(.*)$`, 'i');

/**
 * Plain text: the first non-blank line is the name, the rest is the goal. Lines right after the
 * name of the form `key: value` with a known key (workspace, host, labels, session, abort, model,
 * agent, mode, plan) set those fields — a task needs its workspace — and the goal starts at the
 * first other line. Pure.
 */
export function parseTextDocument(text: string): InboxDocument {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const doc = emptyDocument();
  const problems: InboxProblem[] = [];
  let i = lines.findIndex((l) => l.trim() !== '');
  if (i < 0) throw new InboxDocumentError([{ line: 1, field: 'name', message: 'the document is empty' }]);
  doc.task.name = lines[i]!.trim();
  doc.lines.name = i + 1;
  i++;
  for (; i < lines.length; i++) {
    const m = KNOWN_HEADER.exec(lines[i]!.trim());
    if (!m) break;
    applyHeader(doc, problems, m[1]!, m[2]!, i + 1);
  }
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const rest = lines.slice(i);
  while (rest.length && rest[rest.length - 1]!.trim() === '') rest.pop();
  if (rest.length) {
    doc.task.goal = rest.join('\n');
    doc.lines.goal = i + 1;
  } else {
    problems.push({ line: doc.lines.name, field: 'goal', message: 'missing: write the goal after the first line' });
  }
  finishDocument(doc, problems, doc.lines.name);
  return doc;
}
