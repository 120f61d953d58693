/**
 * Neuron parameters and the discrete dynamics every stage shares. A neuron kind's registry entry (kinds/neuron.ts)
 * turns its parameters into `NeuronDynamics`: per-neuron coefficients of one forward-Euler step (nodes.ts, "Time").
 * The float executor runs them as they are; the compiler quantizes them to a target's registers. Keeping the
 * definition (the node) apart from its discretisation and from each target's implementation is Lava's pattern.
 */
import { GraphError, shapeSize, type FireMode, type Param, type ResetMode, type Tensor } from './nodes.js';

/** One step of a population of neurons, per neuron j:
 *   x       the summed synaptic input at this step
 *   I_j  ←  synKeep_j · I_j + synGain_j · x        (current-based kinds only; `syn` is null otherwise, and I = x)
 *   v_j  ←  keep_j · v_j + gain_j · I_j + bias_j
 *   spiking kinds: s_j = v_j ≥ θ_j ('ge') or v_j > θ_j ('gt'); on a spike v_j ← v_j − θ_j ('subtract') or v_reset_j
 *   integrators (LI, CubaLI, I): output v_j. */
export interface NeuronDynamics {
  size: number;
  syn: { keep: Float64Array; gain: Float64Array } | null;
  keep: Float64Array;
  gain: Float64Array;
  bias: Float64Array;
  /** null for integrators, which never spike and output their potential. */
  threshold: Float64Array | null;
  reset: ResetMode;
  vReset: Float64Array;
  fire: FireMode;
  vInit: Float64Array;
}

/** The largest step delay a Delay node may hold (a ring buffer of that many frames per neuron). */
export const MAX_DELAY_STEPS = 10_000;

/** The values of a parameter for `size` neurons: a number or one-value tensor broadcast, or exactly `size` values. */
export function paramValues(node: string, what: string, p: Param | undefined, size: number, fallback?: number): Float64Array {
  const out = new Float64Array(size);
  if (p === undefined) {
    if (fallback === undefined) throw new GraphError(`missing ${what}`, node);
    return out.fill(fallback);
  }
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) throw new GraphError(`${what} must be finite, got ${p}`, node);
    return out.fill(p);
  }
  const t = p as Tensor;
  if (!t || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) throw new GraphError(`${what} must be a number or a tensor`, node);
  if (t.data.length !== shapeSize(t.shape)) throw new GraphError(`${what} holds ${t.data.length} values for shape [${t.shape}]`, node);
  if (t.data.length !== 1 && t.data.length !== size) throw new GraphError(`${what} has ${t.data.length} values, the layer has ${size} neurons (give one value or one per neuron)`, node);
  for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) throw new GraphError(`${what} holds a non-finite value at index ${i}`, node);
  if (t.data.length === 1) return out.fill(t.data[0]);
  out.set(t.data);
  return out;
}

/** Checks a parameter's values against a condition (e.g. time constants > 0), naming the first that fails. */
export function checkValues(node: string, what: string, values: Float64Array, ok: (v: number) => boolean, rule: string): void {
  for (let i = 0; i < values.length; i++) if (!ok(values[i])) throw new GraphError(`${what} must be ${rule}, got ${values[i]}${values.length > 1 ? ` at neuron ${i}` : ''}`, node);
}

/** α = 1 − dt/τ per neuron, refusing a τ the step cannot resolve (dt > τ makes forward Euler overshoot). */
export function retention(node: string, what: string, tau: Float64Array, dt: number | undefined): Float64Array {
  if (dt === undefined) throw new GraphError(`${what} is a time constant: the graph needs a time step dt (--dt, or the model's own)`, node);
  checkValues(node, what, tau, (v) => v > 0, 'positive');
  const keep = new Float64Array(tau.length);
  for (let i = 0; i < tau.length; i++) {
    if (dt > tau[i]) throw new GraphError(`${what} ${tau[i]} is shorter than the time step dt = ${dt}: forward Euler would overshoot; use a smaller --dt`, node);
    keep[i] = 1 - dt / tau[i];
  }
  return keep;
}

/** True when every value of the array is the same (a layer-wide parameter). */
export function uniform(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}
