/**
 * The neuron kinds (NIR's IF, LIF, CubaLIF, LI, CubaLI, I, Threshold, plus snnc's dt-free LIF form) and Delay.
 * Each entry turns its parameters into the shared discrete dynamics (../dynamics.ts), which the float executor
 * runs and the compiler quantizes; the equations are in the node types' TSDoc (../nodes.ts).
 */
import {
  GraphError, shapeSize, type CubaLIFNode, type CubaLINode, type DelayNode, type IFNode, type INode,
  type LIFNode, type LINode, type NodeShapes, type Param, type SpikingFields, type ThresholdNode,
} from '../nodes.js';
import type { Kernel, KindSpec, OnnxEmitter } from '../kind.js';
import { checkValues, MAX_DELAY_STEPS, paramValues, retention, uniform, type NeuronDynamics } from '../dynamics.js';
import { SNNC_DOMAIN } from '../../onnx/domain.js';
import type { AttrValue } from '../../onnx/builder.js';

type NeuronNode = IFNode | LIFNode | CubaLIFNode | LINode | CubaLINode | INode | ThresholdNode;

/** The threshold, reset and initial state of a spiking kind. */
function spikingPart(name: string, node: SpikingFields, size: number): Pick<NeuronDynamics, 'threshold' | 'reset' | 'vReset' | 'fire' | 'vInit'> {
  const threshold = paramValues(name, 'threshold', node.threshold, size);
  checkValues(name, 'threshold', threshold, (v) => v > 0, 'a positive finite number');
  if (node.reset !== 'subtract' && node.reset !== 'zero') throw new GraphError(`reset must be 'subtract' or 'zero', got '${node.reset}'`, name);
  const fire = node.fire ?? 'ge';
  if (fire !== 'ge' && fire !== 'gt') throw new GraphError(`fire must be 'ge' or 'gt', got '${fire}'`, name);
  return {
    threshold, reset: node.reset, fire,
    vReset: paramValues(name, 'v_reset', node.vReset, size, 0),
    vInit: paramValues(name, 'v_init', node.vInit, size, 0),
  };
}

const ones = (size: number) => new Float64Array(size).fill(1);

/** Leaky membrane by forward Euler: α = 1 − dt/τ, input gain (dt/τ)·r, bias (dt/τ)·v_leak. */
function leakyMembrane(name: string, tau: Param, r: Param | undefined, vLeak: Param | undefined, size: number, dt: number | undefined, what = 'tau'): Pick<NeuronDynamics, 'keep' | 'gain' | 'bias'> {
  const keep = retention(name, what, paramValues(name, what, tau, size), dt);
  const rv = paramValues(name, 'r', r, size, 1);
  const leak = paramValues(name, 'v_leak', vLeak, size, 0);
  const gain = new Float64Array(size);
  const bias = new Float64Array(size);
  for (let i = 0; i < size; i++) { const k = 1 - keep[i]; gain[i] = k * rv[i]; bias[i] = k * leak[i]; }
  return { keep, gain, bias };
}

/** The current stage of current-based kinds: β = 1 − dt/τ_syn, input gain (dt/τ_syn)·w_in. */
function synapticCurrent(name: string, tauSyn: Param, wIn: Param | undefined, size: number, dt: number | undefined): NonNullable<NeuronDynamics['syn']> {
  const keep = retention(name, 'tau_syn', paramValues(name, 'tau_syn', tauSyn, size), dt);
  const w = paramValues(name, 'w_in', wIn, size, 1);
  const gain = new Float64Array(size);
  for (let i = 0; i < size; i++) gain[i] = (1 - keep[i]) * w[i];
  return { keep, gain };
}

const integrator = (name: string, vInit: Param | undefined, size: number): Pick<NeuronDynamics, 'threshold' | 'reset' | 'vReset' | 'fire' | 'vInit'> => ({
  threshold: null, reset: 'zero', vReset: new Float64Array(size), fire: 'ge', vInit: paramValues(name, 'v_init', vInit, size, 0),
});

