import { tf } from './backend.js';
import { spikingNeuron, type NeuronOptions } from './spiking.js';
import { buildGraph, type Graph, type IRNode } from '../ir/graph.js';
import { UserError } from '../util/errors.js';
import { mulberry32 } from '../data/rng.js';
import { convLayerNode, denseLayerNode, flattenedFrom } from './teacher.js';

/**
 * One layer of a spiking student. Layers form a DAG through `inputs` (names of earlier layers; several
 * inputs are summed, which is how residual additions are written, exactly as IR edges into one node).
 */
export type StudentLayer =
  | { kind: 'conv'; name: string; inputs: string[]; out: number; kernel: number }
  | { kind: 'neuron'; name: string; inputs: string[] }
  | { kind: 'avgpool'; name: string; inputs: string[]; size: number }
  | { kind: 'flatten'; name: string; inputs: string[] }
  | { kind: 'dense'; name: string; inputs: string[]; out: number };

/** A student architecture: layers after the implicit input `input`; the last layer is the readout. */
export interface StudentSpec { arch: string; layers: StudentLayer[] }

export const STUDENT_ARCHS = ['cnn', 'vgg', 'resnet'] as const;
export type StudentArch = (typeof STUDENT_ARCHS)[number];

/**
 * The student zoo. `cnn` is the reference student (two 3×3 convolutions of 16 and 32 channels,
 * IF + 2×2 average pooling after each, linear readout); `vgg` stacks two convolutions per stage and a
 * spiking hidden layer; `resnet` adds identity shortcuts summed into the neurons of each residual block.
 */
export function studentSpec(arch: string, classes: number): StudentSpec {
  const L: StudentLayer[] = [];
  let prev = 'input';
  const add = (layer: StudentLayer) => { L.push(layer); prev = layer.name; return layer.name; };
  const conv = (name: string, out: number, from = prev) => add({ kind: 'conv', name, inputs: [from], out, kernel: 3 });
  const neuron = (name: string, inputs = [prev]) => add({ kind: 'neuron', name, inputs });
  const pool = (name: string) => add({ kind: 'avgpool', name, inputs: [prev], size: 2 });
  switch (arch) {
    case 'cnn':
      conv('conv1', 16); neuron('if1'); pool('pool1');
      conv('conv2', 32); neuron('if2'); pool('pool2');
      break;
    case 'vgg':
      conv('conv1', 32); neuron('if1'); conv('conv2', 32); neuron('if2'); pool('pool1');
      conv('conv3', 64); neuron('if3'); conv('conv4', 64); neuron('if4'); pool('pool2');
      add({ kind: 'flatten', name: 'flatten', inputs: [prev] });
      add({ kind: 'dense', name: 'fc1', inputs: [prev], out: 256 }); neuron('if5');
      add({ kind: 'dense', name: 'readout', inputs: [prev], out: classes });
      return { arch, layers: L };
    case 'resnet': {
      conv('stem', 32); const s0 = neuron('if0');
      conv('block1_conv1', 32); neuron('block1_if1'); conv('block1_conv2', 32); neuron('block1_if2', [prev, s0]);
      pool('pool1');
      conv('stage2', 64); const s1 = neuron('if2');
      conv('block2_conv1', 64); neuron('block2_if1'); conv('block2_conv2', 64); neuron('block2_if2', [prev, s1]);
      pool('pool2');
      break;
    }
    default:
      throw new UserError(`unknown student architecture '${arch}' (choose ${STUDENT_ARCHS.join(', ')})`);
  }
  add({ kind: 'flatten', name: 'flatten', inputs: [prev] });
  add({ kind: 'dense', name: 'readout', inputs: [prev], out: classes });
  return { arch, layers: L };
}

/** Per-sample shape in the trainer's NHWC layout: `[H, W, C]` or `[N]`. */
type Shape = number[];

/** A student with its weights (tf.Variables, NHWC layout: conv `[kh, kw, in, out]`, dense `[in, out]`). */
export interface Student {
  spec: StudentSpec;
  inputShape: [number, number, number]; // [C, H, W] as the data set gives it
  classes: number;
  neuron: NeuronOptions;
  timesteps: number;
  encoding: 'direct' | 'rate';
  weights: Map<string, { w: tf.Variable; b: tf.Variable }>;
  shapes: Map<string, Shape>;
  /** Prefix of this student's tfjs variable names (tfjs names are process-wide and must be unique). */
  prefix: string;
}

