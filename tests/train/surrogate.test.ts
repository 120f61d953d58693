import { describe, it, expect, beforeAll } from 'vitest';
import { initTrainingBackend, tf } from '../../src/train/backend.js';
import { spikingNeuron, surrogateDerivative, surrogateFunction, SURROGATES, type NeuronOptions } from '../../src/train/spiking.js';
import { mulberry32 } from '../../src/data/rng.js';

beforeAll(async () => { await initTrainingBackend({ quiet: true }); });

describe('surrogate derivatives', () => {
  for (const kind of SURROGATES) {
    it(`${kind}: σ' matches central finite differences of σ`, () => {
      for (const alpha of [1, 2, 4]) {
        const sigma = surrogateFunction(kind, alpha);
        const d = surrogateDerivative(kind, alpha);
        for (const x of [-1.7, -0.6, -0.2, -0.05, 0.03, 0.15, 0.4, 1.1]) {
          const h = 1e-5;
          const fd = (sigma(x + h) - sigma(x - h)) / (2 * h);
          expect(d(x)).toBeCloseTo(fd, 5);
        }
      }
    });
  }
});

/**
 * Reference for the neuron's backward pass: F(I) = Σ_t Σ_i g[t,i]·σ(v[t,i](I) − θ), where the hard spikes
 * that drive the resets are frozen at their unperturbed values (the `detach_reset` rule). Its gradient by
 * finite differences must equal the op's surrogate gradient of Σ g·s.
 */
function relaxedObjective(input: Float64Array, g: Float64Array, T: number, opts: NeuronOptions, frozen: Uint8Array): number {
  const n = input.length / T;
  const sigma = surrogateFunction(opts.surrogate, opts.alpha);
  const decay = opts.model === 'LIF' ? 1 - opts.leak : 1;
  const v = new Float64Array(n);
  let f = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const vi = decay * v[i] + input[t * n + i];
      f += g[t * n + i] * sigma(vi - opts.threshold);
      const s = frozen[t * n + i];
      v[i] = opts.reset === 'subtract' ? vi - opts.threshold * s : vi * (1 - s);
    }
  }
  return f;
}

function hardSpikes(input: Float64Array, T: number, opts: NeuronOptions): Uint8Array {
  const n = input.length / T;
  const decay = opts.model === 'LIF' ? 1 - opts.leak : 1;
  const v = new Float64Array(n);
  const s = new Uint8Array(input.length);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const vi = decay * v[i] + input[t * n + i];
      s[t * n + i] = vi >= opts.threshold ? 1 : 0;
      v[i] = s[t * n + i] ? (opts.reset === 'subtract' ? vi - opts.threshold : 0) : vi;
    }
  }
  return s;
}

