import { UserError } from '../util/errors.js';
import {
  isSpiking, shapeSize, NEURON_KINDS,
  type Graph, type IRNode, type Conv2dNode, type PoolNode, type AffineNode, type LinearNode, type ScaleNode,
} from './graph.js';

/**
 * Float reference executor for IR graphs (DESIGN.md, "Semantics everyone shares").
 *
 * ANN mode evaluates the graph once as ONNX would. SNN mode runs steps t = 1..T with same-step propagation:
 * at each step every node, in topological order, reads what its predecessors produced at that same step.
 * Buffers are allocated once per run (batch × size per node) and kernels are tight loops over typed arrays,
 * because the compiler calibrates and evaluates converted networks with this at T = 64 on thousands of digits.
 */

/** Options of {@link runGraph}. */
export interface RunOptions {
  /** Default: 'snn' when the graph has IF/LIF nodes, else 'ann'. */
  mode?: 'ann' | 'snn';
  /** SNN: number of steps; default graph.meta.timesteps ?? 4. */
  timesteps?: number;
  /**
   * SNN input encoding; default graph.meta.encoding ?? 'direct'. 'direct': the analog input is the Input
   * node's value at every step. 'rate': each input value is a spike probability per step (Bernoulli;
   * values ≤ 0 never spike, values ≥ 1 spike at every step).
   */
  encoding?: 'direct' | 'rate';
  /** Rate encoding RNG seed (deterministic); default 1. */
  seed?: number;
  /**
   * Called with each node's output, per step in SNN mode (step 1..T), once (step 0) in ANN mode;
   * values is batch × size (row-major, per-sample shape as graph.shapes); for the Output node in SNN mode
   * it is the readout accumulated up to that step. The array is reused by the
   * executor: copy it if you keep it. When `record` is given the batch is run in one piece (no chunking),
   * so every (node, step) pair is reported exactly once with the whole batch.
   */
  record?: (node: string, step: number, values: Float32Array, batch: number) => void;
}

/** Bad arguments to the executor (wrong input length, bad step count, …). */
export class ExecutionError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionError';
  }
}

/** Samples run together when no recorder is attached: keeps activations cache-sized and memory bounded. */
const CHUNK = 128;

/**
 * Runs a graph on `batch` samples (`inputs` is batch × input size, row-major) and returns the Output
 * node's values, batch × classes: the logits in ANN mode, the readout potential summed over all steps in
 * SNN mode. In SNN mode the stateless kinds (ReLU, Clip, pools, Scale, synaptic layers) are applied to
 * each step's values; nodes fed only by a direct-encoded input are evaluated once, as their value cannot
 * change between steps. A graph with IF/LIF nodes cannot run in ANN mode (ExecutionError).
 */
export function runGraph(graph: Graph, inputs: Float32Array, batch: number, opts: RunOptions = {}): Float32Array {
  if (!Number.isInteger(batch) || batch < 0) throw new ExecutionError(`batch must be a non-negative integer, got ${batch}`);
  const inSize = shapeSize(graph.shapes.get(graph.inputName)!.output);
  const outSize = shapeSize(graph.shapes.get(graph.outputName)!.output);
  if (inputs.length !== batch * inSize) {
    throw new ExecutionError(`input holds ${inputs.length} values, ${batch} samples of shape [${graph.shapes.get(graph.inputName)!.output}] need ${batch * inSize}`);
  }
  const spiking = isSpiking(graph);
  const mode = opts.mode ?? (spiking ? 'snn' : 'ann');
  if (mode !== 'ann' && mode !== 'snn') throw new ExecutionError(`mode must be 'ann' or 'snn', got '${mode}'`);
  if (mode === 'ann' && spiking) throw new ExecutionError(`graph '${graph.meta.name}' has spiking neurons (IF/LIF): run it in 'snn' mode`);
  const timesteps = opts.timesteps ?? graph.meta.timesteps ?? 4;
  if (mode === 'snn' && !(Number.isInteger(timesteps) && timesteps >= 1)) throw new ExecutionError(`timesteps must be a positive integer, got ${timesteps}`);
  const encoding = opts.encoding ?? graph.meta.encoding ?? 'direct';
  if (encoding !== 'direct' && encoding !== 'rate') throw new ExecutionError(`encoding must be 'direct' or 'rate', got '${encoding}'`);

  const out = new Float32Array(batch * outSize);
  const chunk = opts.record ? Math.max(batch, 1) : CHUNK;
  const plan = new Plan(graph, Math.min(chunk, Math.max(batch, 1)));
  const rng = new Rng(opts.seed ?? 1);
  for (let start = 0; start < batch; start += chunk) {
    const n = Math.min(chunk, batch - start);
    const x = inputs.subarray(start * inSize, (start + n) * inSize);
    const y = mode === 'ann' ? plan.runAnn(x, n, opts.record) : plan.runSnn(x, n, timesteps, encoding, rng, opts.record);
    out.set(y.subarray(0, n * outSize), start * outSize);
  }
  return out;
}

