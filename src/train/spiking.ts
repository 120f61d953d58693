import { tf } from './backend.js';
import { UserError } from '../util/errors.js';

/** Surrogate derivative used in place of the Heaviside step's (zero almost everywhere) derivative. */
export type SurrogateKind = 'arctan' | 'sigmoid' | 'triangle';
export const SURROGATES: readonly SurrogateKind[] = ['arctan', 'sigmoid', 'triangle'];

/** Spiking neuron settings shared by every neuron layer of a student. */
export interface NeuronOptions {
  model: 'IF' | 'LIF';
  threshold: number;
  reset: 'subtract' | 'zero';
  /** LIF only: v ← (1 − leak)·v + I. */
  leak: number;
  surrogate: SurrogateKind;
  /** Sharpness α of the surrogate (larger: closer to the step). */
  alpha: number;
}

export const DEFAULT_NEURON: NeuronOptions = { model: 'IF', threshold: 1, reset: 'subtract', leak: 0, surrogate: 'arctan', alpha: 2 };

/**
 * The surrogate's derivative σ'(x) at x = v − θ, each integrating to 1 over the real line:
 * arctan σ = ½ + atan(π/2·α·x)/π (SpikingJelly's ATan); sigmoid σ = 1/(1 + e^(−α·x));
 * triangle σ' = α·max(0, 1 − α·|x|).
 */
export function surrogateDerivative(kind: SurrogateKind, alpha: number): (x: number) => number {
  switch (kind) {
    case 'arctan': {
      const k = (Math.PI / 2) * alpha;
      return (x) => (alpha / 2) / (1 + (k * x) * (k * x));
    }
    case 'sigmoid':
      return (x) => {
        const s = 1 / (1 + Math.exp(-alpha * x));
        return alpha * s * (1 - s);
      };
    case 'triangle':
      return (x) => Math.max(0, alpha * (1 - alpha * Math.abs(x)));
    default:
      throw new UserError(`unknown surrogate '${String(kind)}' (choose ${SURROGATES.join(', ')})`);
  }
}

/** The surrogate σ itself (for finite-difference checks and documentation). */
export function surrogateFunction(kind: SurrogateKind, alpha: number): (x: number) => number {
  switch (kind) {
    case 'arctan': return (x) => 0.5 + Math.atan((Math.PI / 2) * alpha * x) / Math.PI;
    case 'sigmoid': return (x) => 1 / (1 + Math.exp(-alpha * x));
    case 'triangle': return (x) => {
      const a = alpha * x;
      if (a <= -1) return 0;
      if (a >= 1) return 1;
      return a < 0 ? 0.5 * (1 + a) * (1 + a) : 1 - 0.5 * (1 - a) * (1 - a);
    };
    default:
      throw new UserError(`unknown surrogate '${String(kind)}'`);
  }
}

const poolMaps = new Map<string, Int32Array>();

/**
 * For each element of one step's `[B, H, W, C]` map, the index of its `size`×`size` pooling window's output.
 * Memoised per shape: every batch of a run has the same shapes, and building the map costs as much as a pass.
 */
function poolIndexMap(shape: number[], size: number): Int32Array {
  const key = `${shape.join('x')}/${size}`;
  let map = poolMaps.get(key);
  if (!map) {
    if (poolMaps.size > 16) poolMaps.clear();
    map = buildPoolIndexMap(shape, size);
    poolMaps.set(key, map);
  }
  return map;
}

function buildPoolIndexMap(shape: number[], size: number): Int32Array {
  const [b, h, w, c] = shape;
  const ho = h / size, wo = w / size;
  const map = new Int32Array(b * h * w * c);
  let k = 0;
  for (let n = 0; n < b; n++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const base = ((n * ho + Math.floor(y / size)) * wo + Math.floor(x / size)) * c;
    for (let ch = 0; ch < c; ch++) map[k++] = base + ch;
  }
  return map;
}

