/**
 * Generic JSON sources: a template maps fields of the payload to the task. String values may hold
 * `{{ $.path }}` placeholders read with a tiny JSONPath-ish getter (`$`, `.name`, `['name']`, `[0]`);
 * nothing is evaluated. A string that is exactly one placeholder takes the value as it is (an array
 * for `labels` or `steps`); inside other text a value is written as text (JSON for objects).
 */

export interface FieldError {
  field: string;
  errors: string[];
}

/** A template or path that cannot be read, or a payload that lacks what the template asks for. */
export class TemplateError extends Error {
  constructor(readonly details: FieldError[]) {
    super(details.flatMap((d) => d.errors.map((e) => `${d.field}: ${e}`)).join('; '));
  }
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d{1,6})\]|\['([^'\\]{1,200})'\]|\["([^"\\]{1,200})"\])/;
const MAX_SEGMENTS = 32;
const MAX_TEMPLATE_DEPTH = 6;

export type PathSegment = string | number;

/** `$.a.b[0]['c d']` → `['a', 'b', 0, 'c d']`; throws on anything else. */
export function parsePath(path: string): PathSegment[] {
  if (!path.startsWith('$')) throw new Error(`"${path}" must start with $`);
  const segments: PathSegment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) throw new Error(`"${path}" is not a path like $.a.b[0]['c d'] (at "${rest.slice(0, 20)}")`);
    segments.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? m[4])!);
    if (segments.length > MAX_SEGMENTS) throw new Error(`"${path}" has more than ${MAX_SEGMENTS} segments`);
    rest = rest.slice(m[0].length);
  }
  return segments;
}

/** The value at `path` in `root`, or undefined. Own properties only (no prototype walks). */
export function getPath(root: unknown, path: string | PathSegment[]): unknown {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(value)) return undefined;
      value = value[segment];
    } else {
      if (Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value;
}

/** Every placeholder path in a template must parse: for checking a template when a source is saved. */
export function checkTemplate(template: unknown, field = 'template'): FieldError[] {
  const errors: FieldError[] = [];
  walk(
    template,
    field,
    0,
    (text, at) => {
      for (const m of text.matchAll(PLACEHOLDER)) {
        try {
          parsePath(m[1]!);
        } catch (err) {
          errors.push({ field: at, errors: [(err as Error).message] });
        }
      }
      return text;
    },
    errors,
  );
  return errors;
}

/**
 * The template with its placeholders filled from `payload`. A placeholder whose path is missing
 * (undefined or null) is an error naming the field, e.g. `template.goal: $.body is missing from the payload`.
 */
export function renderTemplate(
  template: Record<string, unknown>,
  payload: unknown,
  field = 'template',
): Record<string, unknown> {
  const errors: FieldError[] = [];
  const out = walk(
    template,
    field,
    0,
    (text, at) => {
      const whole = WHOLE.exec(text);
      if (whole) return lookup(payload, whole[1]!, at, errors);
      return text.replace(PLACEHOLDER, (_m, path: string) => {
        const value = lookup(payload, path, at, errors);
        if (value === undefined) return '';
        return typeof value === 'string' ? value : JSON.stringify(value);
      });
    },
    errors,
  ) as Record<string, unknown>;
  if (errors.length) throw new TemplateError(errors);
  return out;
}

function lookup(payload: unknown, path: string, at: string, errors: FieldError[]): unknown {
  try {
    const value = getPath(payload, path);
    if (value === undefined || value === null) {
      errors.push({ field: at, errors: [`${path} is missing from the payload`] });
      return undefined;
    }
    return value;
  } catch (err) {
    errors.push({ field: at, errors: [(err as Error).message] });
    return undefined;
  }
}

function walk(
  value: unknown,
  at: string,
  depth: number,
  onString: (text: string, at: string) => unknown,
  errors: FieldError[],
): unknown {
  if (depth > MAX_TEMPLATE_DEPTH) {
    errors.push({ field: at, errors: [`is nested deeper than ${MAX_TEMPLATE_DEPTH} levels`] });
    return undefined;
  }
  if (typeof value === 'string') return onString(value, at);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, `${at}[${i}]`, depth + 1, onString, errors));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, walk(v, `${at}.${k}`, depth + 1, onString, errors)]),
    );
  return value;
}
