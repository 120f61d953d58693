import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import { readoutLag } from './analysis.js';
import type { FloatNet, FloatPopulation, FloatProjection, Population, Projection, QuantGraph, Encoding } from './types.js';

/** `--hold`: steps run after T with the input held: 'auto', 'none' or a step count. */
export type HoldOption = 'auto' | 'none' | number;

export interface QuantizeOptions {
  timesteps: number;
  /** Steps to run after T with the input held (QuantGraph.holdSteps): 'auto' (default) = the readout lag on a
   * target with 'hardware' delay and 0 on a same-step one; 'none' = 0 (with a warning of what that costs on a
   * delayed target); a number = that many. */
  hold?: HoldOption;
  /** Projections whose weights are held at 24-bit mantissas with a wide exponent range (the error budget
   * switches weight rounding off layer by layer with this; no shipped chip has such weights). */
  fineWeights?: ReadonlySet<string>;
  /** Use every input bit of the target for direct input instead of at most 8 (the error budget's ideal input). */
  fullInputBits?: boolean;
  /** Projections whose weights keep the target's mantissa width but each weight its own power-of-two exponent
   * (held as a wide mantissa at a fine shared exponent): the error budget's measure of what sharing one exponent
   * per projection costs, apart from the mantissa's rounding. No shipped chip has such weights. */
  ownExponents?: ReadonlySet<string>;
  /** Potentials held 2^k finer than the threshold and weights need (state `k` bits wider, thresholds and weight
   * exponents shifted by k, so both stay exactly as they were): biases, initial and reset potentials and leaks
   * then round 2^k finer. The error budget's measure of bias and potential rounding; 0 (default) on every chip. */
  fineStateBits?: number;
  /** Where a spiking population's largest threshold sits in units: 'power-of-two' (default: the largest power of
   * two the register and the headroom hold, so simple fractions of θ are exact integers) or 'largest' (the largest
   * value they hold, rounded down to an even number of register steps, 2^20 − 128 units on loihi-like: snnc's
   * choice before issue 20 to within 0.01 % of θ, kept for the error budget's "before" in docs/quantization.md). */
  thresholdUnit?: 'power-of-two' | 'largest';
  /** Seed of rate-encoded input spikes. */
  seed?: number;
  warn?: (message: string) => void;
}

/** Headroom of a spiking population's membrane above its threshold, in bits (v may reach 2^3 θ unsaturated). */
const HEADROOM_BITS = 3;
/** Fraction (1/n) of the readout's worst-case input that must fit its state over T steps. */
const READOUT_ACTIVITY = 8;

/** The integer formats of a target, resolved once. */
export interface IntFormats {
  maxMantissa: number;
  minMantissa: number;
  exponentRange: [number, number];
  thresholdShift: number;
  thresholdMantissaMax: number;
  stateMax: number;
  maxDistinct?: number;
  decayBits: number;
}

export function intFormats(t: TargetSpec): IntFormats {
  const bits = t.precision.weightBits.value;
  const signed = t.precision.weightSigned.value;
  return {
    maxMantissa: signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1,
    minMantissa: signed ? -(2 ** (bits - 1) - 1) : 0,
    exponentRange: t.precision.weightExponentRange.value,
    thresholdShift: t.precision.thresholdShift.value,
    thresholdMantissaMax: 2 ** t.precision.thresholdBits.value - 1,
    stateMax: 2 ** (t.precision.stateBits.value - 1) - 1,
    maxDistinct: t.precision.weightScale.value === 'axon-types' ? t.core.maxDistinctWeightsPerNeuron.value! : undefined,
    decayBits: t.precision.decayBits.value,
  };
}

/** The value one integer event from a projection's source carries: 1 for a spike, 1/inputScale for direct input. */
function eventValue(p: { from: string }, encoding: Encoding, inputScale: number): number {
  return p.from === 'input' && encoding === 'direct' ? 1 / inputScale : 1;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) { const v = Math.abs(a[i]); if (v > m) m = v; }
  return m;
}

/** Largest |Σ row| of a projection per unit input: bounds the current one step can add. */
function maxRowAbsSum(p: FloatProjection): number {
  const s = p.synapse;
  const rows = s.kind === 'dense' ? p.postShape.reduce((a, b) => a * b, 1) : p.postShape[0];
  const per = s.weights.length / rows;
  let best = 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < per; k++) sum += Math.abs(s.weights[r * per + k]);
    if (sum > best) best = sum;
  }
  return best;
}