/** Index of the largest value per sample (first one on ties). */
export function predict(logits: Float32Array, batch: number): Int32Array {
  if (!Number.isInteger(batch) || batch <= 0 || logits.length % batch !== 0) {
    throw new ExecutionError(`cannot split ${logits.length} values into ${batch} samples`);
  }
  const classes = logits.length / batch;
  const labels = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = logits[b * classes + c];
      if (v > bestValue) { bestValue = v; best = c; }
    }
    labels[b] = best;
  }
  return labels;
}

/** Fraction of samples whose prediction equals the label. */
export function accuracy(logits: Float32Array, labels: ArrayLike<number>, batch: number): number {
  const p = predict(logits, batch);
  let ok = 0;
  for (let i = 0; i < batch; i++) if (p[i] === labels[i]) ok++;
  return batch === 0 ? 0 : ok / batch;
}

/** mulberry32: tiny, fast, seedable; quality is ample for Bernoulli input spikes. */
class Rng {
  private state: number;
  constructor(seed: number) { this.state = (seed >>> 0) ^ 0x9e3779b9; }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

interface Step {
  name: string;
  node: IRNode;
  inSize: number;
  outSize: number;
  inShape: number[];
  outShape: number[];
  preds: number[];
  /** Sum buffer when the node has several incoming edges. */
  sum?: Float32Array;
  /** The node's output buffer (may alias its input for Flatten/Sum/Output in ANN mode). */
  out: Float32Array;
  /** Transposed weights [in, out] of Affine/Linear, so a zero input skips a whole row (sparse spikes). */
  weightT?: Float32Array;
  /** Prepared convolution (index tables, scratch buffers). */
  conv?: ConvKernel;
  /** Membrane potential of IF/LIF nodes. */
  v?: Float32Array;
  /** SNN: the node's output does not change over steps (direct-encoded input through stateless nodes). */
  constant?: boolean;
}

class Plan {
  private readonly steps: Step[] = [];
  private readonly outputIndex: number;

  constructor(graph: Graph, capacity: number) {
    const index = new Map<string, number>();
    for (const name of graph.order) {
      const node = graph.nodes.get(name)!;
      const shapes = graph.shapes.get(name)!;
      const inSize = shapeSize(shapes.input.length ? shapes.input : shapes.output);
      const outSize = shapeSize(shapes.output);
      const preds = graph.preds.get(name)!.map((p) => index.get(p)!);
      const step: Step = {
        name, node, inSize, outSize, inShape: shapes.input, outShape: shapes.output, preds,
        out: new Float32Array(capacity * outSize),
      };
      if (preds.length > 1) step.sum = new Float32Array(capacity * inSize);
      if (node.kind === 'Affine' || node.kind === 'Linear') step.weightT = transpose(node.weight.data, node.weight.shape[0], node.weight.shape[1]);
      if (NEURON_KINDS.has(node.kind)) step.v = new Float32Array(capacity * outSize);
      if (node.kind === 'Conv2d') step.conv = new ConvKernel(node, shapes.input, shapes.output);
      index.set(name, this.steps.length);
      this.steps.push(step);
    }
    this.outputIndex = index.get(graph.outputName)!;
  }

