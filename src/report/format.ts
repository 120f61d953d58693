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
