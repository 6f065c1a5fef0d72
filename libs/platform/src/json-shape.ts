import { BadRequestError } from '@heddle/common';

/** Bounds a parsed JSON body must keep before anything else (class-transformer, class-validator) sees it. */
export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays; the body itself is depth 1. */
  maxDepth: number;
  /** Object keys and array items in the whole body, counted together. */
  maxNodes: number;
}

/** What a body may carry: no NUL anywhere — Postgres refuses it in text (22021), so it would be a 500 later. */
const NUL = '\u0000';

/**
 * Checks a parsed JSON value in one pass over it, without recursion (a body nested 10,000 deep must
 * not overflow the stack here as it did in class-transformer), and throws a 400 naming the first
 * problem: nesting deeper than `maxDepth`, more than `maxNodes` keys and items (validation cost grows
 * with them, and a body of 85,000 unknown keys once held the event loop for seconds), or a NUL
 * character in any string or key.
 */
export function assertJsonShape(value: unknown, limits: JsonShapeLimits): void {
  // Paths are built only for containers that pass the depth check, so each is at most maxDepth long.
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 1, path: '' }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes(NUL)) throw nulError(path);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth > limits.maxDepth) {
      throw new BadRequestError(
        'request/too_complex',
        `the body is nested deeper than ${limits.maxDepth} levels (at ${path || 'the top'})`,
        [{ field: path || '(body)', errors: [`nesting deeper than ${limits.maxDepth} levels`] }],
      );
    }
    const isArray = Array.isArray(current);
    const keys = isArray ? null : Object.keys(current);
    const size = isArray ? (current as unknown[]).length : keys!.length;
    nodes += size;
    if (nodes > limits.maxNodes) {
      throw new BadRequestError(
        'request/too_complex',
        `the body has more than ${limits.maxNodes} fields and array items in all`,
        [{ field: path || '(body)', errors: [`more than ${limits.maxNodes} fields and array items`] }],
      );
    }
    if (isArray) {
      const items = current as unknown[];
      for (let i = items.length - 1; i >= 0; i--)
        stack.push({ value: items[i], depth: depth + 1, path: `${path}[${i}]` });
    } else {
      for (let i = keys!.length - 1; i >= 0; i--) {
        const key = keys![i]!;
        const child = path ? `${path}.${key}` : key;
        if (key.includes(NUL)) throw nulError(child);
        stack.push({ value: (current as Record<string, unknown>)[key], depth: depth + 1, path: child });
      }
    }
  }
}

/** A NUL in a query parameter: the same 400 as in a body. */
export function assertNoNul(values: Record<string, unknown> | null | undefined, prefix = ''): void {
  if (!values) return;
  for (const [key, value] of Object.entries(values)) {
    const field = `${prefix}${key}`;
    if (key.includes(NUL)) throw nulError(field);
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) if (typeof item === 'string' && item.includes(NUL)) throw nulError(field);
  }
}

function nulError(field: string): BadRequestError {
  const shown = field.replaceAll(NUL, '\\u0000') || '(body)';
  return new BadRequestError('request/validation_failed', `${shown} must not contain NUL (\\u0000) characters`, [
    { field: shown, errors: [`${shown} must not contain NUL (\\u0000) characters`] },
  ]);
}
