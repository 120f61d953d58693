/**
 * The range of every numeric setting, defined once and shared by every command that takes it (and by the
 * files that carry the same setting: a mapped artifact's time steps, a SANA-FE vector's step count, a
 * training checkpoint's config). A value outside its range is a UserError naming the flag, the range and
 * the value, raised before any work starts.
 */
import { UserError } from './errors.js';

export interface NumberRange {
  integer: boolean;
  min: number;
  max: number;
  /** The bound itself is excluded. */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

const int = (min: number, max: number): NumberRange => ({ integer: true, min, max });
const real = (min: number, max: number, ex: { minExclusive?: boolean; maxExclusive?: boolean } = {}): NumberRange => ({ integer: false, min, max, ...ex });

/** Every numeric setting's range. */
export const RANGES = {
  /** Time steps a network runs per sample: compile -T, simulate --timesteps / --steps, verify, compare and
   * robustness --timesteps, a mapped artifact's T and hold steps, a SANA-FE vector's step count. */
  timesteps: int(1, 100_000),
  /** Steps run after T with the input held (compile --hold, a mapped artifact's holdSteps). */
  holdSteps: int(0, 100_000),
  /** Steps one sample runs on the chip: T plus the hold steps. */
  runSteps: int(1, 200_000),
  /** Training time steps: backpropagation through time keeps every step of every layer in memory. */
  trainTimesteps: int(1, 256),
  /** Samples evaluated, simulated or used for calibration. */
  samples: int(1, 10_000_000),
  /** --train-limit, --test-limit, --validation. */
  limit: int(1, 10_000_000),
  epochs: int(1, 10_000),
  batchSize: int(1, 4096),
  /** Seeds are 32-bit: every generator in snnc takes a uint32. */
  seed: int(0, 2 ** 32 - 1),
  learningRate: real(0, 10, { minExclusive: true, maxExclusive: true }),
  alpha: real(0, 1),
  tau: real(0, 1000, { minExclusive: true }),
  beta: real(0, 1e6),
  threshold: real(0, 1e6, { minExclusive: true }),
  leak: real(0, 1, { maxExclusive: true }),
  sharpness: real(0, 1000, { minExclusive: true }),
  augmentShift: int(0, 8),
  percentile: real(0, 100, { minExclusive: true }),
} as const satisfies Record<string, NumberRange>;

export type RangeName = keyof typeof RANGES;

/** "an integer from 1 to 100000", "a number in (0, 10)". */
export function describeRange(r: NumberRange): string {
  if (r.integer) return `an integer from ${r.min} to ${r.max}`;
  return `a number in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
}

export function inRange(r: NumberRange, v: unknown): v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (r.integer && !Number.isInteger(v)) return false;
  if (r.minExclusive ? v <= r.min : v < r.min) return false;
  if (r.maxExclusive ? v >= r.max : v > r.max) return false;
  return true;
}

/**
 * Checks a setting against its range and returns it; `flag` is how the user wrote it (`--samples`,
 * `--calibration-samples`, `checkpoint config.epochs`). `undefined` passes (the setting was not given).
 */
export function checkRange<T extends number | undefined>(flag: string, range: RangeName | NumberRange, value: T, error: (m: string) => Error = (m) => new UserError(m)): T {
  if (value === undefined) return value;
  const r = typeof range === 'string' ? RANGES[range] : range;
  if (!inRange(r, value)) throw error(`${flag} must be ${describeRange(r)}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  return value;
}

/** The range in a flag's help text: "(1–100000)". */
export function rangeHint(range: RangeName): string {
  const r = RANGES[range];
  return `(${describeRange(r)})`;
}
