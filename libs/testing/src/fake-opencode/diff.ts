/** A line diff in the format of jsdiff's `createTwoFilesPatch`, which OpenCode uses for its summaries. */

interface Op {
  kind: ' ' | '-' | '+';
  text: string;
  /** The line had no trailing newline (last line of its file). */
  noEol: boolean;
}

interface Line {
  text: string;
  noEol: boolean;
}

function splitLines(content: string): Line[] {
  if (content === '') return [];
  const parts = content.split('\n');
  const lines: Line[] = [];
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    if (last && parts[i] === '') break;
    lines.push({ text: parts[i], noEol: last });
  }
  return lines;
}

function same(a: Line, b: Line): boolean {
  return a.text === b.text && a.noEol === b.noEol;
}

function editScript(a: Line[], b: Line[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && same(a[start], b[start])) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && same(a[endA - 1], b[endB - 1])) {
    endA--;
    endB--;
  }
  const ops: Op[] = a.slice(0, start).map((l) => ({ kind: ' ', text: l.text, noEol: l.noEol }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if (n * m > 4_000_000) {
    for (const l of midA) ops.push({ kind: '-', text: l.text, noEol: l.noEol });
    for (const l of midB) ops.push({ kind: '+', text: l.text, noEol: l.noEol });
  } else {
    // Longest common subsequence from the end, then a forward walk.
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * width + j] = same(midA[i], midB[j])
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && same(midA[i], midB[j])) {
        ops.push({ kind: ' ', text: midA[i].text, noEol: midA[i].noEol });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j])) {
        ops.push({ kind: '+', text: midB[j].text, noEol: midB[j].noEol });
        j++;
      } else {
        ops.push({ kind: '-', text: midA[i].text, noEol: midA[i].noEol });
        i++;
      }
    }
  }
  for (const l of a.slice(endA)) ops.push({ kind: ' ', text: l.text, noEol: l.noEol });
  return ops;
}

export interface LineDiff {
  patch: string;
  additions: number;
  deletions: number;
}

/**
 * `Index: <name>` + `===…` + `--- <name>[\t<header>]` + `+++ …` + hunks with 4 lines of context, the
 * shape OpenCode stores in `summary.diffs[].patch` (header `''`, so a tab follows the name) and in a
 * permission request's `metadata.diff` (header undefined, no tab).
 */
export function linePatch(name: string, before: string, after: string, header?: string): LineDiff {
  const ops = editScript(splitLines(before), splitLines(after));
  const additions = ops.filter((o) => o.kind === '+').length;
  const deletions = ops.filter((o) => o.kind === '-').length;
  const suffix = header === undefined ? '' : `\t${header}`;
  let patch = `Index: ${name}\n${'='.repeat(67)}\n--- ${name}${suffix}\n+++ ${name}${suffix}\n`;
  const context = 4;
  const changed = ops.map((o, idx) => (o.kind === ' ' ? -1 : idx)).filter((idx) => idx >= 0);
  let k = 0;
  while (k < changed.length) {
    const from = Math.max(0, changed[k] - context);
    let last = changed[k];
    while (k + 1 < changed.length && changed[k + 1] - last <= 2 * context) last = changed[++k];
    k++;
    const to = Math.min(ops.length, last + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (let i = 0; i < from; i++) {
      if (ops[i].kind !== '+') oldStart++;
      if (ops[i].kind !== '-') newStart++;
    }
    const hunk = ops.slice(from, to);
    const oldLines = hunk.filter((o) => o.kind !== '+').length;
    const newLines = hunk.filter((o) => o.kind !== '-').length;
    patch += `@@ -${oldLines === 0 ? oldStart - 1 : oldStart},${oldLines} +${newLines === 0 ? newStart - 1 : newStart},${newLines} @@\n`;
    for (const o of hunk) {
      patch += `${o.kind}${o.text}\n`;
      if (o.noEol) patch += '\\ No newline at end of file\n';
    }
  }
  return { patch, additions, deletions };
}

/** Number of lines as git counts them for an added file. */
export function countLines(content: string): number {
  return splitLines(content).length;
}
