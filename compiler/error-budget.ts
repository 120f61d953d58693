/**
 * The error budget of a compiled network: where the gap between the float SNN and the chip comes from. The
 * fixed-point reference runs the network as compiled, then again with one cause switched off at a time —
 * spike delivery (the hardware's one step per layer and the hold steps), weight rounding (all projections, then
 * each projection alone), the shared exponent (each weight its own exponent, the mantissa as wide as the chip's;
 * all projections, then each alone), the threshold register, bias and potential rounding, the state width
 * (saturation), the input's quantization — and with all of them off. Each row gives the accuracy and the agreement with the float SNN: what a cause costs is
 * what switching it off recovers. A cause is switched off by giving its register more bits than any chip has
 * (24-bit weight mantissas, 30-bit thresholds, 31-bit state, 16-bit input, potentials up to 2^7 finer), so the same
 * integer arithmetic runs.
 */
import type { Dataset } from '../src/data/dataset.js';
import { runGraph, predict } from '../src/ir/execute.js';
import type { TargetSpec } from '../targets/target.js';
import { FixedPointReference } from '../simulator/reference.js';
import { agreementRate } from '../src/metrics/agreement.js';
import { quantize as quantizeNet, type HoldOption, type QuantizeOptions } from './quantize.js';
import type { DelayMode, FloatNet, QuantGraph } from './types.js';
import type { Graph } from '../src/ir/graph.js';

export interface BudgetRow {
  /** What is switched off ('as compiled' for the baseline). */
  cause: string;
  /** The projection the row switches the cause off for alone; absent: the whole network. */
  layer?: string;
  /** Steps each sample ran and how spikes were delivered. */
  steps: number;
  delay: DelayMode;
  accuracy: number;
  /** Fraction of samples predicted as the float SNN predicts them. */
  agreeFloat: number;
  /** Accuracy recovered against the network as compiled (positive: the cause costs that much). */
  recovered: number;
}

export interface ErrorBudget {
  target: string;
  samples: number;
  timesteps: number;
  floatAccuracy: number;
  rows: BudgetRow[];
}

export interface BudgetOptions {
  /** The compiled T and hold (as compile chose them). */
  timesteps: number;
  hold?: HoldOption;
  /** Time steps of input per sample (inputs over time); default the data set's. */
  frames?: number;
  /** Quantization choices every row shares (e.g. `thresholdUnit: 'largest'` for the budget of the choices before
   * issue 20); default the compiler's. */
  quantize?: Pick<QuantizeOptions, 'thresholdUnit'>;
  onProgress?: (done: number, total: number) => void;
}

/** A copy of the target with some precision figures widened. */
function widened(target: TargetSpec, change: Partial<Record<'thresholdBits' | 'stateBits' | 'inputBits', number>>): TargetSpec {
  const t = structuredClone(target);
  if (change.thresholdBits !== undefined) { t.precision.thresholdBits.value = change.thresholdBits; t.precision.thresholdShift.value = 0; }
  if (change.stateBits !== undefined) t.precision.stateBits.value = change.stateBits;
  if (change.inputBits !== undefined) t.precision.inputBits.value = change.inputBits;
  return t;
}

/**
 * Computes the error budget of a lowered network (`net`, as the compiler made it from `spiking`) on `data` for
 * `target`. Runs the float SNN once and the fixed-point reference once per row.
 */
