import type { Population, Projection, QuantGraph } from '../../compiler/types.js';
import { loadTarget } from '../../targets/load.js';
import type { TargetSpec } from '../../targets/target.js';

/** A shipped target with some figures replaced (deep copy; `edit` mutates the copy). */
export function targetWith(name: string, edit: (t: TargetSpec) => void = () => {}): TargetSpec {
  const t = structuredClone(loadTarget(name));
  edit(t);
  return t;
}

export function ifPopulation(name: string, size: number, threshold: number, opts: Partial<Population> & { stateBits?: number; reset?: 'subtract' | 'zero' } = {}): Population {
  return {
    name, shape: [size], size,
    neuron: { model: 'IF', threshold, reset: opts.reset ?? 'subtract', stateBits: opts.stateBits ?? 24, vInit: 0 },
    bias: opts.bias ?? new Int32Array(0),
    readout: opts.readout ?? false,
    source: name,
    vInitPerNeuron: opts.vInitPerNeuron,
  };
}

/** A dense projection from weights given as rows [post][pre]. */
export function dense(from: string, to: string, rows: number[][], exponent = 0): Projection {
  const post = rows.length, pre = rows[0].length;
  return {
    name: `${from}->${to}`, from, to, preShape: [pre], postShape: [post], weightExponent: exponent, weightBits: 8,
    synapse: { kind: 'dense', weights: Int32Array.from(rows.flat()) },
  };
}

export function graphOf(target: TargetSpec, populations: Population[], projections: Projection[], inputSize: number, opts: Partial<QuantGraph> = {}): QuantGraph {
  return {
    name: 'hand-built', target, timesteps: 4, delay: target.timing.delay.value,
    input: { shape: [inputSize], encoding: 'direct', inputScale: 1 },
    populations, projections, quantError: {}, ...opts,
  };
}

/** Deterministic integer weights in [lo, hi] (a small LCG: tests must not depend on Math.random). */
export function intWeights(count: number, lo: number, hi: number, seed: number): Int32Array {
  const out = new Int32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s % (hi - lo + 1));
  }
  return out;
}

/** A dense projection from flat [post][pre] weights. */
export function denseFlat(from: string, to: string, preShape: number[], post: number, weights: Int32Array, exponent = 0): Projection {
  return {
    name: `${from}->${to}`, from, to, preShape, postShape: [post], weightExponent: exponent, weightBits: 8,
    synapse: { kind: 'dense', weights },
  };
}