describe('spiking neuron op (fused IF/LIF with BPTT)', () => {
  const cases: NeuronOptions[] = [
    { model: 'IF', threshold: 1, reset: 'subtract', leak: 0, surrogate: 'arctan', alpha: 2 },
    { model: 'IF', threshold: 0.8, reset: 'zero', leak: 0, surrogate: 'sigmoid', alpha: 4 },
    { model: 'LIF', threshold: 1, reset: 'subtract', leak: 0.2, surrogate: 'triangle', alpha: 1 },
    { model: 'LIF', threshold: 1.2, reset: 'zero', leak: 0.1, surrogate: 'arctan', alpha: 3 },
  ];
  for (const opts of cases) {
    it(`${opts.model}/${opts.reset}/${opts.surrogate}: gradient equals finite differences of the relaxed network`, () => {
      const T = 4, shape = [2, 2, 2, 3], perStep = 24;
      const rand = mulberry32(7);
      const input = Float64Array.from({ length: T * perStep }, () => rand() * 1.6 - 0.3);
      const g = Float64Array.from({ length: T * perStep }, () => rand() * 2 - 1);
      const frozen = hardSpikes(input, T, opts);
      const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(spikingNeuron(x, T, opts), tf.tensor(Float32Array.from(g), [T * 2, 2, 2, 3]))))(
        tf.tensor(Float32Array.from(input), [T * shape[0], ...shape.slice(1)]),
      ).dataSync());
      const spikes = tf.tidy(() => spikingNeuron(tf.tensor(Float32Array.from(input), [T * 2, 2, 2, 3]), T, opts).dataSync());
      expect(Array.from(spikes)).toEqual(Array.from(frozen));
      for (let k = 0; k < input.length; k++) {
        const h = 1e-6;
        const plus = Float64Array.from(input); plus[k] += h;
        const minus = Float64Array.from(input); minus[k] -= h;
        const fd = (relaxedObjective(plus, g, T, opts, frozen) - relaxedObjective(minus, g, T, opts, frozen)) / (2 * h);
        expect(grad[k]).toBeCloseTo(fd, 4);
      }
    });
  }

  it('the WebAssembly kernel equals a plain per-step BPTT bit for bit at a training-sized layer (the kernel memory grows to ~60 MB)', () => {
    // Float64 arithmetic with the carried potential rounded to float32, the surrogate at fround(v_pre) − θ:
    // the semantics of the IR executor's IF/LIF nodes, written here one step at a time with whole-layer arrays.
    const reference = (input: Float32Array, g: Float32Array, T: number, o: NeuronOptions) => {
      const n = input.length / T;
      const decay = o.model === 'LIF' ? 1 - o.leak : 1;
      const d = surrogateDerivative(o.surrogate, o.alpha);
      const v = new Float32Array(n), pre = new Float32Array(input.length), s = new Float32Array(input.length);
      for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) {
        const k = t * n + i, vi = decay * v[i] + input[k];
        s[k] = vi >= o.threshold ? 1 : 0;
        pre[k] = vi;
        v[i] = o.reset === 'subtract' ? vi - o.threshold * s[k] : vi * (1 - s[k]);
      }
      const grad = new Float32Array(input.length), gu = new Float64Array(n);
      for (let t = T - 1; t >= 0; t--) for (let i = 0; i < n; i++) {
        const k = t * n + i;
        const gv = g[k] * d(pre[k] - o.threshold) + (o.reset === 'subtract' || s[k] === 0 ? gu[i] : 0);
        grad[k] = gv;
        gu[i] = gv * decay;
      }
      return { s, grad };
    };
    const T = 4, shape = [T * 16, 28, 28, 16];
    for (const o of [
      { model: 'IF', threshold: 1, reset: 'subtract', leak: 0, surrogate: 'arctan', alpha: 2 },
      { model: 'LIF', threshold: 0.9, reset: 'zero', leak: 0.25, surrogate: 'triangle', alpha: 1.5 },
    ] as NeuronOptions[]) {
      const rand = mulberry32(21);
      const input = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rand() * 1.8 - 0.4);
      const g = Float32Array.from(input, () => rand() - 0.5);
      const ref = reference(input, g, T, o);
      const [spikes, grad] = tf.tidy(() => {
        const x = tf.tensor(input, shape);
        const w = tf.tensor(g, shape);
        return [spikingNeuron(x, T, o).dataSync(), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(spikingNeuron(a, T, o), w)))(x).dataSync()];
      });
      let spikeDiff = 0, gradDiff = 0, fired = 0;
      for (let k = 0; k < input.length; k++) {
        if (spikes[k] !== ref.s[k]) spikeDiff++;
        if (grad[k] !== ref.grad[k]) gradDiff++;
        fired += ref.s[k];
      }
      expect(fired / input.length).toBeGreaterThan(0.1);
      expect(fired / input.length).toBeLessThan(0.9);
      expect(spikeDiff).toBe(0);
      expect(gradDiff).toBe(0);
    }
  });

  it('a step-invariant input read T times equals the tiled input, forward and backward', () => {
    const opts: NeuronOptions = { model: 'IF', threshold: 1, reset: 'subtract', leak: 0, surrogate: 'arctan', alpha: 2 };
    const rand = mulberry32(3);
    const x = tf.tensor(Float32Array.from({ length: 2 * 4 * 4 * 3 }, () => rand()), [2, 4, 4, 3]);
    const w = tf.tensor(Float32Array.from({ length: 3 * 2 * 4 * 4 * 3 }, () => rand() - 0.5), [6, 4, 4, 3]);
    const repeated = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(spikingNeuron(a, 3, opts, true), w)))(x).dataSync();
    const tiled = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(spikingNeuron(tf.concat([a, a, a], 0), 3, opts), w)))(x).dataSync();
    expect(Array.from(repeated).map((v) => v.toFixed(5))).toEqual(Array.from(tiled).map((v) => v.toFixed(5)));
  });

  // A map whose channel count is even runs two channels per float64x2 operation, an odd one neuron by neuron.
  it('two channels a lane give the bits one neuron at a time gives: the same neurons as 2×15 (odd) and 1×30 (even) per step', () => {
    for (const o of cases) for (const repeated of [false, true]) {
      const T = 3;
      const rand = mulberry32(11);
      const steps = repeated ? 1 : T;
      const input = Float32Array.from({ length: steps * 30 }, () => rand() * 1.8 - 0.4);
      for (let i = 0; i < input.length; i += 9) input[i] = o.threshold; // v_pre exactly at θ on the first step
      const g = Float32Array.from({ length: T * 30 }, () => rand() - 0.5);
      const run = (rows: number) => tf.tidy(() => {
        const x = tf.tensor(input, [steps * rows, 30 / rows]);
        const w = tf.tensor(g, [T * rows, 30 / rows]);
        return [spikingNeuron(x, T, o, repeated).dataSync(), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(spikingNeuron(a, T, o, repeated), w)))(x).dataSync()];
      });
      const [oddSpikes, oddGrad] = run(2), [evenSpikes, evenGrad] = run(1);
      expect(Array.from(evenSpikes)).toEqual(Array.from(oddSpikes));
      expect(new Uint32Array(evenGrad.buffer)).toEqual(new Uint32Array(oddGrad.buffer));
      expect(Array.from(oddGrad).some((v) => v !== 0)).toBe(true);
    }
  });

  for (const channels of [3, 4]) it(`fused average pooling equals avgPool of the spikes, forward and backward (${channels} channels)`, () => {
    const opts: NeuronOptions = { model: 'LIF', threshold: 1, reset: 'zero', leak: 0.1, surrogate: 'sigmoid', alpha: 4 };
    const rand = mulberry32(5);
    const T = 3;
    const x = tf.tensor(Float32Array.from({ length: T * 2 * 4 * 6 * channels }, () => rand() * 1.5), [T * 2, 4, 6, channels]);
    const w = tf.tensor(Float32Array.from({ length: T * 2 * 2 * 3 * channels }, () => rand() - 0.5), [T * 2, 2, 3, channels]);
    const fusedOut = spikingNeuron(x, T, opts, false, 2).dataSync();
    const plainOut = tf.avgPool(spikingNeuron(x, T, opts) as tf.Tensor4D, 2, 2, 'valid').dataSync();
    expect(Array.from(fusedOut)).toEqual(Array.from(plainOut));
    const fused = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(spikingNeuron(a, T, opts, false, 2), w)))(x).dataSync();
    const plain = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(spikingNeuron(a, T, opts) as tf.Tensor4D, 2, 2, 'valid'), w)))(x).dataSync();
    for (let i = 0; i < fused.length; i++) expect(fused[i]).toBeCloseTo(plain[i], 5);
  });
});

