/**
 * Whether quantization left each layer a layer. A target with too few weight bits (a 1-bit signed weight
 * has no non-zero value at all), or an exponent range that cannot reach a layer's scale, rounds most of a
 * layer's weights to zero: the chip then computes at chance while every figure looks normal. A layer left
 * with no non-zero weight is refused; one that loses more than half of its non-zero weights gets a warning
 * (small weights of wide, folded layers may legitimately fall below the resolution: the shipped targets
 * lose up to 64 % of a folded pooling layer's weights on speck-like and still classify), naming the layer,
 * the fraction and the target's weight format.
 */
import { UserError } from '../src/util/errors.js';
import type { FloatNet, QuantGraph } from './types.js';

/**
 * Refuses a lowered network whose float weights or biases are not finite. A model may hold finite but
 * enormous weights (1e35): folding the conversion's thresholds into them overflows float32, and nothing
 * downstream can quantize an Infinity. The fault is the model's, named with the layer and its largest value.
 */
export function checkFiniteNet(net: FloatNet): void {
  const largest = (a: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) m = Math.max(m, Math.abs(a[i])); return m; };
  const finite = (a: ArrayLike<number>) => { for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false; return true; };
  for (const p of net.projections) {
    if (!finite(p.synapse.weights)) throw new QuantizationError(`layer '${p.name}': its weights overflow float32 once the conversion's thresholds are folded in (finite ones reach ${largest(p.synapse.weights).toExponential(2)}): the model's weights are out of any chip's range`);
  }
  for (const p of net.populations) {
    if (!finite(p.bias)) throw new QuantizationError(`layer '${p.source}': its biases overflow float32 once the conversion's thresholds are folded in: the model's weights are out of any chip's range`);
    const d = p.dynamics;
    for (const [what, a] of [['threshold', d.threshold], ['gain', d.gain], ['bias', d.bias], ['synaptic gain', d.syn?.gain]] as const) {
      if (a && !finite(a)) throw new QuantizationError(`layer '${p.source}': its ${what} overflows float32 once the conversion's thresholds are folded in (finite values reach ${largest(a).toExponential(2)}): the model's weights are out of any chip's range`);
    }
  }
}

/** Largest fraction of a layer's non-zero weights that may round to zero. */
export const MAX_ZEROED_FRACTION = 0.5;

export class QuantizationError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'QuantizationError';
  }
}

/** Per projection: non-zero float weights, and how many of them became a zero mantissa. */
export function zeroedWeights(net: FloatNet, q: QuantGraph): { name: string; nonZero: number; zeroed: number }[] {
  return net.projections.map((p, k) => {
    const w = p.synapse.weights;
    const m = q.projections[k].synapse.weights;
    let nonZero = 0, zeroed = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) continue;
      nonZero++;
      if (m[i] === 0) zeroed++;
    }
    return { name: p.name, nonZero, zeroed };
  });
}

/** Refuses a quantized network that lost a whole layer, warns about one that lost most of it (see the module comment). */
export function checkQuantizedLayers(net: FloatNet, q: QuantGraph, warn: (m: string) => void): void {
  const p = q.target.precision;
  const format = `${q.target.name}'s ${p.weightBits.value}-bit ${p.weightSigned.value ? 'signed' : 'unsigned'} weights (${p.weightScale.value})`;
  for (const z of zeroedWeights(net, q)) {
    if (z.nonZero === 0 || z.zeroed <= MAX_ZEROED_FRACTION * z.nonZero) continue;
    const lost = `${z.zeroed} of its ${z.nonZero} non-zero weights (${((100 * z.zeroed) / z.nonZero).toFixed(1)} %) round to 0 in ${format}`;
    if (z.zeroed === z.nonZero) throw new QuantizationError(`layer '${z.name}': ${lost}: the chip would not compute this layer; use a target with more weight bits`);
    warn(`layer '${z.name}': ${lost}; expect an accuracy loss (snnc verify measures it)`);
  }
}