/** 1-D k-means with deterministic quantile initialisation; returns the sorted integer levels. */
function integerLevels(values: number[], k: number): number[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length <= k) return distinct;
  const sorted = values.slice().sort((a, b) => a - b);
  let centres = Array.from({ length: k }, (_, i) => sorted[Math.min(sorted.length - 1, Math.floor(((i + 0.5) / k) * sorted.length))]);
  for (let iter = 0; iter < 25; iter++) {
    const sum = new Array(k).fill(0);
    const cnt = new Array(k).fill(0);
    for (const v of sorted) {
      let best = 0;
      for (let c = 1; c < k; c++) if (Math.abs(v - centres[c]) < Math.abs(v - centres[best])) best = c;
      sum[best] += v; cnt[best]++;
    }
    const next = centres.map((c, i) => (cnt[i] > 0 ? sum[i] / cnt[i] : c));
    if (next.every((c, i) => c === centres[i])) break;
    centres = next;
  }
  return [...new Set(centres.map((c) => Math.round(c)))].sort((a, b) => a - b);
}

function nearest(levels: number[], v: number): number {
  let best = levels[0];
  for (const l of levels) if (Math.abs(v - l) < Math.abs(v - best)) best = l;
  return best;
}

/**
 * Quantizes a float spiking network to a target's integer formats. Per population, one integer unit u
 * (the float value of one membrane LSB) is chosen: spiking populations put their threshold as high as the
 * threshold register and 3 bits of state headroom allow; the readout picks the finest unit for which T
 * steps of its largest possible input cannot saturate the state. Each projection then gets the exponent
 * e of its shared power-of-two scale (Loihi: mantissa · 2^e, e per projection) so that its largest weight
 * uses the full mantissa, within the target's exponent range (if even the largest e cannot hold a weight,
 * u grows). Mantissas are rounded to nearest and saturated. TrueNorth-style targets ('axon-types') then
 * reduce each output channel's weights to at most N distinct integer values (1-D k-means). Thresholds are
 * rounded to the threshold register (mantissa · 2^shift), biases and initial potentials to u.
 * The integer model is what the simulator and the fixed-point reference execute (simulator/arith.ts).
 */
