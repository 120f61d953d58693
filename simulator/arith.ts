/**
 * The integer neuron arithmetic shared by the chip simulator and the software fixed-point reference. It is
 * the contract the quantizer (compiler) must target; everything is exact integer arithmetic held in
 * float64 (exact below 2^53, far beyond any state width a target declares).
 *
 * One step of a population, per neuron j:
 *   I_j   = Σ over incoming projections p of  scale(acc_p[j], e_p)        (acc_p = Σ mantissa · event)
 *           where scale(a, e) = a · 2^e for e ≥ 0 and floor(a / 2^−e) for e < 0 (an arithmetic shift of the
 *           projection's accumulated sum, as a dendritic accumulator with a per-projection exponent does)
 *   current-based kinds (CubaLIF, CubaLI; Loihi's compartment):
 *         u_j ← decay_u(u_j) + I_j + currentBias_j, saturated; the potential is then driven by u_j instead of I_j
 *   v_j   ← decay(v_j) + (u_j or I_j) + bias_j, saturated to the signed state width
 *           decay(x) = x without a retention; else trunc(x · retention / 2^decayBits) (toward zero, symmetric in sign)
 *   spike when v_j ≥ θ_j ('ge', snnc) or v_j > θ_j ('gt', NIR and SANA-FE; the neuron's own test, else the
 *   target's); on a spike v_j ← v_j − θ_j ('subtract') or v_reset_j ('zero')
 *   the readout population never spikes; its final v (or, read 'sum', the sum of its v over the steps) is the
 *   class score.
 */
import type { Population } from '../compiler/types.js';
import type { TargetSpec } from '../targets/target.js';

/** Applies a projection's shared power-of-two exponent to its accumulated mantissa sum. */
export function applyExponent(acc: number, exponent: number): number {
  return exponent >= 0 ? acc * POW2[exponent] : Math.floor(acc / POW2[-exponent]);
}

/** 2^0 … 2^63, so the exponent costs a table read rather than Math.pow in per-neuron loops. */
const POW2 = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);

/** The signed range of a state register of `bits` bits. */
export function stateRange(bits: number): [lo: number, hi: number] {
  return [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
}

/** Everything the inner neuron loop needs, resolved once per population. Per-neuron arrays are null when every
 * neuron shares the layer's value. */
export interface NeuronParams {
  threshold: number;
  thresholds: Int32Array | null;
  resetToZero: boolean;
  vReset: number;
  vResets: Int32Array | null;
  fireStrict: boolean;
  leaky: boolean;
  decay: number;
  decays: Int32Array | null;
  decayDivisor: number;
  /** Current-based kinds: the current register's retention (and per neuron), and its constant input. */
  currentBased: boolean;
  currentDecay: number;
  currentDecays: Int32Array | null;
  currentBias: Int32Array | null;
  lo: number;
  hi: number;
  readout: boolean;
  /** The readout is the sum of its potential over every step ('sum') or its final potential. */
  readSum: boolean;
}

export function neuronParams(pop: Population, target: TargetSpec): NeuronParams {
  const n = pop.neuron;
  const [lo, hi] = stateRange(n.stateBits);
  const decayBits = target.precision.decayBits.value;
  const full = 2 ** decayBits;
  return {
    threshold: n.threshold,
    thresholds: pop.thresholdPerNeuron ?? null,
    resetToZero: n.reset === 'zero',
    vReset: n.vReset ?? 0,
    vResets: pop.vResetPerNeuron ?? null,
    fireStrict: (n.fire ?? target.precision.fireCondition.value) === 'gt',
    leaky: n.decay !== undefined || pop.decayPerNeuron !== undefined,
    decay: n.decay ?? full,
    decays: pop.decayPerNeuron ?? null,
    decayDivisor: full,
    currentBased: n.currentDecay !== undefined,
    currentDecay: n.currentDecay ?? full,
    currentDecays: pop.currentDecayPerNeuron ?? null,
    currentBias: pop.currentBias ?? null,
    lo,
    hi,
    readout: pop.readout,
    readSum: pop.read === 'sum',
  };
}

/** The initial membrane potentials of a population. */
export function initialPotentials(pop: Population): Float64Array {
  const v = new Float64Array(pop.size);
  if (pop.vInitPerNeuron) v.set(pop.vInitPerNeuron);
  else v.fill(pop.neuron.vInit);
  return v;
}

/** Decay of a register by a retention numerator over `divisor`: truncation toward zero, so positive and negative
 * states decay alike. */
export function decayBy(v: number, numerator: number, divisor: number): number {
  return Math.trunc((v * numerator) / divisor);
}

/** LIF decay of a potential by the layer's retention (decayBy with the population's decay). */
export function decayPotential(v: number, p: NeuronParams): number {
  return Math.trunc((v * p.decay) / p.decayDivisor);
}

/**
 * One neuron's step in the general form (every model): the current register first (current-based kinds), then
 * the potential, the firing test and the reset. `input` is the neuron's scaled synaptic input this step; `u`
 * holds the current registers (updated in place). Returns the new potential, with `fired[0]` set when it fired.
 */
export function stepNeuron(p: NeuronParams, j: number, v: number, input: number, bias: number, u: Float64Array | null, fired: Uint8Array): number {
  let drive = input;
  if (p.currentBased) {
    let c = decayBy(u![j], p.currentDecays ? p.currentDecays[j] : p.currentDecay, p.decayDivisor) + input + (p.currentBias ? p.currentBias[j] : 0);
    if (c > p.hi) c = p.hi;
    else if (c < p.lo) c = p.lo;
    u![j] = c;
    drive = c;
  }
  let x = (p.leaky ? decayBy(v, p.decays ? p.decays[j] : p.decay, p.decayDivisor) : v) + drive + bias;
  if (x > p.hi) x = p.hi;
  else if (x < p.lo) x = p.lo;
  const theta = p.thresholds ? p.thresholds[j] : p.threshold;
  if (!p.readout && (p.fireStrict ? x > theta : x >= theta)) {
    fired[0] = 1;
    x = p.resetToZero ? (p.vResets ? p.vResets[j] : p.vReset) : x - theta;
    if (x < p.lo) x = p.lo;
  } else {
    fired[0] = 0;
  }
  return x;
}

/**
 * Folds one step's spikes of one population into a running 32-bit digest (FNV-1a style), so spike trains of
 * whole runs can be compared for bit-identity without keeping them.
 */
export function digestSpikes(h: number, step: number, population: number, spikes: Int32Array, count: number): number {
  h = Math.imul(h ^ (step + 0x9e37), 16777619);
  h = Math.imul(h ^ (population + 0x7f4a), 16777619);
  for (let k = 0; k < count; k++) h = Math.imul(h ^ spikes[k], 16777619);
  return h >>> 0;
}

/** Starting value of a spike digest. */
export const DIGEST_SEED = 0x811c9dc5;

/** The class of a sample: argmax of the readout potentials (first maximum wins). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