  /** The summed input of a step for `n` samples. */
  private input(step: Step, n: number): Float32Array {
    if (step.preds.length === 1) return this.steps[step.preds[0]].out;
    const sum = step.sum!;
    const len = n * step.inSize;
    sum.set(this.steps[step.preds[0]].out.subarray(0, len));
    for (let k = 1; k < step.preds.length; k++) {
      const o = this.steps[step.preds[k]].out;
      for (let i = 0; i < len; i++) sum[i] += o[i];
    }
    return sum;
  }

  runAnn(x: Float32Array, n: number, record?: RunOptions['record']): Float32Array {
    for (const step of this.steps) {
      if (step.node.kind === 'Input') step.out.set(x);
      else this.compute(step, this.input(step, n), n);
      record?.(step.name, 0, step.out.subarray(0, n * step.outSize), n);
    }
    return this.steps[this.outputIndex].out;
  }

  runSnn(x: Float32Array, n: number, timesteps: number, encoding: 'direct' | 'rate', rng: Rng, record?: RunOptions['record']): Float32Array {
    // A node whose inputs never change over time computes the same output at every step: compute it once.
    for (const step of this.steps) {
      const k = step.node.kind;
      step.constant = k === 'Input' ? encoding === 'direct'
        : !NEURON_KINDS.has(k) && k !== 'Output' && step.preds.every((p) => this.steps[p].constant);
      if (step.v) step.v.fill((step.node as { vInit?: number }).vInit ?? 0, 0, n * step.outSize);
    }
    const output = this.steps[this.outputIndex];
    const readout = output.out;
    readout.fill(0, 0, n * output.outSize);
    for (let t = 1; t <= timesteps; t++) {
      for (const step of this.steps) {
        const len = n * step.outSize;
        if (step.constant && t > 1) {
          // unchanged since step 1
        } else if (step.node.kind === 'Input') {
          if (encoding === 'direct') step.out.set(x);
          else for (let i = 0; i < len; i++) step.out[i] = rng.next() < x[i] ? 1 : 0;
        } else if (step.node.kind === 'Output') {
          const input = this.input(step, n);
          for (let i = 0; i < len; i++) readout[i] += input[i];
        } else if (step.v) {
          this.neuron(step, this.input(step, n), len);
        } else {
          this.compute(step, this.input(step, n), n);
        }
        record?.(step.name, t, step.out.subarray(0, len), n);
      }
    }
    return readout;
  }

  private neuron(step: Step, input: Float32Array, len: number): void {
    const node = step.node as { kind: 'IF' | 'LIF'; threshold: number; reset: 'subtract' | 'zero'; leak?: number };
    const v = step.v!;
    const out = step.out;
    const theta = node.threshold;
    const keep = node.kind === 'LIF' ? 1 - (node.leak ?? 0) : 1;
    const subtract = node.reset !== 'zero';
    for (let i = 0; i < len; i++) {
      let u = keep * v[i] + input[i];
      if (u >= theta) {
        out[i] = 1;
        u = subtract ? u - theta : 0;
      } else {
        out[i] = 0;
      }
      v[i] = u;
    }
  }