export function quantize(net: FloatNet, target: TargetSpec, opts: QuantizeOptions): QuantGraph {
  const f = intFormats(target);
  const inputBits = target.precision.inputBits.value;
  let encoding: Encoding = net.input.encoding;
  if (inputBits === 1 && encoding === 'direct') {
    opts.warn?.(`${target.name} takes binary input events only: the input is rate-encoded (Bernoulli spikes of probability x) instead of direct; input of 0s and 1s, such as event frames, spikes exactly where it is 1`);
    encoding = 'rate';
  }
  // Direct input: an 8-bit value at most, so that the first layer's weights keep their resolution (the error
  // budget lifts the cap to measure what input quantization costs).
  const inputScale = encoding === 'direct' ? 2 ** Math.min(inputBits, opts.fullInputBits ? inputBits : 8) - 1 : 1;
  const fine: Pick<IntFormats, 'maxMantissa' | 'minMantissa' | 'exponentRange'> = { maxMantissa: 2 ** 23 - 1, minMantissa: -(2 ** 23 - 1), exponentRange: [-60, 30] };
  const formatOf = (p: { name: string }) => (opts.fineWeights?.has(p.name) ? fine : f);
  const fineBits = opts.fineStateBits ?? 0;
  const stateMax = 2 ** (target.precision.stateBits.value + fineBits - 1) - 1;
  const incoming = new Map<string, FloatProjection[]>();
  // Every input gain of the neuron model folds into the weights of the rows it scales (and into the constant
  // input): the chip's registers then hold the plain sums of its update rule (simulator/arith.ts).
  const folded = foldInputGains(net);
  for (const p of folded.projections) {
    const list = incoming.get(p.to) ?? [];
    list.push(p);
    incoming.set(p.to, list);
  }

  const units = new Map<string, number>();
  const populations: Population[] = [];
  for (const pop of folded.populations) {
    const ins = incoming.get(pop.name) ?? [];
    const d = pop.dynamics;
    let unit: number;
    const weightUnit = (p: FloatProjection) => maxAbs(p.synapse.weights) * eventValue(p, encoding, inputScale) / (formatOf(p).maxMantissa * 2 ** formatOf(p).exponentRange[1]);
    const biasMax = Math.max(pop.bias.length > 0 ? maxAbs(pop.bias) : 0, maxAbs(pop.currentBias));
    const thetaMax = d.threshold ? Math.max(...d.threshold) : 0;
    if (!pop.readout) {
      // The largest threshold becomes a power of two of units (within the register and the headroom): a weight
      // that is a simple fraction of it (a relay's whole threshold, a pooling's 1/4) is then an exact integer, and
      // v reaches θ exactly where the float SNN's does (a unit of θ/(2^20 − 1) moved such ties by one LSB).
      const thresholdMax = opts.thresholdUnit === 'largest'
        ? Math.min(f.thresholdMantissaMax * 2 ** f.thresholdShift, Math.floor(f.stateMax / 2 ** HEADROOM_BITS))
        : 2 ** Math.floor(Math.log2(Math.min(f.thresholdMantissaMax * 2 ** f.thresholdShift, (f.stateMax + 1) / 2 ** HEADROOM_BITS)));
      unit = thetaMax / thresholdMax;
    } else {
      // The worst case (every input at its maximum, every weight aligned) is far from real activity; the
      // readout keeps resolution by allowing for 1/READOUT_ACTIVITY of it (saturation is still modelled).
      const perStep = ins.reduce((a, p) => a + maxRowAbsSum(p), 0) + biasMax;
      unit = (opts.timesteps * perStep) / (READOUT_ACTIVITY * f.stateMax);
      // …but never so fine that T events of its strongest single synapse saturate it (a readout of few inputs,
      // e.g. the spike counts of a spiking output layer, is often fully active).
      const strongest = Math.max(0, ...ins.map((p) => maxAbs(p.synapse.weights) * eventValue(p, encoding, inputScale))) + biasMax;
      unit = Math.max(unit, (opts.timesteps * strongest) / f.stateMax);
    }
    for (const p of ins) unit = Math.max(unit, weightUnit(p));
    unit = Math.max(unit, (2 * biasMax) / f.stateMax);
    if (!(unit > 0) || !Number.isFinite(unit)) unit = pop.readout ? 1 : thetaMax;
    if (!pop.readout && thetaMax > 0) unit = thetaMax / exactThreshold(thetaMax / unit, 2 ** f.thresholdShift);
    units.set(pop.name, unit);

    const step = 2 ** f.thresholdShift;
    const registerOf = (theta: number) => Math.max(step, Math.min(f.thresholdMantissaMax, Math.round(theta / unit / step)) * step) * 2 ** fineBits;
    // Potentials (biases, initial and reset values) in the state's unit: `unit`, or 2^fineBits finer for the budget.
    const stateUnit = unit / 2 ** fineBits;
    const state = (x: number) => clamp(Math.round(x / stateUnit), -stateMax - 1, stateMax);
    const perNeuron = (values: Float64Array, toInt: (x: number) => number): { value: number; each?: Int32Array } => {
      const ints = Int32Array.from(values, toInt);
      return ints.every((x) => x === ints[0]) ? { value: ints[0] ?? 0 } : { value: Math.max(...ints), each: ints };
    };
    const threshold = pop.readout || !d.threshold ? { value: 0 } : perNeuron(d.threshold, registerOf);
    const retention = (keep: Float64Array) => perNeuron(keep, (k) => Math.round(k * 2 ** f.decayBits));
    const decay = d.keep.every((k) => k === 1) ? undefined : retention(d.keep);
    const currentDecay = d.syn ? retention(d.syn.keep) : undefined;
    const vReset = d.vReset.some((v) => v !== 0) ? perNeuron(d.vReset, state) : undefined;
    const vInit = perNeuron(d.vInit, state);
    const bias = new Int32Array(pop.bias.length);
    for (let i = 0; i < bias.length; i++) bias[i] = state(pop.bias[i]);
    const currentBias = pop.currentBias.length > 0 ? Int32Array.from(pop.currentBias, state) : undefined;
    populations.push({
      name: pop.name, shape: [...pop.shape], size: pop.size,
      neuron: {
        model: pop.model, threshold: threshold.value, reset: d.reset,
        ...(vReset ? { vReset: vReset.value } : {}),
        ...(pop.fire ? { fire: pop.fire } : {}),
        ...(decay ? { decay: decay.value } : {}),
        ...(currentDecay ? { currentDecay: currentDecay.value } : {}),
        stateBits: target.precision.stateBits.value + fineBits,
        vInit: vInit.value,
      },
      bias, readout: pop.readout, source: pop.source,
      ...(pop.read === 'sum' ? { read: 'sum' as const } : {}),
      ...(currentBias && currentBias.some((b) => b !== 0) ? { currentBias } : {}),
      ...(vInit.each ? { vInitPerNeuron: vInit.each } : {}),
      ...(threshold.each ? { thresholdPerNeuron: threshold.each } : {}),
      ...(decay?.each ? { decayPerNeuron: decay.each } : {}),
      ...(currentDecay?.each ? { currentDecayPerNeuron: currentDecay.each } : {}),
      ...(vReset?.each ? { vResetPerNeuron: vReset.each } : {}),
    });
  }

  const quantError: Record<string, number> = {};
  const projections: Projection[] = [];
  for (const p of folded.projections) {
    const unit = units.get(p.to)!;
    const scale = eventValue(p, encoding, inputScale) / unit;
    const w = p.synapse.weights;
    const big = maxAbs(w) * scale;
    const own = opts.ownExponents?.has(p.name) ?? false;
    const pf = own ? fine : formatOf(p);
    const [eMin, eMax] = pf.exponentRange;
    let e = big > 0 ? Math.ceil(Math.log2(big / pf.maxMantissa)) : eMin;
    e = clamp(e, eMin, eMax);
    const m = new Int32Array(w.length);
    const step = 2 ** e;
    for (let i = 0; i < w.length; i++) m[i] = clamp(Math.round((w[i] * scale) / step), pf.minMantissa, pf.maxMantissa);
    // Each weight its own exponent: its value rounded to the target's mantissa width, then held exactly.
    if (own) for (let i = 0; i < m.length; i++) m[i] = ownExponentRound(m[i], f.maxMantissa);
    projections.push({
      name: p.name, from: p.from, to: p.to, preShape: [...p.preShape], postShape: [...p.postShape],
      weightExponent: e + fineBits, weightBits: opts.fineWeights?.has(p.name) || own ? 24 : target.precision.weightBits.value,
      ...(p.recurrent ? { recurrent: true } : {}), ...(p.delays ? { delays: p.delays } : {}),
      synapse: p.synapse.kind === 'dense'
        ? { kind: 'dense', weights: m }
        : { kind: 'conv', weights: m, kernel: p.synapse.kernel, stride: p.synapse.stride, padding: p.synapse.padding, dilation: p.synapse.dilation, groups: p.synapse.groups },
    });
  }
  if (f.maxDistinct !== undefined) limitDistinctWeights(projections, f.maxDistinct);
  for (let k = 0; k < projections.length; k++) {
    const p = folded.projections[k];
    const q = projections[k];
    const back = weightValue(q, units.get(p.to)! / 2 ** fineBits, encoding, inputScale);
    let num = 0;
    let den = 0;
    for (let i = 0; i < p.synapse.weights.length; i++) {
      const d = q.synapse.weights[i] * back - p.synapse.weights[i];
      num += d * d;
      den += p.synapse.weights[i] * p.synapse.weights[i];
    }
    quantError[p.name] = den > 0 ? Math.sqrt(num / den) : 0;
  }

  const q: QuantGraph = {
    name: net.name,
    target,
    timesteps: opts.timesteps,
    delay: target.timing.delay.value,
    input: { shape: [...net.input.shape], encoding, inputScale, ...(encoding === 'rate' ? { seed: opts.seed ?? 1 } : {}) },
    populations,
    projections,
    quantError,
    stateUnits: Object.fromEntries([...units].map(([name, u]) => [name, u / 2 ** fineBits])),
  };
  q.holdSteps = holdStepsFor(q, opts.hold);
  const lag = readoutLag(q);
  if (q.delay === 'hardware' && q.holdSteps < lag) {
    const T = opts.timesteps;
    const evidence = Math.min(T, Math.max(0, T + q.holdSteps - lag));
    opts.warn?.(`${target.name} delivers spikes one step later per layer, so the readout sees the input ${lag} step(s) late: with ${q.holdSteps} hold step(s) it integrates only ${evidence} of the ${T} steps of evidence the network expects, and loses accuracy accordingly; --hold auto (the default) runs T + ${lag} = ${T + lag} steps with the input held to keep the software accuracy`);
  }
  return q;
}

