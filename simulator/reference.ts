/**
 * The software fixed-point reference: the QuantGraph's integer semantics (arith.ts) computed layer by layer
 * with no cores, no packets and no network. It is written independently of the engine's event-driven path
 * (dense layers gather each target's input from the [post][pre] weights; convolutions scatter each
 * non-zero source through the kernel geometry instead of reading expanded synapse rows), so
 * that agreement between the two is evidence, not a tautology. The chip simulator must reproduce its spike
 * trains and readout bit for bit.
 */
import type { DelayMode, Projection, QuantGraph } from '../compiler/types.js';
import { UserError } from '../src/util/errors.js';
import { applyExponent, argmax, digestSpikes, DIGEST_SEED, initialPotentials, neuronParams, stepNeuron, type NeuronParams } from './arith.js';
import { InputEncoder } from './input.js';
import { populationOrder } from '../compiler/analysis.js';

export interface ReferenceOptions {
  delay?: DelayMode;
  /** Steps per sample; default the graph's timesteps + holdSteps (as the chip simulator). */
  timesteps?: number;
  record?: boolean;
}

export interface ReferenceResult {
  prediction: number;
  readout: Float64Array;
  spikeDigest: number;
  /** Spikes per population over the run (activation sparsity). */
  spikesPerLayer: Map<string, number>;
  raster?: Map<string, Uint8Array>;
}

/** Adds W·s of one projection into `out` (mantissa units), reading only the non-zero sources. */
function project(p: Projection, source: ArrayLike<number>, out: Float64Array): void {
  const nonZero: number[] = [];
  for (let i = 0; i < source.length; i++) if (source[i] !== 0) nonZero.push(i);
  if (nonZero.length === 0) return;
  const s = p.synapse;
  if (s.kind === 'dense') {
    const pre = source.length;
    for (let j = 0; j < out.length; j++) {
      let sum = 0;
      const base = j * pre;
      for (const i of nonZero) sum += s.weights[base + i] * source[i];
      out[j] += sum;
    }
    return;
  }
  // Convolution as a scatter from each non-zero source through the kernel geometry: the output (oy, ox)
  // that tap (ky, kx) connects to input (iy, ix) satisfies oy·stride − pad + ky·dilation = iy.
  const [, ih, iw] = p.preShape;
  const [cout, oh, ow] = p.postShape;
  const [kh, kw] = s.kernel;
  const [sh, sw] = s.stride;
  const [pt, pl] = s.padding;
  const [dh, dw] = s.dilation;
  const inPerGroup = p.preShape[0] / s.groups, outPerGroup = cout / s.groups;
  for (const i of nonZero) {
    const x = source[i];
    const ci = Math.floor(i / (ih * iw));
    const iy = Math.floor(i / iw) % ih;
    const ix = i % iw;
    const g = Math.floor(ci / inPerGroup);
    const cg = ci - g * inPerGroup;
    for (let ky = 0; ky < kh; ky++) {
      const ny = iy + pt - ky * dh;
      if (ny < 0 || ny % sh !== 0) continue;
      const oy = ny / sh;
      if (oy >= oh) continue;
      for (let kx = 0; kx < kw; kx++) {
        const nx = ix + pl - kx * dw;
        if (nx < 0 || nx % sw !== 0) continue;
        const ox = nx / sw;
        if (ox >= ow) continue;
        for (let co = g * outPerGroup; co < (g + 1) * outPerGroup; co++) {
          out[(co * oh + oy) * ow + ox] += s.weights[((co * inPerGroup + cg) * kh + ky) * kw + kx] * x;
        }
      }
    }
  }
}

/** Runs a QuantGraph sample by sample in exact integer arithmetic. */
export class FixedPointReference {
  readonly delay: DelayMode;
  readonly timesteps: number;
  private readonly order: number[];
  private readonly params: NeuronParams[];
  private readonly encoder: InputEncoder;
  private readonly incoming: { proj: Projection; from: number; lag: number }[][];
  /** Steps of spike history kept: the largest lag a projection reads (its delay and delivery step) plus one. */
  private readonly history: number;