/**
 * Runs an IF/LIF layer over all T steps in one op. `current` holds the synaptic current of every step with
 * time folded into the batch dimension, step-major: `[T·B, …]` (so the synaptic layers before it ran once
 * over all steps). Forward: v ← decay·v + I[t]; s = (v ≥ θ); reset by subtraction or to zero — the same
 * semantics as the IR's IF/LIF nodes. Backward: back-propagation through time with the surrogate
 * derivative for ds/dv and the reset treated as a constant (SpikingJelly's `detach_reset`), which keeps
 * the gradient of the subtract reset from cancelling the surrogate.
 *
 * The recurrence runs as one tight JavaScript loop over the tensor's data instead of ~10 small tfjs ops
 * per step (each a round trip into wasm with its own allocation). `repeated`: the current is the same at
 * every step (`[B, …]`, direct encoding before the first neuron) and is read T times instead of tiled.
 * `pool`: the spikes go straight into a non-overlapping `pool`×`pool` average pooling, fused here so the
 * full-resolution spike map is never materialised and the pooling gradient costs nothing extra.
 */
export function spikingNeuron(current: tf.Tensor, timesteps: number, opts: NeuronOptions, repeated = false, pool = 1): tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const input = x.dataSync() as Float32Array;
    const perStep = repeated ? input.length : input.length / timesteps;
    if (!Number.isInteger(perStep)) throw new Error(`spikingNeuron: ${input.length} values do not split into ${timesteps} steps`);
    const stride = repeated ? 0 : perStep;
    const stepShape = repeated ? x.shape : [x.shape[0] / timesteps, ...x.shape.slice(1)];
    let outShape = [stepShape[0] * timesteps, ...stepShape.slice(1)];
    let poolMap: Int32Array | undefined;
    let outPerStep = perStep;
    if (pool > 1) {
      if (stepShape.length !== 4 || stepShape[1] % pool || stepShape[2] % pool) throw new Error(`spikingNeuron: cannot pool [${stepShape}] by ${pool}`);
      poolMap = poolIndexMap(stepShape, pool);
      outShape = [outShape[0], stepShape[1] / pool, stepShape[2] / pool, stepShape[3]];
      outPerStep = perStep / (pool * pool);
    }
    const invArea = 1 / (pool * pool);
    // tf.tensor copies `out` into the backend, so the scratch array goes back at once; vPre (and the spikes
    // of a reset to zero) live until the backward pass has read them.
    const out = takeScratch(outPerStep * timesteps);
    out.fill(0);
    const subtract = opts.reset === 'subtract';
    const spiked = new Uint8Array(subtract ? 0 : perStep * timesteps);
    // Potential before the reset at each step: the backward pass evaluates the surrogate there.
    const vPre = takeScratch(perStep * timesteps);
    const decay = opts.model === 'LIF' ? 1 - opts.leak : 1;
    const theta = opts.threshold;
    neuronForward(input, stride, perStep, timesteps, decay, theta, subtract, poolMap, invArea, outPerStep, out, spiked, vPre);
    save([]);
    const value = tf.tensor(out, outShape, 'float32');
    giveScratch(out);
    const gradFunc = (dy: tf.Tensor) => {
      const g = dy.dataSync() as Float32Array;
      // Every element is written (no accumulation), so a reused array needs no clearing.
      const gradIn = takeScratch(input.length);
      const kind = opts.surrogate === 'arctan' ? 0 : opts.surrogate === 'sigmoid' ? 1 : opts.surrogate === 'triangle' ? 2 : -1;
      if (kind < 0) surrogateDerivative(opts.surrogate, opts.alpha); // throws the user-facing message
      neuronBackward(g, gradIn, stride, perStep, timesteps, decay, theta, subtract, poolMap, invArea, outPerStep, spiked, vPre, kind, opts.alpha);
      giveScratch(vPre);
      const grad = tf.tensor(gradIn, x.shape, 'float32');
      giveScratch(gradIn);
      return grad;
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(current);
}