/** The float value of one mantissa step of projection `p` into a population whose state LSB is `stateUnit`. */
function weightValue(p: { from: string; weightExponent: number }, stateUnit: number, encoding: Encoding, inputScale: number): number {
  return (2 ** p.weightExponent * stateUnit) / eventValue(p, encoding, inputScale);
}

/** The float values a quantized network's integers stand for. */
export interface Dequantized {
  /** Per projection, its weights (the layout of the folded float projection): mantissa · 2^e · u / event value. */
  weights: Map<string, Float32Array>;
  /** Per population, its potential bias (one per neuron, or none) and its firing threshold(s) · u. */
  bias: Map<string, Float32Array>;
  threshold: Map<string, Float32Array>;
  /** Per population with a leak, the retention factor(s) the chip applies per step. */
  keep: Map<string, Float32Array>;
}

/**
 * Reads a quantized network back in float units (u, the float value of one state LSB, per population): what the
 * chip computes, as float numbers. Quantization-aware training substitutes these values in its forward pass
 * (src/train/qat.ts), so that the rounding it trains under is exactly the compiler's.
 */
export function dequantize(q: QuantGraph): Dequantized {
  const units = q.stateUnits;
  if (!units) throw new Error(`dequantize: graph '${q.name}' carries no state units (only quantize's own output does)`);
  const out: Dequantized = { weights: new Map(), bias: new Map(), threshold: new Map(), keep: new Map() };
  const f = intFormats(q.target);
  for (const p of q.projections) {
    const back = weightValue(p, units[p.to], q.input.encoding, q.input.inputScale);
    out.weights.set(p.name, Float32Array.from(p.synapse.weights, (m) => m * back));
  }
  for (const pop of q.populations) {
    const u = units[pop.name];
    const each = (one: number, per?: Int32Array) => Float32Array.from(per ?? new Int32Array(pop.size).fill(one), (x) => x * u);
    out.bias.set(pop.name, Float32Array.from(pop.bias.length > 0 ? pop.bias : new Int32Array(pop.size), (b) => b * u));
    if (!pop.readout) out.threshold.set(pop.name, each(pop.neuron.threshold, pop.thresholdPerNeuron));
    if (pop.neuron.decay !== undefined) {
      const per = pop.decayPerNeuron ?? new Int32Array(pop.size).fill(pop.neuron.decay);
      out.keep.set(pop.name, Float32Array.from(per, (k) => k / 2 ** f.decayBits));
    }
  }
  return out;
}

