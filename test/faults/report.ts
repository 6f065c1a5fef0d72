// The one table the suite prints: a row per scenario with its counts, then what failed, precisely.
import type { RowResult, Size, Sizes } from './scenario';

export interface Row extends RowResult {
  id: number;
  title: string;
  ms: number;
  /** Set when the scenario threw before it could count (the error). */
  crashed?: string;
}

export function passed(row: Row): boolean {
  return !row.crashed && row.lost === 0 && row.dup === 0 && row.http5xx === 0 && row.problems.length === 0;
}

export function renderTable(size: Size, sizes: Sizes, rows: Row[], totalMs: number): string {
  const header = ['#', 'scenario', 'result', 'lost', 'dup', '5xx', 'counts', 'time'];
  const body = rows.map((r) => [
    String(r.id),
    r.title,
    passed(r) ? 'pass' : 'FAIL',
    String(r.lost),
    String(r.dup),
    String(r.http5xx),
    Object.entries(r.counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    `${(r.ms / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 || (i >= 3 && i <= 5) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const sizeText = Object.entries(sizes)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const out = [
    `Heddle fault suite — size ${size} (${sizeText}) — ${rows.filter(passed).length}/${rows.length} passed in ${(totalMs / 1000).toFixed(0)} s`,
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 || (i >= 3 && i <= 5) ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`,
    ...body.map(line),
  ];
  return out.join('\n');
}

export function renderProblems(rows: Row[]): string {
  const out: string[] = [];
  for (const r of rows) {
    if (passed(r)) continue;
    out.push(`\n${r.id}. ${r.title}`);
    if (r.crashed) out.push(`   crashed: ${r.crashed}`);
    for (const p of r.problems) out.push(`   - ${p}`);
  }
  return out.join('\n');
}
