/**
 * Adding up simulator counters run apart (samples in worker threads, or one sample at a time): every counter
 * of {@link SimCounts} is a sum over samples, or a maximum when its name starts with `max`; the fields that say
 * what is counted (names, sizes, core positions, the run's steps and delay) must match and are kept.
 *
 * The rules are by field name, so a counter added to the engine is summed without a change here; a field of
 * another type is refused (it needs a rule).
 */
import type { SimCounts } from './counts.js';

/** Fields that describe the counted thing or the run, not a count: equal in both operands, never added. */
const IDENTITY = new Set(['name', 'size', 'id', 'tile', 'x', 'y', 'neurons', 'timesteps', 'delay']);

type Rec = Record<string, unknown>;

function walk(a: Rec, b: Rec, path: string, op: (a: Rec, key: string, y: number) => void): void {
  for (const key of Object.keys(b)) {
    const x = a[key], y = b[key];
    const where = `${path}.${key}`;
    if (IDENTITY.has(key)) {
      if (x !== y) throw new Error(`internal: counts of different chips or runs cannot be merged (${where}: ${String(x)} vs ${String(y)})`);
    } else if (typeof y === 'number') {
      if (typeof x !== 'number') throw new Error(`internal: counts field ${where} is missing on one side`);
      op(a, key, y);
    } else if (Array.isArray(y)) {
      if (!Array.isArray(x) || x.length !== y.length) throw new Error(`internal: counts of different chips cannot be merged (${where} lengths differ)`);
      for (let i = 0; i < y.length; i++) walk(x[i] as Rec, y[i] as Rec, `${where}[${i}]`, op);
    } else if (y !== null && typeof y === 'object') {
      walk(x as Rec, y as Rec, where, op);
    } else {
      throw new Error(`internal: counts field ${where} (${typeof y}) has no merge rule`);
    }
  }
}

/** Adds `from` into `into` (sums; maxima for `max…` fields) and returns `into`. Float sums depend on the order of calls. */
export function mergeCounts(into: SimCounts, from: SimCounts): SimCounts {
  walk(into as unknown as Rec, from as unknown as Rec, 'counts', (a, key, y) => {
    a[key] = key.startsWith('max') ? Math.max(a[key] as number, y) : (a[key] as number) + y;
  });
  return into;
}

/** Sets every counter of `c` to zero (identity fields kept) and returns `c`. */
export function zeroCounts(c: SimCounts): SimCounts {
  walk(c as unknown as Rec, c as unknown as Rec, 'counts', (a, key) => { a[key] = 0; });
  return c;
}