/**
 * Hold steps for a quantized graph: 'auto' extends a delayed chip's run by exactly the readout lag, so the
 * readout integrates all T steps of evidence the network was trained with (a same-step chip needs none).
 */
export function holdStepsFor(q: QuantGraph, hold: HoldOption = 'auto'): number {
  if (hold === 'none') return 0;
  if (hold === 'auto') return q.delay === 'hardware' ? readoutLag(q) : 0;
  if (!(Number.isInteger(hold) && hold >= 0 && hold <= 100_000)) throw new UserError(`--hold must be auto, none or an integer from 0 to 100000, got ${hold}`);
  return hold;
}

/** A population with its input gains folded: `bias` is its constant potential input, `currentBias` (current-based
 * kinds) its constant current input. */
type FoldedPopulation = FloatPopulation & { currentBias: Float32Array };

/**
 * Folds each neuron's input gains into the weights of its rows: gain (voltage kinds) or gain · synGain
 * (current-based kinds, whose current is then held in units of its contribution to v) per target neuron. A
 * convolution shares its kernel over a channel, so its gains must agree within each output channel. The
 * constant input (biases on the paths) becomes the potential bias (voltage kinds, plus the v_leak term) or
 * the current bias (current kinds). Gains of 1 leave every value exactly as it was.
 */
