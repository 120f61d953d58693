/**
 * The integer neuron arithmetic shared by the chip simulator and the software fixed-point reference. It is
 * the contract the quantizer (compiler) must target; everything is exact integer arithmetic held in
 * float64 (exact below 2^53, far beyond any state width a target declares).
 *
 * One step of a population, per neuron j:
 *   I_j   = Σ over incoming projections p of  scale(acc_p[j], e_p)        (acc_p = Σ mantissa · event)
 *           where scale(a, e) = a · 2^e for e ≥ 0 and floor(a / 2^−e) for e < 0 (an arithmetic shift of the
 *           projection's accumulated sum, as a dendritic accumulator with a per-projection exponent does)
 *   v_j   ← decay(v_j) + I_j + bias_j, saturated to the signed state width
 *           decay(v) = v for IF; for LIF trunc(v · decay / 2^decayBits) (toward zero, symmetric in sign)
 *   spike when v_j ≥ θ ('ge', snnc) or v_j > θ ('gt', SANA-FE); on a spike v_j ← v_j − θ or 0
 *   the readout population never spikes; its final v is the class score.
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

/** Everything the inner neuron loop needs, resolved once per population. */
export interface NeuronParams {
  threshold: number;
  resetToZero: boolean;
  fireStrict: boolean;
  leaky: boolean;
  decay: number;
  decayDivisor: number;
  lo: number;
  hi: number;
  readout: boolean;
}

export function neuronParams(pop: Population, target: TargetSpec): NeuronParams {
  const n = pop.neuron;
  const [lo, hi] = stateRange(n.stateBits);
  const decayBits = target.precision.decayBits?.value ?? 12;
  return {
    threshold: n.threshold,
    resetToZero: n.reset === 'zero',
    fireStrict: target.precision.fireCondition.value === 'gt',
    leaky: n.model === 'LIF',
    decay: n.decay ?? 2 ** decayBits,
    decayDivisor: 2 ** decayBits,
    lo,
    hi,
    readout: pop.readout,
  };
}

/** The initial membrane potentials of a population. */
export function initialPotentials(pop: Population): Float64Array {
  const v = new Float64Array(pop.size);
  if (pop.vInitPerNeuron) v.set(pop.vInitPerNeuron);
  else v.fill(pop.neuron.vInit);
  return v;
}

/** LIF decay of a potential: truncation toward zero so that positive and negative states decay alike. */
export function decayPotential(v: number, p: NeuronParams): number {
  return Math.trunc((v * p.decay) / p.decayDivisor);
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
