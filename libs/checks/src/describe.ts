import { CHECK_LIMITS, Check, CheckResult } from './check.types';
import { EVIDENCE_MAX_BYTES, excerpt, headBytes, tailBytes } from './text';

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** One line saying what a check requires (for `{{CHECKS}}` in prompts). */
export function describeCheck(check: Check): string {
  const label = check.name ? `${check.name}: ` : '';
  switch (check.kind) {
    case 'file_exists':
      return `${label}${code(check.path)} exists`;
    case 'file_absent':
      return `${label}${code(check.path)} does not exist`;
    case 'file_contains':
    case 'file_not_contains': {
      const verb = check.kind === 'file_contains' ? '' : 'does not ';
      const what = check.regex
        ? `${verb ? 'match' : 'matches'} the regular expression /${excerpt(check.pattern, 200)}/${check.flags ?? ''}`
        : `${verb ? 'contain' : 'contains'} the text ${JSON.stringify(excerpt(check.pattern, 200))}${check.flags?.includes('i') ? ' (any case)' : ''}`;
      return `${label}${code(check.path)} ${verb}${what}`;
    }
    case 'checklist_complete':
      return `${label}every checklist item in ${code(check.path)} is closed (- [x], [MANUAL] or [BLOCKED: reason]; no - [ ] left)`;
    case 'plan_complete_tag':
      return `${label}${code(check.path)} has a line starting with <plan-complete>summary</plan-complete>`;
    case 'git_changed':
      return `${label}the working tree has changes${check.paths?.length ? ` under ${check.paths.map(code).join(', ')}` : ''}`;
    case 'command':
      return `${label}${code(excerpt(check.command, 300))} exits 0 within ${check.timeoutSeconds ?? CHECK_LIMITS.defaultTimeoutSeconds} s`;
    case 'json_schema':
      return `${label}${code(check.path)} is JSON that validates against the given JSON Schema`;
    case 'reply_json':
      // The agent cannot guess the schema: it is part of the requirement (one line: JSON.stringify escapes newlines).
      return `${label}your final reply ends with a fenced block ${REPLY_FENCE} whose JSON validates against this JSON Schema: ${JSON.stringify(check.schema)}`;
  }
}

const REPLY_FENCE = '```json … ```';

/** A numbered list of {@link describeCheck} lines. */
export function describeChecks(checks: readonly Check[]): string {
  return checks.map((c, i) => `${i + 1}. ${describeCheck(c)}`).join('\n');
}

const indent = (text: string, by = '   ') =>
  text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

const fence = (text: string) => {
  const ticks = text.includes('```') ? '~~~' : '```';
  return `${ticks}\n${text.replace(/\n+$/, '')}\n${ticks}`;
};

/** The evidence lines worth showing an agent for one result; every quote of the workspace within `max` bytes. */
function evidenceLines(r: CheckResult, max: number): string[] {
  const e = r.evidence;
  const out: string[] = [];
  const q = (text: string) => headBytes(text, max);
  if (e.match) out.push(`Matched at line ${e.match.lineNumber}${max > 0 ? `: ${q(e.match.line)}` : ''}`);
  if (e.openItems?.length) {
    out.push('Open items:');
    for (const item of e.openItems.slice(0, 10)) out.push(`  line ${item.line}: - [ ] ${q(item.text)}`);
    if (e.openItems.length > 10 || (e.items && e.items.open > 10))
      out.push(`  … ${e.items?.open ?? e.openItems.length} open in total`);
  }
  if (e.changedFiles && e.paths) {
    out.push(
      e.changedFiles.length
        ? `Changed files: ${e.changedFiles
            .slice(0, 10)
            .map((f) => f.file)
            .join(', ')}${(e.changedCount ?? 0) > 10 ? ', …' : ''}`
        : 'No file is changed.',
    );
  }
  if (e.parseError && max > 0) out.push(`JSON parse error: ${q(e.parseError)}`);
  if (e.schemaErrors?.length && max > 0) {
    out.push('Schema errors:');
    for (const s of e.schemaErrors.slice(0, 10)) out.push(`  ${q(s.instancePath) || '(root)'}: ${q(s.message)}`);
  }
  if (e.outputTail !== undefined && max > 0) {
    const tail = tailBytes(e.outputTail, max);
    const shown = tail.length < e.outputTail.length ? `…${tail}` : tail;
    out.push(shown.trim() ? `Output (end):\n${fence(shown)}` : 'No output.');
  }
  if (e.excerpt && max > 0 && !e.match && !e.schemaErrors?.length && !e.openItems?.length) {
    out.push(`File starts with:\n${fence(q(excerpt(e.excerpt, 600)))}`);
  }
  return out;
}

