import { UserError } from '../util/errors.js';
import { isSpiking, kindOf, shapeSize, type Graph, type IRNode } from './graph.js';
import type { Kernel, KindRole } from './kind.js';
import { combineSeeds, createRng, type Rng } from '../data/rng.js';

/**
 * Float reference executor for IR graphs (docs/design.md, "Semantics everyone shares").
 *
 * ANN mode evaluates the graph once as ONNX would. SNN mode runs steps t = 1..T with same-step propagation:
 * at each step every node, in execution order, reads what its predecessors produced at that same step, except
 * over a recurrent edge (one that closes a cycle, Graph.recurrent), which carries its source's output of the
 * previous step (zero at the first step).
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
  /** Rate encoding seed; default 1. Sample k of the batch draws its spikes from the stream of
   * (seed, firstSample + k), as the chip simulator's input encoder does. */
  seed?: number;
  /** Index of the first sample of `inputs` in its data set (rate encoding streams); default 0. */
  firstSample?: number;
  /**
   * Inputs over time: `inputs` holds `inputSteps` frames per sample (batch × inputSteps × input size), frame t
   * being the Input's value at step t (no encoding); steps after the last frame get no input. Absent: one
   * static sample per row, encoded as `encoding` says at every step.
   */
  inputSteps?: number;
  /** Seconds per step for kinds defined by time constants; default graph.meta.dt. */
  dt?: number;
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
  const frames = opts.inputSteps ?? 1;
  if (!(Number.isInteger(frames) && frames >= 1)) throw new ExecutionError(`inputSteps must be a positive integer, got ${opts.inputSteps}`);
  const sampleSize = inSize * frames;
  if (inputs.length !== batch * sampleSize) {
    throw new ExecutionError(`input holds ${inputs.length} values, ${batch} samples of ${frames > 1 ? `${frames} steps of ` : ''}shape [${graph.shapes.get(graph.inputName)!.output}] need ${batch * sampleSize}`);
  }
  const spiking = isSpiking(graph);
  const mode = opts.mode ?? (spiking ? 'snn' : 'ann');
  if (mode !== 'ann' && mode !== 'snn') throw new ExecutionError(`mode must be 'ann' or 'snn', got '${mode}'`);
  if (mode === 'ann' && spiking) throw new ExecutionError(`graph '${graph.meta.name}' has spiking neurons (IF/LIF): run it in 'snn' mode`);
  if (mode === 'ann' && opts.inputSteps !== undefined) throw new ExecutionError('inputs over time need SNN mode');
  const timesteps = opts.timesteps ?? (opts.inputSteps !== undefined ? opts.inputSteps : graph.meta.timesteps ?? 4);
  if (mode === 'snn' && !(Number.isInteger(timesteps) && timesteps >= 1)) throw new ExecutionError(`timesteps must be a positive integer, got ${timesteps}`);
  const encoding = opts.encoding ?? graph.meta.encoding ?? 'direct';
  if (encoding !== 'direct' && encoding !== 'rate') throw new ExecutionError(`encoding must be 'direct' or 'rate', got '${encoding}'`);

  const out = new Float32Array(batch * outSize);
  const chunk = opts.record ? Math.max(batch, 1) : CHUNK;
  const plan = new Plan(graph, Math.min(chunk, Math.max(batch, 1)), opts.dt ?? graph.meta.dt);
  const seed = opts.seed ?? 1;
  const first = opts.firstSample ?? 0;
  for (let start = 0; start < batch; start += chunk) {
    const n = Math.min(chunk, batch - start);
    const x = inputs.subarray(start * sampleSize, (start + n) * sampleSize);
    const rngs = encoding === 'rate' && opts.inputSteps === undefined ? Array.from({ length: n }, (_, b) => createRng(combineSeeds(seed, first + start + b))) : [];
    const input: StepInput = opts.inputSteps !== undefined ? { kind: 'timed', frames } : encoding === 'direct' ? { kind: 'direct' } : { kind: 'rate', rngs };
    const y = mode === 'ann' ? plan.runAnn(x, n, opts.record) : plan.runSnn(x, n, timesteps, input, opts.record);
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

/** What the Input node holds at each step. */
type StepInput = { kind: 'direct' } | { kind: 'rate'; rngs: Rng[] } | { kind: 'timed'; frames: number };

interface Step {
  name: string;
  node: IRNode;
  role: KindRole;
  inSize: number;
  outSize: number;
  /** Predecessors over edges that act within the step, and over recurrent edges (previous step's output). */
  preds: number[];
  recurrentPreds: number[];
  /** Sum buffer when the node has several incoming edges. */
  sum?: Float32Array;
  /** The node's output buffer. */
  out: Float32Array;
  /** Its output of the previous step, when a recurrent edge reads it. */
  prev?: Float32Array;
  /** The kind's kernel (absent for the Input and Output). */
  kernel?: Kernel;
  /** SNN: the node's output does not change over steps (direct-encoded input through stateless nodes). */
  constant?: boolean;
}

class Plan {
  private readonly steps: Step[] = [];
  private readonly outputIndex: number;

  constructor(graph: Graph, capacity: number, dt: number | undefined) {
    const index = new Map<string, number>();
    for (const name of graph.order) index.set(name, index.size);
    const forward = new Map<string, number[]>(graph.order.map((n) => [n, []]));
    const back = new Map<string, number[]>(graph.order.map((n) => [n, []]));
    graph.edges.forEach(([from, to], e) => (graph.recurrent.has(e) ? back : forward).get(to)!.push(index.get(from)!));
    for (const name of graph.order) {
      const node = graph.nodes.get(name)!;
      const shapes = graph.shapes.get(name)!;
      const spec = kindOf(node);
      const inSize = shapeSize(shapes.input.length ? shapes.input : shapes.output);
      const outSize = shapeSize(shapes.output);
      const preds = forward.get(name)!;
      const recurrentPreds = back.get(name)!;
      const step: Step = {
        name, node, role: spec.role, inSize, outSize, preds, recurrentPreds,
        out: new Float32Array(capacity * outSize),
        kernel: spec.kernel?.(name, node, shapes, capacity, dt),
      };
      // input() reads a lone within-step predecessor's output in place; anything else is summed here.
      if (spec.role !== 'input' && !(preds.length === 1 && recurrentPreds.length === 0)) step.sum = new Float32Array(capacity * inSize);
      this.steps.push(step);
    }
    for (const step of this.steps) for (const p of step.recurrentPreds) this.steps[p].prev ??= new Float32Array(this.steps[p].out.length);
    this.outputIndex = index.get(graph.outputName)!;
  }

  /** The summed input of a step for `n` samples. */
  private input(step: Step, n: number): Float32Array {
    if (step.preds.length === 1 && step.recurrentPreds.length === 0) return this.steps[step.preds[0]].out;
    const sum = step.sum!;
    const len = n * step.inSize;
    sum.fill(0, 0, len);
    for (const p of step.preds) {
      const o = this.steps[p].out;
      for (let i = 0; i < len; i++) sum[i] += o[i];
    }
    for (const p of step.recurrentPreds) {
      const o = this.steps[p].prev!;
      for (let i = 0; i < len; i++) sum[i] += o[i];
    }
    return sum;
  }

  private compute(step: Step, n: number): void {
    const input = this.input(step, n);
    if (step.kernel) step.kernel.run(input, step.out, n);
    else if (input !== step.out) step.out.set(input.subarray(0, n * step.outSize));
  }

  runAnn(x: Float32Array, n: number, record?: RunOptions['record']): Float32Array {
    for (const step of this.steps) {
      if (step.role === 'input') step.out.set(x);
      else this.compute(step, n);
      record?.(step.name, 0, step.out.subarray(0, n * step.outSize), n);
    }
    return this.steps[this.outputIndex].out;
  }

  runSnn(x: Float32Array, n: number, timesteps: number, input: StepInput, record?: RunOptions['record']): Float32Array {
    // A node whose inputs never change over time computes the same output at every step: compute it once.
    for (const step of this.steps) {
      step.constant = step.role === 'input' ? input.kind === 'direct'
        : step.kernel?.reset === undefined && step.role !== 'output' && step.recurrentPreds.length === 0 && step.preds.every((p) => this.steps[p].constant);
      step.kernel?.reset?.(n);
      step.prev?.fill(0);
    }
    const output = this.steps[this.outputIndex];
    const readout = output.out;
    readout.fill(0, 0, n * output.outSize);
    for (let t = 1; t <= timesteps; t++) {
      for (const step of this.steps) {
        const len = n * step.outSize;
        if (step.constant && t > 1) {
          // unchanged since step 1
        } else if (step.role === 'input') {
          if (input.kind === 'direct') step.out.set(x);
          else if (input.kind === 'rate') {
            // One stream per sample, seeded as the chip's input encoder seeds it (simulator/input.ts), so the
            // float SNN and the integer models see the same input spikes.
            const size = step.outSize;
            for (let b = 0; b < n; b++) {
              const rng = input.rngs[b];
              for (let i = b * size, end = i + size; i < end; i++) step.out[i] = rng.next() < x[i] ? 1 : 0;
            }
          } else if (t <= input.frames) {
            const size = step.outSize;
            for (let b = 0; b < n; b++) step.out.set(x.subarray((b * input.frames + t - 1) * size, (b * input.frames + t) * size), b * size);
          } else {
            step.out.fill(0, 0, len);
          }
        } else if (step.role === 'output') {
          const input = this.input(step, n);
          for (let i = 0; i < len; i++) readout[i] += input[i];
        } else {
          this.compute(step, n);
        }
        record?.(step.name, t, step.out.subarray(0, len), n);
      }
      for (const step of this.steps) if (step.prev) step.prev.set(step.out.subarray(0, step.prev.length));
    }
    return readout;
  }
}