let studentCount = 0

/** Creates a student with Kaiming-uniform weights from a seeded generator (reproducible runs). */
export function createStudent(
  spec: StudentSpec, inputShape: [number, number, number], classes: number,
  neuron: NeuronOptions, timesteps: number, encoding: 'direct' | 'rate', seed: number,
): Student {
  const rand = mulberry32(seed);
  const prefix = `student${studentCount++}/`;
  const shapes = new Map<string, Shape>();
  const [c, h, w] = inputShape;
  shapes.set('input', [h, w, c]);
  const weights = new Map<string, { w: tf.Variable; b: tf.Variable }>();
  const uniform = (n: number, bound: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * bound);
  for (const layer of spec.layers) {
    const ins = layer.inputs.map((i) => {
      const s = shapes.get(i);
      if (!s) throw new Error(`student layer ${layer.name}: unknown input ${i}`);
      return s;
    });
    const s = ins[0];
    for (const o of ins) if (o.join() !== s.join()) throw new Error(`student layer ${layer.name}: summed inputs disagree in shape`);
    switch (layer.kind) {
      case 'conv': {
        if (s.length !== 3) throw new Error(`student layer ${layer.name}: conv needs a feature map`);
        const fanIn = layer.kernel * layer.kernel * s[2];
        // Gain above Kaiming's √(6/fanIn): spiking layers need currents that reach threshold at initialisation.
        const bound = Math.sqrt(6 / fanIn) * 1.5;
        weights.set(layer.name, {
          w: tf.variable(tf.tensor(uniform(fanIn * layer.out, bound), [layer.kernel, layer.kernel, s[2], layer.out]), true, `${prefix}${layer.name}/w`),
          b: tf.variable(tf.zeros([layer.out]), true, `${prefix}${layer.name}/b`),
        });
        shapes.set(layer.name, [s[0], s[1], layer.out]);
        break;
      }
      case 'dense': {
        if (s.length !== 1) throw new Error(`student layer ${layer.name}: dense needs a flat input`);
        const bound = Math.sqrt(6 / s[0]);
        weights.set(layer.name, {
          w: tf.variable(tf.tensor(uniform(s[0] * layer.out, bound), [s[0], layer.out]), true, `${prefix}${layer.name}/w`),
          b: tf.variable(tf.zeros([layer.out]), true, `${prefix}${layer.name}/b`),
        });
        shapes.set(layer.name, [layer.out]);
        break;
      }
      case 'avgpool':
        if (s.length !== 3 || s[0] % layer.size || s[1] % layer.size) {
          throw new UserError(`student '${spec.arch}' needs input sides divisible by 4; layer ${layer.name} gets [${s}]`);
        }
        shapes.set(layer.name, [s[0] / layer.size, s[1] / layer.size, s[2]]);
        break;
      case 'flatten':
        shapes.set(layer.name, [s.reduce((a, b) => a * b, 1)]);
        break;
      case 'neuron':
        shapes.set(layer.name, s);
        break;
    }
  }
  return { spec, inputShape, classes, neuron, timesteps, encoding, weights, shapes, prefix };
}

export function trainableVariables(student: Student): tf.Variable[] {
  return [...student.weights.values()].flatMap((p) => [p.w, p.b]);
}

export function studentParameterCount(student: Student): number {
  return trainableVariables(student).reduce((n, v) => n + v.size, 0);
}

/** Images `[B, C, H, W]` (data-set layout, flat) → NHWC tensor `[B, H, W, C]`. */
export function imagesToNhwc(images: Float32Array, batch: number, shape: [number, number, number]): tf.Tensor4D {
  const [c, h, w] = shape;
  const t = tf.tensor4d(images, [batch, c, h, w]);
  return c === 1 ? tf.reshape(t, [batch, h, w, 1]) : tf.transpose(t, [0, 2, 3, 1]);
}