  private compute(step: Step, input: Float32Array, n: number): void {
    const node = step.node;
    const out = step.out;
    const len = n * step.outSize;
    switch (node.kind) {
      case 'Affine': case 'Linear':
        dense(node, step.weightT!, input, out, n, step.inSize, step.outSize);
        return;
      case 'Conv2d':
        for (let b = 0; b < n; b++) step.conv!.run(input, b * step.inSize, out, b * step.outSize);
        return;
      case 'SumPool2d': case 'AvgPool2d': case 'MaxPool2d':
        for (let b = 0; b < n; b++) pool(node, input, b * step.inSize, out, b * step.outSize, step.inShape, step.outShape);
        return;
      case 'Scale':
        scale(node, input, out, n, step.inShape);
        return;
      case 'ReLU':
        for (let i = 0; i < len; i++) { const v = input[i]; out[i] = v > 0 ? v : 0; }
        return;
      case 'Clip': {
        const lo = node.min; const hi = node.max;
        for (let i = 0; i < len; i++) { const v = input[i]; out[i] = v < lo ? lo : v > hi ? hi : v; }
        return;
      }
      case 'Flatten': case 'Sum': case 'Output':
        if (input !== out) out.set(input.subarray(0, len));
        return;
      default:
        throw new ExecutionError(`node '${step.name}': kind ${node.kind} cannot be evaluated here`);
    }
  }
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

/** y = W x (+ b) via the transposed weights: one contiguous row per input, skipped when the input is 0. */
function dense(node: AffineNode | LinearNode, wT: Float32Array, input: Float32Array, out: Float32Array, n: number, inSize: number, outSize: number): void {
  const bias = node.kind === 'Affine' ? node.bias.data : undefined;
  const acc = new Float64Array(outSize);
  for (let b = 0; b < n; b++) {
    if (bias) for (let o = 0; o < outSize; o++) acc[o] = bias[o];
    else acc.fill(0);
    const xBase = b * inSize;
    for (let i = 0; i < inSize; i++) {
      const x = input[xBase + i];
      if (x === 0) continue;
      const row = i * outSize;
      for (let o = 0; o < outSize; o++) acc[o] += x * wT[row + o];
    }
    const oBase = b * outSize;
    for (let o = 0; o < outSize; o++) out[oBase + o] = acc[o];
  }
}

/** Largest im2col index table kept per conv (Int32 entries); bigger layers use the direct loop. */
const MAX_IM2COL = 1 << 22;
/**
 * Below this fraction of non-zero inputs (spikes), the event-driven scatter beats the dense product
 * (measured on LeNet's second conv: the break-even is near 0.35 with 16 output channels per group; with
 * few channels per group, e.g. depthwise, the scatter's inner loop is too short to pay off as early).
 */
function sparseDensity(ocPerGroup: number): number {
  return ocPerGroup >= 8 ? 0.3 : 0.1;
}

/**
 * A convolution prepared once per run. Dense inputs go through im2col (a gather table built once) and a
 * row-axpy product whose inner loop runs over the whole output plane; sparse inputs (spikes) are
 * scattered event by event, input → every output it reaches, so silent neurons cost nothing.
 */
class ConvKernel {
  private readonly inSize: number;
  private readonly plane: number;
  private readonly k: number;
  private readonly ocPerGroup: number;
  private readonly gather?: Int32Array;
  private readonly col?: Float32Array;
  private readonly scatterWeights: Float32Array;
  private readonly hwc: Float32Array;
  /** Per input position (y·W + x): where its fan-out starts in the two tables below. */
  private readonly fanStart: Int32Array;
  /** Fan-out of one input position: offset into `hwc` (output position × channels) and kernel tap offset. */
  private readonly fanOut: Int32Array;
  private readonly fanTap: Int32Array;