export function errorBudget(spiking: Graph, net: FloatNet, target: TargetSpec, data: Dataset, opts: BudgetOptions): ErrorBudget {
  const n = data.count;
  const frames = opts.frames ?? data.steps ?? 1;
  const size = data.shape[0] * data.shape[1] * data.shape[2] * frames;
  const T = opts.timesteps;
  const quantize = (n: FloatNet, t: TargetSpec, o: QuantizeOptions) => quantizeNet(n, t, { ...opts.quantize, ...o });
  const base = quantize(net, target, { timesteps: T, hold: opts.hold });
  const floatPred = predict(runGraph(spiking, data.images, n, {
    mode: 'snn', timesteps: frames > 1 ? Math.max(T, frames) : T, encoding: base.input.encoding, seed: base.input.seed,
    ...(frames > 1 ? { inputSteps: frames } : {}),
  }), n);
  const floatAccuracy = agreementRate(floatPred, data.labels, n);
  const projections = net.projections.map((p) => p.name);
  const cases: { cause: string; layer?: string; q: QuantGraph; delay: DelayMode; steps: number }[] = [];
  const asCompiled = (q: QuantGraph) => ({ q, delay: q.delay, steps: q.timesteps + (q.holdSteps ?? 0) });
  cases.push({ cause: 'as compiled', ...asCompiled(base) });
  cases.push({ cause: 'spike delivery: same step, no hold', q: base, delay: 'same-step', steps: T });
  const all = new Set(projections);
  cases.push({ cause: 'weight rounding (every projection)', ...asCompiled(quantize(net, target, { timesteps: T, hold: opts.hold, fineWeights: all })) });
  if (projections.length > 1) {
    for (const p of projections) cases.push({ cause: `weight rounding of ${p}`, layer: p, ...asCompiled(quantize(net, target, { timesteps: T, hold: opts.hold, fineWeights: new Set([p]) })) });
  }
  if (target.precision.weightScale.value === 'per-projection-pow2') {
    cases.push({ cause: 'shared exponent (every projection)', ...asCompiled(quantize(net, target, { timesteps: T, hold: opts.hold, ownExponents: all })) });
    if (projections.length > 1) {
      for (const p of projections) cases.push({ cause: `shared exponent of ${p}`, layer: p, ...asCompiled(quantize(net, target, { timesteps: T, hold: opts.hold, ownExponents: new Set([p]) })) });
    }
  }
  cases.push({ cause: 'threshold register', ...asCompiled(quantize(net, widened(target, { thresholdBits: 30 }), { timesteps: T, hold: opts.hold })) });
  const fineStateBits = Math.min(7, 31 - target.precision.stateBits.value);
  if (fineStateBits > 0) {
    cases.push({ cause: `bias and potential rounding (2^${fineStateBits} finer)`, ...asCompiled(quantize(net, target, { timesteps: T, hold: opts.hold, fineStateBits })) });
  }
  cases.push({ cause: 'state width (saturation)', ...asCompiled(quantize(net, widened(target, { stateBits: 31 }), { timesteps: T, hold: opts.hold })) });
  if (base.input.encoding === 'direct') {
    cases.push({ cause: 'input quantization', ...asCompiled(quantize(net, widened(target, { inputBits: 16 }), { timesteps: T, hold: opts.hold, fullInputBits: true })) });
  }
  const ideal = quantize(net, widened(target, { thresholdBits: 30, stateBits: 31, inputBits: base.input.encoding === 'direct' ? 16 : target.precision.inputBits.value }), { timesteps: T, hold: opts.hold, fineWeights: all, fullInputBits: true });
  cases.push({ cause: 'all of the above', q: ideal, delay: 'same-step', steps: T });

  const rows: BudgetRow[] = [];
  let done = 0;
  for (const c of cases) {
    const ref = new FixedPointReference(c.q, { delay: c.delay, timesteps: c.steps });
    const pred = new Int32Array(n);
    for (let s = 0; s < n; s++) pred[s] = ref.runSample(data.images.subarray(s * size, (s + 1) * size), s, frames).prediction;
    const accuracy = agreementRate(pred, data.labels, n);
    rows.push({ cause: c.cause, ...(c.layer ? { layer: c.layer } : {}), steps: c.steps, delay: c.delay, accuracy, agreeFloat: agreementRate(pred, floatPred, n), recovered: 0 });
    opts.onProgress?.(++done, cases.length);
  }
  for (const r of rows) r.recovered = r.accuracy - rows[0].accuracy;
  return { target: target.name, samples: n, timesteps: T, floatAccuracy, rows };
}

/** The budget as a table a person reads. */
export function formatErrorBudget(b: ErrorBudget): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)} pt`;
  const rows = [['switched off', 'steps', 'delivery', 'accuracy', 'agrees with float', 'recovers'], ...b.rows.map((r) => [r.cause, String(r.steps), r.delay, pct(r.accuracy), pct(r.agreeFloat), r.cause === 'as compiled' ? '' : pts(r.recovered)])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return [`error budget on ${b.target}: ${b.samples} samples, T = ${b.timesteps}; float SNN ${pct(b.floatAccuracy)}`, '', ...lines, ''].join('\n');
}