/**
 * A failing `reply_json` result as an instruction to the agent (the harness's repair turn): what is
 * wrong with the reply's JSON — no block, a parse error, or the schema errors by instance path — and
 * the fence expected, with the schema when `check` is given.
 */
function replyJsonFailure(r: CheckResult, max: number, check: Check | undefined): string[] {
  const e = r.evidence;
  const q = (text: string) => headBytes(text, max);
  const at = e.block ? ` (line ${e.block.line} of your reply)` : '';
  const out: string[] = [];
  if (e.schemaErrors?.length) {
    out.push(`Your reply's JSON${at} does not validate against the schema:`);
    if (max > 0) {
      for (const s of e.schemaErrors.slice(0, 20)) {
        out.push(`- ${q(s.instancePath) || '(root)'}: ${q(s.message)}`);
      }
    } else {
      out.push(`${e.schemaErrors.length} error(s)`);
    }
  } else if (e.block && e.block.lang === 'json' && e.parseError !== undefined) {
    out.push(`The last \`\`\`json block of your reply${at} is not valid JSON${max > 0 ? `: ${q(e.parseError)}` : '.'}`);
  } else if (e.block && e.block.lang === 'json') {
    out.push(`The \`\`\`json block of your reply${at} cannot be used: ${r.summary}`);
  } else if (e.block && e.parseError !== undefined) {
    out.push(
      `Your reply has no \`\`\`json block, and its last unlabelled fenced block${at} is not valid JSON${max > 0 ? `: ${q(e.parseError)}` : '.'}`,
    );
  } else if (e.block) {
    out.push(`Your reply's JSON block${at} cannot be used: ${r.summary}`);
  } else {
    out.push(`Your reply has no fenced JSON block (${r.summary}).`);
  }
  out.push(
    'Reply again with the complete, corrected JSON value as the last fenced block of your reply, labelled json:',
    '```json',
    '{ … }',
    '```',
  );
  if (check?.kind === 'reply_json')
    out.push(`The JSON Schema it must validate against: ${JSON.stringify(check.schema)}`);
  return out;
}

/**
 * Text for the next prompt (`{{FAILING_CHECKS}}`): each failing check by number, kind and name,
 * what was found, and its evidence. Checks that could not be evaluated are listed as such (the agent
 * cannot fix those; pass `includeErrors: false` to leave them out). '' when nothing fails. Every
 * quote of file content or command output is at most `evidenceMaxBytes` UTF-8 bytes (default 1024;
 * 0 quotes none), also for results stored before a smaller bound was configured. A failing
 * `reply_json` reads as an instruction (the repair turn): the errors, the fence expected and, when
 * the task's `checks` are given (indexed like the results), its schema.
 */
export function describeFailures(
  results: readonly CheckResult[],
  options: { includeErrors?: boolean; evidenceMaxBytes?: number; checks?: readonly Check[] } = {},
): string {
  const max = Math.max(0, Math.floor(options.evidenceMaxBytes ?? EVIDENCE_MAX_BYTES));
  const failing = results.filter(
    (r) => r.status === 'fail' || (r.status === 'error' && options.includeErrors !== false),
  );
  if (failing.length === 0) return '';
  const blocks = failing.map((r) => {
    const title = `${r.index + 1}. [${r.kind}]${r.name ? ` ${r.name}` : ''}`;
    if (r.status === 'error') return `${title} — could not be evaluated: ${r.error ?? r.summary}`;
    if (r.kind === 'reply_json') {
      const lines = replyJsonFailure(r, max, options.checks?.[r.index]);
      return [`${title} — FAILED: ${lines[0]}`, ...lines.slice(1).map((l) => indent(l))].join('\n');
    }
    const lines = evidenceLines(r, max);
    return [`${title} — FAILED: ${r.summary}`, ...lines.map((l) => indent(l))].join('\n');
  });
  const n = failing.length;
  const fromReply = failing.filter((r) => r.kind === 'reply_json').length;
  const judged =
    fromReply === 0
      ? 'judged from the workspace, not from your reply'
      : fromReply === n
        ? 'judged from the JSON block of your final reply, not from what you say about it'
        : "judged from the workspace and from your final reply's JSON block, not from what you say";
  return [`${n} acceptance check${n === 1 ? '' : 's'} still fail${n === 1 ? 's' : ''} (${judged}):`, ...blocks].join(
    '\n',
  );
}
