import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument } from 'yaml';
import { parseAcceptanceLine } from './acceptance-line';
import {
  FIELD_KEYS,
  InboxDocument,
  InboxDocumentError,
  InboxProblem,
  emptyDocument,
  finishDocument,
  parseBoolean,
  splitList,
} from './inbox-document';

/** YAML keys besides FIELD_KEYS: the task's text, lists and OpenLoom's `openloom.yaml` names. */
const YAML_ONLY = [
  'goal',
  'steps',
  'acceptance',
  'checks',
  'abort',
  'check_interval_minutes',
  'check_interval_seconds',
];
export const YAML_KEYS = [...Object.keys(FIELD_KEYS), ...YAML_ONLY];

/**
 * A YAML document: a mapping with the Markdown header's keys plus `goal`, `steps` (a list),
 * `acceptance` or `checks` (a list of check lines such as `file_exists: src/x.ts`, or check objects).
 * OpenLoom's `openloom.yaml` shape (`name`, `workspace`, `check_interval_minutes`, `goal`, `steps`)
 * is accepted as it is. Pure.
 */
export function parseYamlDocument(text: string): InboxDocument {
  const counter = new LineCounter();
  const parsed = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? counter.linePos(range[0]).line : fallback;
  };
  if (parsed.errors.length) {
    throw new InboxDocumentError(
      parsed.errors.map((e) => ({
        line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line,
        field: 'yaml',
        message: e.message.split('\n')[0]!,
      })),
    );
  }
  const root = parsed.contents;
  if (!isMap(root)) {
    throw new InboxDocumentError([
      { line: lineOf(root), field: 'document', message: 'a YAML document is a mapping (name:, workspace:, goal: …)' },
    ]);
  }
  const doc = emptyDocument();
  const problems: InboxProblem[] = [];
  for (const pair of root.items) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const line = lineOf(keyNode);
    const value = pair.value as Node | null;
    const plain: unknown = value && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : null;
    const k = key.toLowerCase();
    const scalar = (): string | undefined => {
      if (plain === null || plain === undefined) {
        problems.push({ line, field: key, message: 'has no value' });
        return undefined;
      }
      if (typeof plain === 'object') {
        problems.push({ line, field: key, message: 'must be a single value, not a list or mapping' });
        return undefined;
      }
      return String(plain);
    };
    if (k === 'abort') {
      const b = typeof plain === 'boolean' ? plain : typeof plain === 'string' ? parseBoolean(plain) : undefined;
      if (b === undefined) problems.push({ line, field: key, message: 'must be true or false' });
      else {
        doc.abort = b;
        doc.lines.abort = line;
      }
    } else if (k === 'goal') {
      const s = scalar();
      if (s !== undefined) set('goal', s.replace(/\n+$/, ''), line);
    } else if (k === 'steps') {
      list(
        value,
        plain,
        key,
        line,
        (item, itemLine, i) => {
          if (typeof item !== 'string' && typeof item !== 'number') {
            problems.push({ line: itemLine, field: `${key}[${i}]`, message: 'each step is a line of text' });
            return undefined;
          }
          doc.lines[`steps[${i}]`] = itemLine;
          return String(item);
        },
        'steps',
      );
    } else if (k === 'acceptance' || k === 'checks') {
      list(
        value,
        plain,
        key,
        line,
        (item, itemLine, i) => {
          doc.lines[`checks[${i}]`] = itemLine;
          if (typeof item === 'string') {
            const c = parseAcceptanceLine(item);
            if ('error' in c) {
              problems.push({ line: itemLine, field: `${key}[${i}]`, message: c.error });
              return null;
            }
            return c.check;
          }
          if (item && typeof item === 'object' && !Array.isArray(item)) {
            // `- file_exists: src/x.ts` read by YAML as a one-key mapping: the same check line.
            const entries = Object.entries(item as Record<string, unknown>);
            if (entries.length === 1 && !('kind' in item) && typeof entries[0]![1] !== 'object') {
              const c = parseAcceptanceLine(`${entries[0]![0]}: ${String(entries[0]![1] ?? '')}`);
              if ('error' in c) {
                problems.push({ line: itemLine, field: `${key}[${i}]`, message: c.error });
                return null;
              }
              return c.check;
            }
            return item;
          }
          problems.push({ line: itemLine, field: `${key}[${i}]`, message: 'expected a check line or a check object' });
          return null;
        },
        'checks',
      );
    } else if (k === 'check_interval_minutes' || k === 'check_interval_seconds') {
      const n = typeof plain === 'number' ? plain : Number(scalar());
      if (!Number.isFinite(n)) problems.push({ line, field: key, message: 'must be a number' });
      else set('checkIntervalSeconds', k === 'check_interval_minutes' ? Math.round(n * 60) : n, line);
    } else if (FIELD_KEYS[k]) {
      const field = FIELD_KEYS[k];
      if (field === 'labels') {
        if (Array.isArray(plain)) set(field, plain.map(String), line);
        else {
          const s = scalar();
          if (s !== undefined) set(field, splitList(s), line);
        }
      } else {
        const s = scalar();
        if (s !== undefined) set(field, s, line);
      }
    } else {
      problems.push({ line, field: key, message: `unknown field; known: ${YAML_KEYS.join(', ')}` });
    }
  }
  if (doc.task.name === undefined) problems.push({ line: 1, field: 'name', message: 'missing' });
  if (doc.task.goal === undefined) problems.push({ line: 1, field: 'goal', message: 'missing' });
  finishDocument(doc, problems);
  return doc;

  function set(field: string, value: unknown, line: number): void {
    if (field in doc.task) {
      problems.push({ line, field, message: `given twice (first on line ${doc.lines[field]})` });
      return;
    }
    doc.task[field] = value;
    doc.lines[field] = line;
  }

  function list(
    node: Node | null,
    plain: unknown,
    key: string,
    line: number,
    each: (item: unknown, itemLine: number, index: number) => unknown,
    field: string,
  ): void {
    if (!isSeq(node) || !Array.isArray(plain)) {
      problems.push({ line, field: key, message: 'must be a list ("- …" lines)' });
      return;
    }
    const out = plain.map((item, i) => each(item, lineOf(node.items[i], line), i));
    set(field, out, line);
  }
}
