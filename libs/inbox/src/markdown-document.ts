import { parseAcceptanceLine } from './acceptance-line';
import { InboxDocument, InboxProblem, applyHeader, emptyDocument, finishDocument } from './inbox-document';

const SECTIONS: Record<string, 'goal' | 'steps' | 'acceptance'> = {
  goal: 'goal',
  steps: 'steps',
  acceptance: 'acceptance',
  checks: 'acceptance',
};
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/;
const HEADER = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$/;

/**
 * A Markdown document (OpenLoom's inbox format):
 *
 *   # <name>
 *   key: value            (workspace, host, labels, session, abort, model, agent, mode, plan)
 *   ## goal               free text
 *   ## steps              a list (`-`, `*` or `1.`)
 *   ## acceptance         a list of check lines (`- file_exists: src/x.ts`); `## checks` also works
 *
 * Pure: text in, document out, or an InboxDocumentError listing each problem with its line.
 */
export function parseMarkdownDocument(text: string): InboxDocument {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const doc = emptyDocument();
  const problems: InboxProblem[] = [];
  let section: 'header' | 'goal' | 'steps' | 'acceptance' | 'ignored' | undefined;
  let seenSections = new Set<string>();
  const goal: string[] = [];
  let goalLine = 0;
  const steps: string[] = [];
  const checks: unknown[] = [];
  let lastList: 'steps' | 'acceptance' | undefined;

  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trimEnd();
    if (section === undefined) {
      if (line.trim() === '') return;
      const h1 = /^#\s+(.+)$/.exec(line.trim());
      if (!h1) {
        problems.push({ line: n, field: 'name', message: 'a Markdown document starts with "# <name>"' });
        section = 'header';
        return;
      }
      doc.task.name = h1[1]!.trim();
      doc.lines.name = n;
      section = 'header';
      return;
    }
    const h2 = /^##\s+(.+?)\s*#*$/.exec(line.trim());
    if (h2) {
      const title = h2[1]!.trim().toLowerCase();
      const kind = SECTIONS[title];
      lastList = undefined;
      if (!kind) {
        problems.push({ line: n, field: h2[1]!, message: 'unknown section; known: ## goal, ## steps, ## acceptance' });
        section = 'ignored';
        return;
      }
      if (seenSections.has(kind)) {
        problems.push({ line: n, field: kind, message: `section given twice` });
        section = 'ignored';
        return;
      }
      seenSections = seenSections.add(kind);
      section = kind;
      if (kind === 'goal') goalLine = n;
      return;
    }
    switch (section) {
      case 'header': {
        if (line.trim() === '') return;
        const m = HEADER.exec(line.trim());
        if (!m) {
          problems.push({
            line: n,
            field: 'header',
            message: 'expected "key: value" before the first "##" section (or "## goal" before free text)',
          });
          return;
        }
        applyHeader(doc, problems, m[1]!, m[2]!, n);
        return;
      }
      case 'goal':
        goal.push(raw);
        return;
      case 'steps':
      case 'acceptance': {
        if (line.trim() === '') return;
        const item = LIST_ITEM.exec(line);
        if (!item) {
          // An indented line continues the item above it (a long step wrapped by an editor).
          if (/^\s+\S/.test(line) && lastList === section && section === 'steps' && steps.length) {
            steps[steps.length - 1] += ` ${line.trim()}`;
            return;
          }
          const field = section === 'steps' ? `steps[${steps.length}]` : `acceptance[${checks.length}]`;
          problems.push({ line: n, field, message: 'expected a list item ("- …")' });
          return;
        }
        lastList = section;
        if (section === 'steps') {
          doc.lines[`steps[${steps.length}]`] = n;
          steps.push(item[1]!.trim());
        } else {
          const parsed = parseAcceptanceLine(item[1]!);
          if ('error' in parsed) {
            problems.push({ line: n, field: `acceptance[${checks.length}]`, message: parsed.error });
            checks.push(null);
          } else {
            doc.lines[`checks[${checks.length}]`] = n;
            checks.push(parsed.check);
          }
        }
        return;
      }
      default:
        return;
    }
  });

  if (section === undefined) problems.push({ line: 1, field: 'name', message: 'the document is empty' });
  const goalText = trimBlankLines(goal);
  if (goalText) {
    doc.task.goal = goalText;
    doc.lines.goal = goalLine + 1 + goal.findIndex((l) => l.trim() !== '');
  } else if (section !== undefined) {
    problems.push({
      line: goalLine || lines.length,
      field: 'goal',
      message: goalLine ? 'the "## goal" section is empty' : 'missing: add a "## goal" section',
    });
  }
  if (seenSections.has('steps')) {
    doc.task.steps = steps;
    doc.lines.steps ??= doc.lines['steps[0]'] ?? 1;
  }
  if (seenSections.has('acceptance')) {
    doc.task.checks = checks;
    doc.lines.checks ??= doc.lines['checks[0]'] ?? 1;
  }
  finishDocument(doc, problems);
  return doc;
}

function trimBlankLines(lines: string[]): string {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (end > start && lines[end - 1]!.trim() === '') end--;
  return lines.slice(start, end).join('\n');
}
