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
  /** SNN input encoding; default graph.meta.encoding ?? 'direct'. */
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
 * SNN mode.
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
  /** Membrane potential of IF/LIF nodes. */
  v?: Float32Array;
  /** SNN: the node's output does not change over steps (direct-encoded input through stateless nodes). */
  constant?: boolean;
}

class Plan {
  private readonly steps: Step[] = [];
  private readonly outputIndex: number;

  constructor(private readonly graph: Graph, private readonly capacity: number) {
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
        for (let b = 0; b < n; b++) conv2d(node, input, b * step.inSize, out, b * step.outSize, step.inShape, step.outShape);
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
