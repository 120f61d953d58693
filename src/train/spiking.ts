import { tf } from './backend.js';
import { UserError } from '../util/errors.js';
import { neuronBackwardKernel, neuronForwardKernel, type NeuronGeometry, type NeuronParams } from './neuron-kernel.js';

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

/**
 * Runs an IF/LIF layer over all T steps in one op. `current` holds the synaptic current of every step with
 * time folded into the batch dimension, step-major: `[T·B, …]` (so the synaptic layers before it ran once
 * over all steps). Forward: v ← decay·v + I[t]; s = (v ≥ θ); reset by subtraction or to zero — the same
 * semantics as the IR's IF/LIF nodes. Backward: back-propagation through time with the surrogate
 * derivative for ds/dv and the reset treated as a constant (SpikingJelly's `detach_reset`), which keeps
 * the gradient of the subtract reset from cancelling the surrogate.
 *
 * The recurrence runs as one fused WebAssembly kernel over the tensor's data (src/train/neuron-kernel.ts)
 * instead of ~10 small tfjs ops per step (each a round trip into the backend with its own allocation). `repeated`: the current is the same at
 * every step (`[B, …]`, direct encoding before the first neuron) and is read T times instead of tiled.
 * `pool`: the spikes go straight into a non-overlapping `pool`×`pool` average pooling, fused here so the
 * full-resolution spike map is never materialised and the pooling gradient costs nothing extra.
 */
/** Milliseconds spent in the neuron layers' forward and backward passes (kernel and copies), for `npm run bench:train -- --profile`. */
export const neuronClock = { forwardMs: 0, backwardMs: 0 };

export function spikingNeuron(current: tf.Tensor, timesteps: number, opts: NeuronOptions, repeated = false, pool = 1): tf.Tensor {
  const kind = SURROGATES.indexOf(opts.surrogate);
  if (kind < 0) surrogateDerivative(opts.surrogate, opts.alpha); // throws the user-facing message
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const size = x.size;
    const perStep = repeated ? size : size / timesteps;
    if (!Number.isInteger(perStep)) throw new Error(`spikingNeuron: ${size} values do not split into ${timesteps} steps`);
    const stepShape = repeated ? x.shape : [x.shape[0] / timesteps, ...x.shape.slice(1)];
    let outShape = [stepShape[0] * timesteps, ...stepShape.slice(1)];
    let geometry: NeuronGeometry = { n: stepShape[0], h: 1, w: 1, c: perStep / stepShape[0], pool: 1, timesteps, perStep, outPerStep: perStep };
    if (pool > 1) {
      if (stepShape.length !== 4 || stepShape[1] % pool || stepShape[2] % pool) throw new Error(`spikingNeuron: cannot pool [${stepShape}] by ${pool}`);
      const [n, h, w, c] = stepShape;
      geometry = { n, h, w, c, pool, timesteps, perStep, outPerStep: perStep / (pool * pool) };
      outShape = [outShape[0], h / pool, w / pool, c];
    }
    const params: NeuronParams = { decay: opts.model === 'LIF' ? 1 - opts.leak : 1, theta: opts.threshold, subtract: opts.reset === 'subtract' };
    const t0 = performance.now();
    const out = neuronForwardKernel(valuesOf(x), repeated, geometry, params);
    // The backward pass replays the recurrence from the input current instead of keeping every step's potential.
    save([x]);
    const value = tf.tensor(copyUnlessWasm(out), outShape, 'float32');
    neuronClock.forwardMs += performance.now() - t0;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const t1 = performance.now();
      const grad = neuronBackwardKernel(valuesOf(saved[0]), repeated, valuesOf(dy), geometry, params, kind as 0 | 1 | 2, opts.alpha);
      const g = tf.tensor(copyUnlessWasm(grad), x.shape, 'float32');
      neuronClock.backwardMs += performance.now() - t1;
      return g;
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(current);
}

interface WasmBackendHeap { typedArrayFromHeap(t: tf.Tensor): Float32Array }

/**
 * A tensor's float32 values: under the wasm backend a view of its heap (no copy; read before the next tfjs call),
 * else `dataSync()`.
 */
function valuesOf(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as Partial<WasmBackendHeap>;
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') return backend.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}

/** The wasm backend's tf.tensor copies the values into its heap; tfjs-node and cpu keep the array they are given. */
function copyUnlessWasm(view: Float32Array): Float32Array {
  return tf.getBackend() === 'wasm' ? view : view.slice();
}