/** The discrete dynamics of a neuron node of `size` neurons (throws GraphError naming the node and parameter). */
export function neuronDynamics(name: string, node: NeuronNode, size: number, dt?: number): NeuronDynamics {
  switch (node.kind) {
    case 'IF':
      return { size, syn: null, keep: ones(size), gain: paramValues(name, 'r', node.r, size, 1), bias: new Float64Array(size), ...spikingPart(name, node, size) };
    case 'LIF': {
      const nir = node.tau !== undefined;
      if (nir === (node.leak !== undefined)) throw new GraphError('LIF needs either leak (snnc\'s dt-free form) or tau (NIR\'s), not both or neither', name);
      if (!nir) {
        const leak = node.leak!;
        if (!(leak >= 0 && leak < 1)) throw new GraphError(`leak must be in [0, 1), got ${leak}`, name);
        return { size, syn: null, keep: new Float64Array(size).fill(1 - leak), gain: ones(size), bias: new Float64Array(size), ...spikingPart(name, node, size) };
      }
      return { size, syn: null, ...leakyMembrane(name, node.tau!, node.r, node.vLeak, size, dt), ...spikingPart(name, node, size) };
    }
    case 'CubaLIF':
      return { size, syn: synapticCurrent(name, node.tauSyn, node.wIn, size, dt), ...leakyMembrane(name, node.tauMem, node.r, node.vLeak, size, dt, 'tau_mem'), ...spikingPart(name, node, size) };
    case 'LI':
      return { size, syn: null, ...leakyMembrane(name, node.tau, node.r, node.vLeak, size, dt), ...integrator(name, node.vInit, size) };
    case 'CubaLI':
      return { size, syn: synapticCurrent(name, node.tauSyn, node.wIn, size, dt), ...leakyMembrane(name, node.tauMem, node.r, node.vLeak, size, dt, 'tau_mem'), ...integrator(name, node.vInit, size) };
    case 'I':
      return { size, syn: null, keep: ones(size), gain: paramValues(name, 'r', node.r, size, 1), bias: new Float64Array(size), ...integrator(name, node.vInit, size) };
    case 'Threshold': {
      // No state: the potential is the input of the step alone (α = 0), reset to 0.
      const threshold = paramValues(name, 'threshold', node.threshold, size);
      checkValues(name, 'threshold', threshold, (v) => v > 0, 'a positive finite number');
      const fire = node.fire ?? 'ge';
      if (fire !== 'ge' && fire !== 'gt') throw new GraphError(`fire must be 'ge' or 'gt', got '${fire}'`, name);
      return { size, syn: null, keep: new Float64Array(size), gain: ones(size), bias: new Float64Array(size), threshold, reset: 'zero', vReset: new Float64Array(size), fire, vInit: new Float64Array(size) };
    }
  }
}

/**
 * The executor's form: a general loop over per-neuron coefficients, and the layer-wide case of snnc's IF/LIF
 * (one threshold, unit gain, no bias or current) in a loop of its own, the hot path of calibration at T = 64.
 * State is float32 as it always was (the trainer's precision); each update is computed in float64 and stored.
 */
function neuronKernel(d: NeuronDynamics, capacity: number): Kernel {
  const size = d.size;
  const v = new Float32Array(capacity * size);
  const current = d.syn ? new Float32Array(capacity * size) : null;
  const v0 = d.vInit;
  const reset = (n: number) => {
    for (let b = 0; b < n; b++) v.set(v0, b * size);
    current?.fill(0, 0, n * size);
  };
  const subtract = d.reset === 'subtract';
  const strict = d.fire === 'gt';
  const simple = !d.syn && d.threshold !== null && uniform(d.threshold) && uniform(d.keep) && d.gain.every((g) => g === 1) && d.bias.every((b) => b === 0) && uniform(d.vReset) && !strict;
  if (simple) {
    const theta = d.threshold![0];
    const keep = d.keep[0];
    const vReset = d.vReset[0];
    return {
      reset,
      run(input, out, n) {
        for (let i = 0, len = n * size; i < len; i++) {
          let u = keep * v[i] + input[i];
          if (u >= theta) {
            out[i] = 1;
            u = subtract ? u - theta : vReset;
          } else {
            out[i] = 0;
          }
          v[i] = u;
        }
      },
    };
  }
  const { keep, gain, bias, threshold, vReset } = d;
  const synKeep = d.syn?.keep, synGain = d.syn?.gain;
  return {
    reset,
    run(input, out, n) {
      for (let b = 0; b < n; b++) {
        const base = b * size;
        for (let j = 0; j < size; j++) {
          const i = base + j;
          let x = input[i];
          if (current) { x = synKeep![j] * current[i] + synGain![j] * x; current[i] = x; }
          let u = keep[j] * v[i] + gain[j] * x + bias[j];
          if (threshold) {
            const t = threshold[j];
            if (strict ? u > t : u >= t) {
              out[i] = 1;
              u = subtract ? u - t : vReset[j];
            } else {
              out[i] = 0;
            }
          } else {
            out[i] = u;
          }
          v[i] = u;
        }
      }
    },
  };
}

/** The fields of neuron and Delay nodes in the order their ONNX attributes (snnc domain) are written, with their names. */
const ATTRIBUTES: [field: string, attribute: string][] = [
  ['threshold', 'threshold'], ['reset', 'reset'], ['leak', 'leak'], ['vInit', 'v_init'], ['vReset', 'v_reset'], ['fire', 'fire'],
  ['r', 'r'], ['tau', 'tau'], ['vLeak', 'v_leak'], ['tauSyn', 'tau_syn'], ['tauMem', 'tau_mem'], ['wIn', 'w_in'], ['delay', 'delay'],
];

/** Writes a neuron as an `snnc`-domain node: strings and numbers as attributes of their own, per-neuron tensors as
 * floats `<name>_values` (snnc's IF/LIF students keep exactly the attributes they always had). */