/** What one forward pass gives: readout potential accumulated over T, and spike rates of chosen neurons. */
export interface StudentOutput { logits: tf.Tensor2D; rates: Map<string, tf.Tensor4D> }

/**
 * Runs the student over T steps. Time is folded into the batch dimension, step-major (`[T·B, …]`), so each
 * synaptic layer is ONE convolution/matmul over all steps and only the neuron recurrence is sequential.
 * With direct encoding the input is the same at every step, so the layers before the first neuron are
 * computed once on `[B, …]` and repeated over T when they reach a neuron (identical result, T× cheaper).
 * `rateTaps` names neuron layers whose spike rates (mean over T, `[B, H, W, C]`) feature KD uses. `params` and
 * `neuron` stand in for the student's own weights and neuron settings, and `perStepMaps` transform the per-step
 * output of the layers they name (quantization-aware training, qat.ts).
 */
export function runStudent(
  student: Student, x: tf.Tensor4D,
  options: { rateTaps?: string[]; seed?: number; params?: ReadonlyMap<string, { w: tf.Tensor; b: tf.Tensor }>; neuron?: NeuronOptions;
    perStepMaps?: ReadonlyMap<string, (perStep: tf.Tensor) => tf.Tensor> } = {},
): StudentOutput {
  const paramsOf = (layer: string) => options.params?.get(layer) ?? student.weights.get(layer)!;
  const neuron = options.neuron ?? student.neuron;
  const T = student.timesteps;
  const B = x.shape[0];
  // A value is either step-invariant ([B, …]) or per step ([T·B, …]).
  const values = new Map<string, { t: tf.Tensor; perStep: boolean }>();
  if (student.encoding === 'rate') {
    // Bernoulli spikes with probability = pixel intensity, an independent draw per step.
    const noise = tf.randomUniform([T * B, ...x.shape.slice(1)], 0, 1, 'float32', options.seed);
    values.set('input', { t: tf.cast(tf.less(noise, tf.tile(x, [T, 1, 1, 1])), 'float32'), perStep: true });
  } else {
    values.set('input', { t: x, perStep: false });
  }
  const expand = (v: { t: tf.Tensor; perStep: boolean }) => (v.perStep ? v.t : tf.tile(v.t, [T, ...v.t.shape.slice(1).map(() => 1)]));
  const rates = new Map<string, tf.Tensor4D>();
  let last: { t: tf.Tensor; perStep: boolean } | undefined;
  const consumers = new Map<string, string[]>();
  for (const l of student.spec.layers) for (const i of l.inputs) consumers.set(i, [...(consumers.get(i) ?? []), l.name]);
  const fusedPools = new Set<string>();
  for (const layer of student.spec.layers) {
    if (fusedPools.has(layer.name)) continue;
    const ins = layer.inputs.map((n) => values.get(n)!);
    let input: { t: tf.Tensor; perStep: boolean };
    if (ins.length === 1) input = ins[0];
    else if (ins.every((v) => !v.perStep)) input = { t: tf.addN(ins.map((v) => v.t)), perStep: false };
    else input = { t: tf.addN(ins.map(expand)), perStep: true };
    let out: { t: tf.Tensor; perStep: boolean };
    switch (layer.kind) {
      case 'conv': {
        const p = paramsOf(layer.name);
        const y = tf.conv2d(input.t as tf.Tensor4D, p.w as tf.Tensor4D, 1, 'same');
        out = { t: tf.add(y, p.b), perStep: input.perStep };
        break;
      }
      case 'dense': {
        const p = paramsOf(layer.name);
        out = { t: tf.add(tf.matMul(input.t as tf.Tensor2D, p.w as tf.Tensor2D), p.b), perStep: input.perStep };
        break;
      }
      case 'avgpool':
        out = { t: tf.avgPool(input.t as tf.Tensor4D, layer.size, layer.size, 'valid'), perStep: input.perStep };
        break;
      case 'flatten':
        out = { t: tf.reshape(input.t, [input.t.shape[0], -1]), perStep: input.perStep };
        break;
      case 'neuron': {
        const tapped = options.rateTaps?.includes(layer.name) ?? false;
        // A neuron whose only reader is an average pooling (and whose rates nobody needs) runs fused with it.
        const readers = consumers.get(layer.name) ?? [];
        const poolLayer = readers.length === 1 && !tapped ? student.spec.layers.find((l) => l.name === readers[0]) : undefined;
        if (poolLayer?.kind === 'avgpool' && poolLayer.inputs.length === 1) {
          const fused = spikingNeuron(input.t, T, neuron, !input.perStep, poolLayer.size);
          const pooled = options.perStepMaps?.get(poolLayer.name)?.(fused) ?? fused;
          values.set(layer.name, { t: pooled, perStep: true }); // not read by anyone else
          fusedPools.add(poolLayer.name);
          out = { t: pooled, perStep: true };
          values.set(poolLayer.name, out);
          last = out;
          continue;
        }
        const s = spikingNeuron(input.t, T, neuron, !input.perStep);
        out = { t: s, perStep: true };
        if (tapped) rates.set(layer.name, tf.div(sumOverSteps(s, T), T) as tf.Tensor4D);
        break;
      }
    }
    const map = options.perStepMaps?.get(layer.name);
    if (map) out = { t: map(expand(out)), perStep: true };
    values.set(layer.name, out);
    last = out;
  }
  // Readout: the last layer integrates without spiking; its potential after T steps is Σ_t I[t].
  const readout = last!;
  const logits = readout.perStep ? sumOverSteps(readout.t, T) as tf.Tensor2D : tf.mul(readout.t, T) as tf.Tensor2D;
  return { logits, rates };
}

