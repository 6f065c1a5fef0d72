/**
 * What every inbox format parses into: the fields of a task as `POST /api/tasks` takes them (still
 * unvalidated: `CreateTaskDto` and class-validator judge them, see inbox-validation.ts), plus where
 * each came from, so a 400 names the line.
 */
export interface InboxDocument {
  /** Plain values under CreateTaskDto's property names (`hostId`, `sessionId`, `planFile`, `checks`, …). */
  task: Record<string, unknown>;
  /** `abort: true` (with `session:`): abort what the session runs, then take it over. */
  abort: boolean;
  /** 1-based line of each field, by CreateTaskDto path (`workspace`, `steps[0]`, `checks[1]`). */
  lines: Record<string, number>;
}

/** One problem with a document: the line (1-based) and the field, in the document's own words. */
export interface InboxProblem {
  line: number;
  field: string;
  message: string;
}

/** A document that cannot become a task; every problem found names its line and field. */
export class InboxDocumentError extends Error {
  constructor(readonly problems: InboxProblem[]) {
    super(problems.map(describeProblem).join('; '));
    this.name = 'InboxDocumentError';
  }
}

export function describeProblem(p: InboxProblem): string {
  return `line ${p.line}, field ${p.field}: ${p.message}`;
}

/** The key a document may use → the CreateTaskDto property it sets (header keys of Markdown/text, YAML keys). */
export const FIELD_KEYS: Record<string, string> = {
  name: 'name',
  workspace: 'workspace',
  host: 'hostId',
  hostid: 'hostId',
  host_id: 'hostId',
  labels: 'labels',
  label: 'labels',
  session: 'sessionId',
  sessionid: 'sessionId',
  session_id: 'sessionId',
  model: 'model',
  agent: 'agent',
  mode: 'mode',
  plan: 'planFile',
  planfile: 'planFile',
  plan_file: 'planFile',
};

/** Header keys (Markdown and plain text) besides the task fields. */
export const HEADER_KEYS = [...Object.keys(FIELD_KEYS), 'abort'];

export function parseBoolean(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0', ''].includes(v)) return false;
  return undefined;
}

/** `a, b c` → `['a', 'b', 'c']`. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * One header line `key: value` into the document (Markdown and plain text share it). Throws
 * nothing: problems are pushed, so one answer lists them all.
 */
export function applyHeader(
  doc: InboxDocument,
  problems: InboxProblem[],
  key: string,
  value: string,
  line: number,
): void {
  const k = key.trim().toLowerCase();
  if (k === 'abort') {
    const b = parseBoolean(value);
    if (b === undefined) problems.push({ line, field: 'abort', message: `must be true or false (got "${value}")` });
    else {
      doc.abort = b;
      doc.lines.abort = line;
    }
    return;
  }
  const field = FIELD_KEYS[k];
  if (!field) {
    problems.push({ line, field: key, message: `unknown field; known: ${HEADER_KEYS.join(', ')}` });
    return;
  }
  if (field in doc.task) {
    problems.push({ line, field: key, message: `given twice (first on line ${doc.lines[field]})` });
    return;
  }
  doc.task[field] = field === 'labels' ? splitList(value) : value.trim();
  doc.lines[field] = line;
}

/** After parsing: rules that span fields (`abort` needs `session`; `plan:` implies plan mode). */
export function finishDocument(doc: InboxDocument, problems: InboxProblem[], fallbackLine = 1): void {
  if (doc.abort && doc.task.sessionId === undefined) {
    problems.push({
      line: doc.lines.abort ?? fallbackLine,
      field: 'abort',
      message: 'abort: true takes over a session: give session: <ses_…> too',
    });
  }
  if (doc.abort && doc.task.sessionId !== undefined) {
    doc.task.abortSession = true;
    doc.lines.abortSession = doc.lines.abort ?? fallbackLine;
  }
  if (doc.task.planFile !== undefined && doc.task.mode === undefined) doc.task.mode = 'plan';
  if (problems.length) throw new InboxDocumentError(problems);
}

export function emptyDocument(): InboxDocument {
  return { task: {}, abort: false, lines: {} };
}