function foldInputGains(net: FloatNet): { populations: FoldedPopulation[]; projections: FloatProjection[] } {
  const scales = new Map<string, Float64Array>();
  const populations = net.populations.map((pop): FoldedPopulation => {
    const d = pop.dynamics;
    const s = new Float64Array(pop.size);
    for (let j = 0; j < pop.size; j++) s[j] = d.syn ? d.gain[j] * d.syn.gain[j] : d.gain[j];
    scales.set(pop.name, s);
    const constant = pop.bias;
    const vBias = new Float32Array(pop.size);
    const iBias = new Float32Array(d.syn ? pop.size : 0);
    let anyV = false, anyI = false;
    for (let j = 0; j < pop.size; j++) {
      const b = constant.length > 0 ? s[j] * constant[j] : 0;
      if (d.syn) { iBias[j] = b; vBias[j] = d.bias[j]; } else vBias[j] = b + d.bias[j];
      anyV ||= vBias[j] !== 0; anyI ||= d.syn ? iBias[j] !== 0 : false;
    }
    return { ...pop, bias: anyV ? vBias : new Float32Array(0), currentBias: anyI ? iBias : new Float32Array(0) };
  });
  const projections = net.projections.map((p) => {
    const s = scales.get(p.to)!;
    if (s.every((x) => x === 1)) return p;
    const w = p.synapse.weights.slice();
    if (p.synapse.kind === 'dense') {
      const pre = w.length / s.length;
      for (let j = 0; j < s.length; j++) for (let i = 0; i < pre; i++) w[j * pre + i] *= s[j];
    } else {
      const channels = p.postShape[0];
      const plane = s.length / channels;
      const per = w.length / channels;
      for (let c = 0; c < channels; c++) {
        const g = s[c * plane];
        for (let k = 1; k < plane; k++) {
          if (s[c * plane + k] !== g) throw new UserError(`population '${p.to}': its neurons' input gains differ within output channel ${c} of the convolution '${p.name}', which shares one kernel per channel; give the layer per-channel parameters`);
        }
        for (let i = 0; i < per; i++) w[c * per + i] *= g;
      }
    }
    return { ...p, synapse: { ...p.synapse, weights: w } } as FloatProjection;
  });
  return { populations, projections };
}

/** At most `k` distinct non-zero weights per output channel across all its incoming projections (axon types). */
function limitDistinctWeights(projections: Projection[], k: number): void {
  const byTarget = new Map<string, Projection[]>();
  for (const p of projections) byTarget.set(p.to, [...(byTarget.get(p.to) ?? []), p]);
  for (const group of byTarget.values()) {
    // Channels of the post population: conv output channels, or dense output neurons.
    const channels = group[0].synapse.kind === 'dense' ? group[0].postShape.reduce((a, b) => a * b, 1) : group[0].postShape[0];
    for (let c = 0; c < channels; c++) {
      const slices: { w: Int32Array; from: number; to: number; e: number }[] = [];
      for (const p of group) {
        const per = p.synapse.weights.length / (p.synapse.kind === 'dense' ? p.postShape.reduce((a, b) => a * b, 1) : p.postShape[0]);
        slices.push({ w: p.synapse.weights, from: c * per, to: (c + 1) * per, e: p.weightExponent });
      }
      const values: number[] = [];
      for (const s of slices) for (let i = s.from; i < s.to; i++) if (s.w[i] !== 0) values.push(s.w[i] * 2 ** s.e);
      if (new Set(values).size <= k) continue;
      const levels = integerLevels(values, k);
      for (const s of slices) {
        for (let i = s.from; i < s.to; i++) {
          if (s.w[i] === 0) continue;
          s.w[i] = Math.round(nearest(levels, s.w[i] * 2 ** s.e) / 2 ** s.e);
        }
      }
    }
  }
}

/**
 * The largest threshold in units, made exact: the largest multiple of the register's step not above `units` (so the
 * unit only grows and every weight still fits), even when that leaves at least two steps (so a relay's start at
 * half its threshold is exact too). Where the weights set the unit (Speck's 8-bit weights with no exponent), θ is a
 * few dozen units and rounding it cost up to 1 % of every layer's rate; now θ, and a relay's θ/2, are exact and
 * the weights are rounded against the θ the chip holds.
 */
function exactThreshold(units: number, step: number): number {
  let n = Math.floor(units / step + 1e-6);
  if (n >= 2 && n % 2 === 1) n--;
  return Math.max(1, n) * step;
}

/** A wide mantissa rounded to `maxMantissa`'s width with its own power-of-two exponent (to nearest). */
function ownExponentRound(m: number, maxMantissa: number): number {
  const a = Math.abs(m);
  if (a <= maxMantissa) return m;
  const step = 2 ** Math.ceil(Math.log2(a / maxMantissa));
  return Math.sign(m) * Math.min(Math.round(a / step) * step, maxMantissa * step);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