  constructor(private readonly node: Conv2dNode, private readonly inShape: number[], private readonly outShape: number[]) {
    const [inC, inH, inW] = inShape;
    const [outC, outH, outW] = outShape;
    const [, icPerGroup, kh, kw] = node.weight.shape;
    this.inSize = inC * inH * inW;
    this.plane = outH * outW;
    this.k = icPerGroup * kh * kw;
    this.ocPerGroup = outC / node.groups;
    if (this.k * this.plane <= MAX_IM2COL) {
      const [sy, sx] = node.stride;
      const [dy, dx] = node.dilation;
      const [pt, pl] = node.padding;
      const gather = new Int32Array(this.k * this.plane);
      for (let icg = 0; icg < icPerGroup; icg++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const row = ((icg * kh + ky) * kw + kx) * this.plane;
        for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) {
          const iy = oy * sy + ky * dy - pt;
          const ix = ox * sx + kx * dx - pl;
          // im2row: one contiguous row of the receptive field per output position.
          gather[(oy * outW + ox) * this.k + row / this.plane] = iy >= 0 && iy < inH && ix >= 0 && ix < inW ? (icg * inH + iy) * inW + ix : -1;
        }
      }
      this.gather = gather;
      this.col = new Float32Array(this.k * this.plane);
    }
    // Scatter layout [group][icg][ky][kx][ocg]: the innermost loop runs over output channels.
    const w = node.weight.data;
    const ws = new Float32Array(w.length);
    const opg = this.ocPerGroup;
    for (let g = 0; g < node.groups; g++) for (let j = 0; j < opg; j++) for (let r = 0; r < this.k; r++) {
      ws[(g * this.k + r) * opg + j] = w[(g * opg + j) * this.k + r];
    }
    this.scatterWeights = ws;
    this.hwc = new Float32Array(this.plane * outC);
    // The outputs each input position reaches depend only on geometry: list them once.
    const [sy, sx] = node.stride;
    const [dy, dx] = node.dilation;
    const [pt, pl] = node.padding;
    const starts = new Int32Array(inH * inW + 1);
    const outs: number[] = [];
    const taps: number[] = [];
    for (let iy = 0; iy < inH; iy++) for (let ix = 0; ix < inW; ix++) {
      starts[iy * inW + ix] = outs.length;
      for (let ky = 0; ky < kh; ky++) {
        const ny = iy + pt - ky * dy;
        if (ny < 0 || ny % sy !== 0 || ny / sy >= outH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const nx = ix + pl - kx * dx;
          if (nx < 0 || nx % sx !== 0 || nx / sx >= outW) continue;
          outs.push(((ny / sy) * outW + nx / sx) * outC);
          taps.push((ky * kw + kx) * opg);
        }
      }
    }
    starts[inH * inW] = outs.length;
    this.fanStart = starts;
    this.fanOut = Int32Array.from(outs);
    this.fanTap = Int32Array.from(taps);
  }

  run(input: Float32Array, inBase: number, out: Float32Array, outBase: number): void {
    let nonZero = 0;
    for (let i = inBase, end = inBase + this.inSize; i < end; i++) if (input[i] !== 0) nonZero++;
    if (nonZero < sparseDensity(this.ocPerGroup) * this.inSize) this.scatter(input, inBase, out, outBase);
    else if (this.gather) this.im2col(input, inBase, out, outBase);
    else conv2d(this.node, input, inBase, out, outBase, this.inShape, this.outShape);
  }

  /**
   * Dense path: gather each output position's receptive field into a contiguous row (im2row), then one
   * dot product per output, four output channels at a time so every gathered value is loaded once per four
   * multiply-adds and the sums stay in registers.
   */
  private im2col(input: Float32Array, inBase: number, out: Float32Array, outBase: number): void {
    const { node, plane, k, ocPerGroup } = this;
    const gather = this.gather!;
    const rows = this.col!;
    const w = node.weight.data;
    const bias = node.bias?.data;
    const groupInput = (this.inShape[0] / node.groups) * this.inShape[1] * this.inShape[2];
    for (let g = 0; g < node.groups; g++) {
      const base = inBase + g * groupInput;
      for (let j = 0; j < gather.length; j++) {
        const idx = gather[j];
        rows[j] = idx < 0 ? 0 : input[base + idx];
      }
      const first = g * ocPerGroup;
      const last = first + ocPerGroup;
      let oc = first;
      for (; oc + 4 <= last; oc += 4) {
        const w0 = oc * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        const b0 = bias ? bias[oc] : 0, b1 = bias ? bias[oc + 1] : 0, b2 = bias ? bias[oc + 2] : 0, b3 = bias ? bias[oc + 3] : 0;
        const o0 = outBase + oc * plane, o1 = o0 + plane, o2 = o1 + plane, o3 = o2 + plane;
        for (let p = 0; p < plane; p++) {
          const r0 = p * k;
          let s0 = b0, s1 = b1, s2 = b2, s3 = b3;
          for (let r = 0; r < k; r++) {
            const x = rows[r0 + r];
            s0 += w[w0 + r] * x;
            s1 += w[w1 + r] * x;
            s2 += w[w2 + r] * x;
            s3 += w[w3 + r] * x;
          }
          out[o0 + p] = s0; out[o1 + p] = s1; out[o2 + p] = s2; out[o3 + p] = s3;
        }
      }
      for (; oc < last; oc++) {
        const w0 = oc * k;
        const o0 = outBase + oc * plane;
        for (let p = 0; p < plane; p++) {
          const r0 = p * k;
          let s0 = bias ? bias[oc] : 0;
          for (let r = 0; r < k; r++) s0 += w[w0 + r] * rows[r0 + r];
          out[o0 + p] = s0;
        }
      }
    }
  }

