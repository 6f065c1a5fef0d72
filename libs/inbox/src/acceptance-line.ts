/**
 * One acceptance line (`- file_exists: src/x.ts`) → a check as `POST /api/tasks` takes it. Only the
 * shape is read here; CreateTaskDto's validators judge the values.
 *
 *   file_exists: <path>                 file_absent: <path>
 *   file_contains: <path> <text>        file_not_contains: <path> <text>   (text may be "quoted";
 *                                        /re/flags is a regular expression)
 *   checklist_complete: <path>          plan_complete_tag: <path>
 *   git_changed [: <path>, <path> …]    command: <shell command>
 *   json_schema: <path> {json schema}   reply_json: {json schema}
 *   {"kind": …}                         any check as JSON
 */
export function parseAcceptanceLine(text: string): { check: Record<string, unknown> } | { error: string } {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(t);
      if (value && typeof value === 'object' && !Array.isArray(value))
        return { check: value as Record<string, unknown> };
    } catch {
      // reported below
    }
    return { error: 'is not a JSON object' };
  }
  const m = /^([a-z_]+)\s*(?::\s*(.*))?$/s.exec(t);
  if (!m) return { error: 'expected "<kind>: <argument>", e.g. "file_exists: src/x.ts"' };
  const kind = m[1]!;
  const arg = (m[2] ?? '').trim();
  const need = (what: string) => ({ error: `${kind} needs ${what}` });
  switch (kind) {
    case 'file_exists':
    case 'file_absent':
    case 'checklist_complete':
    case 'plan_complete_tag':
      return arg ? { check: { kind, path: arg } } : need('a path');
    case 'file_contains':
    case 'file_not_contains': {
      const pm = /^(\S+)\s+(.+)$/s.exec(arg);
      if (!pm) return need('a path and the text, e.g. "src/x.ts \\"export\\""');
      const [, path, rest] = pm;
      const re = /^\/(.+)\/([a-z]*)$/s.exec(rest!.trim());
      if (re) return { check: { kind, path, pattern: re[1], regex: true, ...(re[2] ? { flags: re[2] } : {}) } };
      return { check: { kind, path, pattern: unquote(rest!.trim()) } };
    }
    case 'git_changed': {
      const paths = arg
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      return { check: paths.length ? { kind, paths } : { kind } };
    }
    case 'command':
      return arg ? { check: { kind, command: arg } } : need('a command');
    case 'json_schema': {
      const pm = /^(\S+)\s+(\{.*\})$/s.exec(arg);
      if (!pm) return need('a path and a JSON schema, e.g. "out.json {\\"type\\":\\"object\\"}"');
      const schema = parseObject(pm[2]!);
      return schema
        ? { check: { kind, path: pm[1], schema } }
        : { error: 'json_schema: the schema is not a JSON object' };
    }
    case 'reply_json': {
      const schema = parseObject(arg);
      return schema ? { check: { kind, schema } } : need('a JSON schema object');
    }
    default:
      return {
        error: `unknown check kind "${kind}"; known: file_exists, file_absent, file_contains, file_not_contains, checklist_complete, plan_complete_tag, git_changed, command, json_schema, reply_json`,
      };
  }
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) {
    return s.slice(1, -1);
  }
  return s;
}

function parseObject(s: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