function toSnnc(e: OnnxEmitter, node: NeuronNode | DelayNode, x: string): string {
  const attrs: Record<string, AttrValue> = {};
  const fields = node as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'kind' && fields[key] !== undefined && !ATTRIBUTES.some(([f]) => f === key)) throw new Error(`internal: no ONNX attribute for ${node.kind}.${key}`);
  }
  for (const [field, name] of ATTRIBUTES) {
    const value = fields[field];
    if (value === undefined) continue;
    if (typeof value === 'string') attrs[name] = e.attr.string(value);
    else if (typeof value === 'number') attrs[name] = e.attr.float(value);
    else attrs[`${name}_values`] = e.attr.floats(Array.from((value as { data: Float32Array }).data));
  }
  return e.node(node.kind, [x], attrs, { domain: SNNC_DOMAIN });
}

/** The ONNX attribute name of a neuron field (the importer reads them back). */
export const NEURON_ATTRIBUTES: ReadonlyMap<string, string> = new Map(ATTRIBUTES);

/** Tensor-valued fields a node may carry (IR JSON stores them as tensors, numbers stay numbers). */
const PARAM_TENSORS = ['threshold', 'vReset', 'vInit', 'r', 'tau', 'vLeak', 'tauSyn', 'tauMem', 'wIn', 'delay'];

function neuronSpec<N extends NeuronNode>(fields: readonly (keyof N & string)[], stateful: boolean, usesDt: (node: N) => boolean): KindSpec<N> {
  return {
    role: 'neuron',
    stateful,
    tensors: PARAM_TENSORS,
    fields,
    inferShape(name, node, input) {
      // Parameters that need no dt are checked here; the time constants once the graph's dt is known (buildGraph).
      if (!usesDt(node)) neuronDynamics(name, node, shapeSize(input));
      return [...input];
    },
    parameters: () => 0,
    macs: () => 0,
    usesDt,
    dynamics: (name, node, size, dt) => neuronDynamics(name, node, size, dt),
    kernel: (name, node, shapes: NodeShapes, capacity, dt) => neuronKernel(neuronDynamics(name, node, shapeSize(shapes.output), dt), capacity),
    toOnnx: (e, node, x) => toSnnc(e, node, x),
  };
}

const never = () => false;
const always = () => true;

const SPIKING = ['threshold', 'reset', 'vReset', 'fire', 'vInit'] as const;
export const IF = neuronSpec<IFNode>([...SPIKING, 'r'], true, never);
export const LIF = neuronSpec<LIFNode>([...SPIKING, 'leak', 'tau', 'r', 'vLeak'], true, (node) => node.tau !== undefined);
export const CubaLIF = neuronSpec<CubaLIFNode>([...SPIKING, 'tauSyn', 'tauMem', 'r', 'vLeak', 'wIn'], true, always);
export const LI = neuronSpec<LINode>(['tau', 'r', 'vLeak', 'vInit'], true, always);
export const CubaLI = neuronSpec<CubaLINode>(['tauSyn', 'tauMem', 'r', 'vLeak', 'wIn', 'vInit'], true, always);
export const I = neuronSpec<INode>(['r', 'vInit'], true, never);
/** Threshold has no state: a cycle through it alone is refused. */
export const Threshold = neuronSpec<ThresholdNode>(['threshold', 'fire'], false, never);

/** Integer per-neuron delays of a Delay node. */
export function delaySteps(name: string, node: DelayNode, size: number): Int32Array {
  const values = paramValues(name, 'delay', node.delay, size);
  checkValues(name, 'delay', values, (v) => Number.isInteger(v) && v >= 0 && v <= MAX_DELAY_STEPS, `an integer number of steps from 0 to ${MAX_DELAY_STEPS}`);
  return Int32Array.from(values);
}

/** y[t] = x[t − d] per neuron: a ring of the last max(d) + 1 inputs per sample. */
export const Delay: KindSpec<DelayNode> = {
  role: 'delay',
  stateful: true,
  tensors: ['delay'],
  fields: ['delay'],
  inferShape(name, node, input) {
    delaySteps(name, node, shapeSize(input));
    return [...input];
  },
  parameters: () => 0,
  macs: () => 0,
  kernel(name, node, shapes, capacity) {
    const size = shapeSize(shapes.output);
    const d = delaySteps(name, node, size);
    const depth = Math.max(0, ...d) + 1;
    const ring = new Float32Array(depth * capacity * size);
    let t = 0;
    return {
      reset: (n) => { ring.fill(0, 0, depth * capacity * size); t = 0; void n; },
      run(input, out, n) {
        const slot = t % depth;
        ring.set(input.subarray(0, n * size), slot * capacity * size);
        for (let b = 0; b < n; b++) {
          for (let j = 0; j < size; j++) {
            const from = ((t - d[j]) % depth + depth) % depth;
            out[b * size + j] = t - d[j] < 0 ? 0 : ring[from * capacity * size + b * size + j];
          }
        }
        t++;
      },
    };
  },
  toOnnx: (e, node, x) => toSnnc(e, node, x),
};

export type { NeuronNode };