/** Σ over the T step-major blocks of `[T·B, …]` (slices + AddN: the wasm Sum over a leading axis transposes first). */
function sumOverSteps(x: tf.Tensor, T: number): tf.Tensor {
  if (T === 1) return x;
  return tf.addN(tf.split(x, T, 0));
}

/** Neuron layers of a student, in order (candidates for feature-KD taps). */
export function neuronLayers(student: Student): string[] {
  return student.spec.layers.filter((l) => l.kind === 'neuron').map((l) => l.name);
}

/** Per-sample NHWC shape of a layer's output. */
export function layerShape(student: Student, name: string): number[] {
  const s = student.shapes.get(name);
  if (!s) throw new UserError(`student has no layer '${name}'`);
  return s;
}

/**
 * The trained student as an IR graph (NCHW weights; Conv2d/Affine + IF/LIF + AvgPool2d + Flatten, residual
 * sums as several edges into one neuron, the readout Affine feeding Output). Adapters are not part of it.
 */
export function studentToGraph(student: Student, name = `snnc-student-${student.spec.arch}`): Graph {
  const nodes: [string, IRNode][] = [['input', { kind: 'Input', shape: [...student.inputShape] }]];
  const edges: [string, string][] = [];
  const n = student.neuron;
  for (const layer of student.spec.layers) {
    let node: IRNode;
    switch (layer.kind) {
      case 'conv': node = convLayerNode(student.weights.get(layer.name)!); break;
      case 'dense': node = denseLayerNode(student.weights.get(layer.name)!, flattenedFrom(student.spec.layers, student.shapes, layer.inputs[0])); break;
      case 'avgpool':
        node = { kind: 'AvgPool2d', kernel: [layer.size, layer.size], stride: [layer.size, layer.size], padding: [0, 0, 0, 0] };
        break;
      case 'flatten':
        node = { kind: 'Flatten' };
        break;
      case 'neuron':
        node = n.model === 'LIF'
          ? { kind: 'LIF', threshold: n.threshold, reset: n.reset, leak: n.leak }
          : { kind: 'IF', threshold: n.threshold, reset: n.reset };
        break;
    }
    nodes.push([layer.name, node]);
    for (const i of layer.inputs) edges.push([i, layer.name]);
  }
  const lastName = student.spec.layers[student.spec.layers.length - 1].name;
  nodes.push(['output', { kind: 'Output' }]);
  edges.push([lastName, 'output']);
  return buildGraph(nodes, edges, {
    name, producer: 'snnc train', timesteps: student.timesteps, encoding: student.encoding,
    notes: { student: student.spec.arch, surrogate: n.surrogate, alpha: n.alpha },
  });
}
