/**
 * Number formats shared by the report's HTML tables and Markdown summary. Every figure is printed so
 * that `Number(text)` gives back the JSON value to the shown precision (tests rely on it): no
 * thousands separators, units in the column heading.
 */

/** `v` to `digits` significant digits, plain notation when reasonable. */
export function sig(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const r = Number(v.toPrecision(digits));
  const a = Math.abs(r);
  return a >= 1e-4 && a < 1e15 ? String(r) : r.toExponential(digits - 1);
}

/** Joules as microjoules (µJ), 4 significant digits. */
export function microjoules(j: number): string {
  return sig(j * 1e6);
}

/** A fraction in [0, 1] as a percentage with two decimals, without the % sign (the heading has it). */
export function percent(fraction: number): string {
  return (fraction * 100).toFixed(2);
}

/**
 * Text in a Markdown document: Markdown renders inline HTML, so a name from a model file holding `<script>`
 * must reach the reader as text. &, < and > become entities (quotes stay readable: they open no tag).
 */
export function markdownText(s: string): string {
  return s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** A Markdown table; `align` per column ('l' or 'r'). Cells are escaped for pipes and HTML. */
export function markdownTable(head: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const esc = (s: string) => markdownText(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const widths = head.map((h, i) => Math.max(3, esc(h).length, ...rows.map((r) => esc(r[i] ?? '').length)));
  const cell = (s: string, i: number) => (align?.[i] === 'r' ? esc(s).padStart(widths[i]) : esc(s).padEnd(widths[i]));
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (align?.[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}