// The loops live in top-level functions (not in the per-call closures above) so V8 optimises them once and
// keeps the optimised code across calls, with monomorphic typed-array accesses.
//
// Time is the inner loop: each neuron's potential (forward) and its gradient through time (backward) stay in a
// register across the T steps instead of going through a full-size array at every step, which halves these
// loops' time. The float32 semantics are kept: the potential carried to the next step is rounded to float32
// (Math.fround) as the Float32Array it used to live in did, and vPre is stored as float32. (Replaying the
// forward recurrence in the backward pass instead of storing vPre was tried: slower, these loops are not bound
// by memory traffic alone.)
/**
 * Reusable scratch arrays by length: fresh multi-megabyte arrays cost a page fault per 4 KiB on first touch.
 * Only under the wasm backend, whose tf.tensor copies the values into its heap (tfjs-node and cpu keep a
 * reference to the array they are given, so it must not be reused there).
 */
const scratch = new Map<number, Float32Array[]>();
function takeScratch(length: number): Float32Array {
  return scratch.get(length)?.pop() ?? new Float32Array(length);
}
function giveScratch(a: Float32Array): void {
  if (tf.getBackend() !== 'wasm') return;
  const list = scratch.get(a.length) ?? [];
  if (list.length < 4) list.push(a);
  if (scratch.size > 32) scratch.clear();
  scratch.set(a.length, list);
}

function neuronForward(
  input: Float32Array, stride: number, perStep: number, timesteps: number, decay: number, theta: number,
  subtract: boolean, poolMap: Int32Array | undefined, invArea: number, outPerStep: number,
  out: Float32Array, spiked: Uint8Array, vPre: Float32Array,
): void {
  const map = poolMap ?? new Int32Array(0);
  const pooled = poolMap !== undefined;
  // The backward pass needs the spikes only to cut the gradient at a reset to zero.
  const keepSpikes = !subtract;
  for (let i = 0; i < perStep; i++) {
    const o = pooled ? map[i] : i;
    let v = 0;
    for (let t = 0, k = i, ki = i, ko = o; t < timesteps; t++, k += perStep, ki += stride, ko += outPerStep) {
      const vi = decay * v + input[ki];
      // Branch-free spike test ((v ≥ θ) | 0): spike patterns are irregular and mispredicted branches are costly.
      const s = (vi >= theta as unknown as number) | 0;
      vPre[k] = vi;
      if (keepSpikes) spiked[k] = s;
      out[ko] += s * invArea;
      v = Math.fround(subtract ? vi - theta * s : vi * (1 - s));
    }
  }
}

function neuronBackward(
  g: Float32Array, gradIn: Float32Array, stride: number, perStep: number, timesteps: number, decay: number,
  theta: number, subtract: boolean, poolMap: Int32Array | undefined, invArea: number, outPerStep: number,
  spiked: Uint8Array, vPre: Float32Array, kind: number, alpha: number,
): void {
  const map = poolMap ?? new Int32Array(0);
  const pooled = poolMap !== undefined;
  const k0sq = ((Math.PI / 2) * alpha) ** 2;
  const half = alpha / 2;
  const scale = pooled ? invArea : 1;
  const last = timesteps - 1;
  // gu: dL/du at the next step, u the potential after the reset; `sum`: the gradient of a current that is the
  // same at every step (stride 0) gathers over the steps and is written once.
  for (let i = 0; i < perStep; i++) {
    const o = pooled ? map[i] : i;
    let gu = 0, sum = 0;
    for (let t = last, k = last * perStep + i, ki = last * stride + i, ko = last * outPerStep + o; t >= 0; t--, k -= perStep, ki -= stride, ko -= outPerStep) {
      const xv = vPre[k] - theta;
      let d: number;
      if (kind === 0) d = half / (1 + k0sq * xv * xv);
      else if (kind === 1) { const sg = 1 / (1 + Math.exp(-alpha * xv)); d = alpha * sg * (1 - sg); }
      else { const a = 1 - alpha * Math.abs(xv); d = a > 0 ? alpha * a : 0; }
      // A reset to zero cuts the path through the potential (detach_reset); subtraction keeps it.
      const gv = g[ko] * scale * d + (subtract || spiked[k] === 0 ? gu : 0);
      if (stride === 0) sum += gv;
      else gradIn[ki] = gv;
      gu = gv * decay;
    }
    if (stride === 0) gradIn[i] = sum;
  }
}