  constructor(readonly graph: QuantGraph, private readonly opts: ReferenceOptions = {}) {
    this.delay = opts.delay ?? graph.delay ?? graph.target.timing.delay.value;
    this.timesteps = opts.timesteps ?? graph.timesteps + (graph.holdSteps ?? 0);
    if (!(Number.isInteger(this.timesteps) && this.timesteps >= 1)) throw new UserError(`time steps must be a positive integer, got ${this.timesteps}`);
    this.order = populationOrder(graph);
    this.params = graph.populations.map((p) => neuronParams(p, graph.target));
    const index = new Map(graph.populations.map((p, i) => [p.name, i]));
    const position = new Int32Array(graph.populations.length);
    this.order.forEach((pi, k) => { position[pi] = k; });
    this.incoming = graph.populations.map(() => []);
    let history = 2;
    for (const proj of graph.projections) {
      if (!(Number.isInteger(proj.weightExponent) && Math.abs(proj.weightExponent) <= 62)) {
        throw new UserError(`projection '${proj.name}': weight exponent ${proj.weightExponent} is not an integer in [-62, 62]`);
      }
      const from = proj.from === 'input' ? -1 : index.get(proj.from)!;
      const to = index.get(proj.to)!;
      // Input events are integrated in the step they arrive. A spike is read the same step under same-step delivery
      // from a population updated earlier in the step; else (hardware delay, recurrent, or a later population) the next.
      const lag = from === -1 ? 0 : this.delay === 'same-step' && !proj.recurrent && position[from] < position[to] ? 0 : 1;
      this.incoming[to].push({ proj, from, lag });
      history = Math.max(history, lag + (proj.delays ? Math.max(0, ...proj.delays) : 0) + 1);
    }
    this.history = history;
    this.encoder = new InputEncoder(graph.input, graph.input.shape.reduce((a, b) => a * b, 1));
  }

  /** Runs one sample; `image` holds one input (static) or `frames` steps of it (inputs over time). */
  runSample(image: ArrayLike<number>, sampleIndex = 0, frames = 1): ReferenceResult {
    const g = this.graph;
    const T = this.timesteps;
    const pops = g.populations;
    const H = this.history;
    const v = pops.map((p) => initialPotentials(p));
    const u = pops.map((p, i) => (this.params[i].currentBased ? new Float64Array(p.size) : null));
    const readSum = pops.map((p, i) => (this.params[i].readSum ? new Float64Array(p.size) : null));
    // Spikes of the last H steps per population, and the input events of the last H steps.
    const spikes = pops.map((p) => Array.from({ length: H }, () => new Uint8Array(p.size)));
    const inputs = Array.from({ length: H }, () => new Int32Array(this.encoder.size));
    const raster = this.opts.record ? pops.map((p) => new Uint8Array(T * p.size)) : undefined;
    const spikesPerLayer = new Map(pops.map((p) => [p.name, 0]));
    this.encoder.begin(image, sampleIndex, frames);
    let digest = DIGEST_SEED;
    const spikeList = new Int32Array(Math.max(1, ...pops.map((p) => p.size)));
    const fired = new Uint8Array(1);
    const at = (t: number) => ((t % H) + H) % H;
    for (let t = 0; t < T; t++) {
      inputs[at(t)].set(this.encoder.step());
      for (const pi of this.order) {
        const pop = pops[pi];
        const prm = this.params[pi];
        const current = new Float64Array(pop.size);
        for (const { proj, from, lag } of this.incoming[pi]) {
          const acc = new Float64Array(pop.size);
          // What each source neuron sent that arrives now: its value `lag` (+ its delay) steps ago.
          const sourceAt = (k: number) => (from === -1 ? inputs[at(k)] : spikes[from][at(k)]);
          if (proj.delays) {
            const preSize = proj.delays.length;
            const source = new Int32Array(preSize);
            for (let i = 0; i < preSize; i++) {
              const k = t - lag - proj.delays[i];
              source[i] = k < 0 ? 0 : sourceAt(k)[i];
            }
            project(proj, source, acc);
          } else if (t - lag >= 0) {
            project(proj, sourceAt(t - lag), acc);
          }
          const e = proj.weightExponent;
          if (e === 0) for (let j = 0; j < pop.size; j++) current[j] += acc[j];
          else for (let j = 0; j < pop.size; j++) current[j] += applyExponent(acc[j], e);
        }
        const s = spikes[pi][at(t)];
        let count = 0;
        for (let j = 0; j < pop.size; j++) {
          const bias = pop.bias.length > 0 ? pop.bias[j] : 0;
          v[pi][j] = stepNeuron(prm, j, v[pi][j], current[j], bias, u[pi], fired);
          s[j] = fired[0];
          if (fired[0]) {
            spikeList[count++] = j;
            if (raster) raster[pi][t * pop.size + j] = 1;
          }
        }
        const sum = readSum[pi];
        if (sum) for (let j = 0; j < pop.size; j++) sum[j] += v[pi][j];
        spikesPerLayer.set(pop.name, spikesPerLayer.get(pop.name)! + count);
        digest = digestSpikes(digest, t, pi, spikeList, count);
      }
    }
    const readoutIndex = pops.findIndex((p) => p.readout);
    let readout: Float64Array;
    if (readoutIndex >= 0) readout = (readSum[readoutIndex] ?? v[readoutIndex]).slice();
    else {
      const last = this.order[this.order.length - 1];
      readout = new Float64Array(pops[last].size);
      if (raster) for (let t = 0; t < T; t++) for (let j = 0; j < pops[last].size; j++) readout[j] += raster[last][t * pops[last].size + j];
    }
    const result: ReferenceResult = { prediction: argmax(readout), readout, spikeDigest: digest, spikesPerLayer };
    if (raster) result.raster = new Map(pops.map((p, i) => [p.name, raster[i]]));
    return result;
  }
}