  private scatter(input: Float32Array, inBase: number, out: Float32Array, outBase: number): void {
    const { node, plane, k, ocPerGroup } = this;
    const [inC, inH, inW] = this.inShape;
    const outC = this.outShape[0];
    const icPerGroup = node.weight.shape[1];
    const ws = this.scatterWeights;
    const hwc = this.hwc;
    const { fanStart, fanOut, fanTap } = this;
    const inPlane = inH * inW;
    hwc.fill(0);
    for (let ic = 0; ic < inC; ic++) {
      const g = Math.floor(ic / icPerGroup);
      const channelOut = g * ocPerGroup;
      const channelTap = (g * k + (ic - g * icPerGroup) * (k / icPerGroup)) * ocPerGroup;
      const iPlane = inBase + ic * inPlane;
      for (let pos = 0; pos < inPlane; pos++) {
        const x = input[iPlane + pos];
        if (x === 0) continue;
        for (let e = fanStart[pos], end = fanStart[pos + 1]; e < end; e++) {
          const t = fanOut[e] + channelOut;
          const wBase = fanTap[e] + channelTap;
          for (let j = 0; j < ocPerGroup; j++) hwc[t + j] += x * ws[wBase + j];
        }
      }
    }
    const bias = node.bias?.data;
    for (let oc = 0; oc < outC; oc++) {
      const b = bias ? bias[oc] : 0;
      const oRow = outBase + oc * plane;
      for (let p = 0; p < plane; p++) out[oRow + p] = b + hwc[p * outC + oc];
    }
  }
}

/**
 * Direct convolution, weight-stationary: for each (out channel, in channel, ky, kx) one scaled row update
 * over the valid output range, so the inner loop is a contiguous axpy without bounds checks.
 */
function conv2d(node: Conv2dNode, input: Float32Array, inBase: number, out: Float32Array, outBase: number, inShape: number[], outShape: number[]): void {
  const [inC, inH, inW] = inShape;
  const [outC, outH, outW] = outShape;
  const [, icPerGroup, kh, kw] = node.weight.shape;
  const w = node.weight.data;
  const bias = node.bias?.data;
  const [sy, sx] = node.stride;
  const [dy, dx] = node.dilation;
  const [pt, pl] = node.padding;
  const ocPerGroup = outC / node.groups;
  const plane = outH * outW;
  for (let oc = 0; oc < outC; oc++) {
    const oBase = outBase + oc * plane;
    const b0 = bias ? bias[oc] : 0;
    out.fill(b0, oBase, oBase + plane);
    const g = Math.floor(oc / ocPerGroup);
    for (let icg = 0; icg < icPerGroup; icg++) {
      const ic = g * icPerGroup + icg;
      if (ic >= inC) break;
      const iPlane = inBase + ic * inH * inW;
      for (let ky = 0; ky < kh; ky++) {
        const offY = ky * dy - pt;
        // valid oy: 0 <= oy*sy + offY < inH
        const oyStart = Math.max(0, Math.ceil(-offY / sy));
        const oyEnd = Math.min(outH, Math.floor((inH - 1 - offY) / sy) + 1);
        for (let kx = 0; kx < kw; kx++) {
          const wv = w[((oc * icPerGroup + icg) * kh + ky) * kw + kx];
          if (wv === 0) continue;
          const offX = kx * dx - pl;
          const oxStart = Math.max(0, Math.ceil(-offX / sx));
          const oxEnd = Math.min(outW, Math.floor((inW - 1 - offX) / sx) + 1);
          if (oxStart >= oxEnd) continue;
          for (let oy = oyStart; oy < oyEnd; oy++) {
            const iRow = iPlane + (oy * sy + offY) * inW + offX;
            const oRow = oBase + oy * outW;
            if (sx === 1) {
              for (let ox = oxStart; ox < oxEnd; ox++) out[oRow + ox] += wv * input[iRow + ox];
            } else {
              for (let ox = oxStart; ox < oxEnd; ox++) out[oRow + ox] += wv * input[iRow + ox * sx];
            }
          }
        }
      }
    }
  }
}

function pool(node: PoolNode, input: Float32Array, inBase: number, out: Float32Array, outBase: number, inShape: number[], outShape: number[]): void {
  const [channels, inH, inW] = inShape;
  const [, outH, outW] = outShape;
  const [kh, kw] = node.kernel;
  const [sy, sx] = node.stride;
  const [pt, pl] = node.padding;
  const isMax = node.kind === 'MaxPool2d';
  const isAvg = node.kind === 'AvgPool2d';
  const includePad = node.countIncludePad ?? true;
  if (!isMax && kh === 2 && kw === 2 && sy === 2 && sx === 2 && pt === 0 && pl === 0 && node.padding[2] === 0 && node.padding[3] === 0) {
    // The common 2×2/2 average or sum pool of converted networks, without the general bookkeeping.
    const k = isAvg ? 0.25 : 1;
    for (let c = 0; c < channels; c++) {
      const iPlane = inBase + c * inH * inW;
      let o = outBase + c * outH * outW;
      for (let oy = 0; oy < outH; oy++) {
        const r0 = iPlane + 2 * oy * inW;
        const r1 = r0 + inW;
        for (let ox = 0; ox < outW; ox++, o++) {
          const x = 2 * ox;
          out[o] = (input[r0 + x] + input[r0 + x + 1] + input[r1 + x] + input[r1 + x + 1]) * k;
        }
      }
    }
    return;
  }
  for (let c = 0; c < channels; c++) {
    const iPlane = inBase + c * inH * inW;
    const oPlane = outBase + c * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sy - pt;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inH, y0 + kh);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * sx - pl;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inW, x0 + kw);
        let acc = isMax ? -Infinity : 0;
        for (let y = yStart; y < yEnd; y++) {
          const row = iPlane + y * inW;
          if (isMax) for (let x = xStart; x < xEnd; x++) { const v = input[row + x]; if (v > acc) acc = v; }
          else for (let x = xStart; x < xEnd; x++) acc += input[row + x];
        }
        if (isAvg) {
          // ONNX: with count_include_pad the divisor counts padded cells but never cells past the padding.
          const count = includePad
            ? (Math.min(y0 + kh, inH + node.padding[2]) - y0) * (Math.min(x0 + kw, inW + node.padding[3]) - x0)
            : (yEnd - yStart) * (xEnd - xStart);
          acc = count > 0 ? acc / count : 0;
        }
        if (isMax && acc === -Infinity) acc = 0;
        out[oPlane + oy * outW + ox] = acc;
      }
    }
  }
}

function scale(node: ScaleNode, input: Float32Array, out: Float32Array, n: number, shape: number[]): void {
  const s = node.scale.data;
  const bias = node.bias?.data;
  const channels = shape[0];
  const inner = shapeSize(shape) / channels;
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < channels; c++) {
      const sv = s.length === 1 ? s[0] : s[c];
      const bv = bias ? (bias.length === 1 ? bias[0] : bias[c]) : 0;
      const base = (b * channels + c) * inner;
      for (let i = base; i < base + inner; i++) out[i] = sv * input[i] + bv;
    }
  }
}