describe('fast Conv2D / AvgPool gradients', () => {
  it('match the definition (finite differences) for same and valid padding', () => {
    const rand = mulberry32(11);
    for (const pad of ['same', 'valid'] as const) {
      const x = tf.tensor(Float32Array.from({ length: 2 * 5 * 5 * 3 }, () => rand() - 0.5), [2, 5, 5, 3]) as tf.Tensor4D;
      const w = tf.tensor(Float32Array.from({ length: 3 * 3 * 3 * 4 }, () => rand() - 0.5), [3, 3, 3, 4]) as tf.Tensor4D;
      const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.square(tf.conv2d(a, b, 1, pad)));
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, w]).map((t) => t.dataSync());
      const check = (t: tf.Tensor4D, grad: ArrayLike<number>, which: 0 | 1) => {
        const base = t.dataSync();
        for (const k of [0, 7, 19, base.length - 1]) {
          const h = 1e-2;
          const p = Float32Array.from(base); p[k] += h;
          const m = Float32Array.from(base); m[k] -= h;
          const val = (arr: Float32Array) => {
            const tt = tf.tensor(arr, t.shape) as tf.Tensor4D;
            return f(which === 0 ? tt : x, which === 1 ? tt : w).dataSync()[0];
          };
          expect(grad[k]).toBeCloseTo((val(p) - val(m)) / (2 * h), 1);
        }
      };
      check(x, gx, 0);
      check(w, gw, 1);
    }
  });
});
