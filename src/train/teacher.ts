import { tf } from './backend.js';
import { buildGraph, tensor, type AffineNode, type Conv2dNode, type Graph, type IRNode } from '../ir/graph.js';
import { UserError } from '../util/errors.js';
import { mulberry32 } from '../data/rng.js';

/** One layer of an ANN teacher (NHWC, tfjs). `inputs` name earlier layers; several are summed (residuals). */
export type TeacherLayer =
  | { kind: 'conv'; name: string; inputs: string[]; out: number; kernel: number }
  | { kind: 'relu'; name: string; inputs: string[] }
  | { kind: 'maxpool'; name: string; inputs: string[]; size: number }
  | { kind: 'flatten'; name: string; inputs: string[] }
  | { kind: 'dense'; name: string; inputs: string[]; out: number };

export const TEACHER_ARCHS = ['lenet', 'vgg', 'resnet'] as const;
export type TeacherArch = (typeof TEACHER_ARCHS)[number];

/**
 * The ANN teacher zoo. `lenet` is the LeNet (5×5 conv 16, max-pool, 5×5 conv 32, max-pool, 128,
 * classes); `vgg` two 3×3 convolutions per stage (32, 64) and a 256 hidden layer; `resnet` a stem and one
 * identity-shortcut block per stage (32, 64 channels).
 */
export function teacherLayers(arch: string, classes: number): TeacherLayer[] {
  const L: TeacherLayer[] = [];
  let prev = 'input';
  const add = (l: TeacherLayer) => { L.push(l); prev = l.name; return l.name; };
  const conv = (name: string, out: number, kernel = 3) => add({ kind: 'conv', name, inputs: [prev], out, kernel });
  const relu = (name: string, inputs = [prev]) => add({ kind: 'relu', name, inputs });
  const pool = (name: string) => add({ kind: 'maxpool', name, inputs: [prev], size: 2 });
  switch (arch) {
    case 'lenet':
      conv('conv1', 16, 5); relu('relu1'); pool('pool1');
      conv('conv2', 32, 5); relu('relu2'); pool('pool2');
      add({ kind: 'flatten', name: 'flatten', inputs: [prev] });
      add({ kind: 'dense', name: 'fc1', inputs: [prev], out: 128 }); relu('relu3');
      break;
    case 'vgg':
      conv('conv1', 32); relu('relu1'); conv('conv2', 32); relu('relu2'); pool('pool1');
      conv('conv3', 64); relu('relu3'); conv('conv4', 64); relu('relu4'); pool('pool2');
      add({ kind: 'flatten', name: 'flatten', inputs: [prev] });
      add({ kind: 'dense', name: 'fc1', inputs: [prev], out: 256 }); relu('relu5');
      break;
    case 'resnet': {
      conv('stem', 32); const s0 = relu('relu0');
      conv('block1_conv1', 32); relu('block1_relu1'); conv('block1_conv2', 32); relu('block1_relu2', [prev, s0]);
      pool('pool1');
      conv('stage2', 64); const s1 = relu('relu2');
      conv('block2_conv1', 64); relu('block2_relu1'); conv('block2_conv2', 64); relu('block2_relu2', [prev, s1]);
      pool('pool2');
      add({ kind: 'flatten', name: 'flatten', inputs: [prev] });
      break;
    }
    default:
      throw new UserError(`unknown teacher architecture '${arch}' (choose ${TEACHER_ARCHS.join(', ')})`);
  }
  add({ kind: 'dense', name: 'logits', inputs: [prev], out: classes });
  return L;
}

/** An ANN teacher being trained in tfjs. */
export interface AnnModel {
  arch: string;
  layers: TeacherLayer[];
  inputShape: [number, number, number];
  classes: number;
  weights: Map<string, { w: tf.Variable; b: tf.Variable }>;
  shapes: Map<string, number[]>;
}

export function createAnn(arch: string, inputShape: [number, number, number], classes: number, seed: number): AnnModel {
  const layers = teacherLayers(arch, classes);
  const rand = mulberry32(seed);
  const [c, h, w] = inputShape;
  const shapes = new Map<string, number[]>([['input', [h, w, c]]]);
  const weights = new Map<string, { w: tf.Variable; b: tf.Variable }>();
  const uniform = (n: number, bound: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * bound);
  for (const l of layers) {
    const s = shapes.get(l.inputs[0])!;
    switch (l.kind) {
      case 'conv': {
        const fanIn = l.kernel * l.kernel * s[2];
        weights.set(l.name, {
          w: tf.variable(tf.tensor(uniform(fanIn * l.out, Math.sqrt(6 / fanIn)), [l.kernel, l.kernel, s[2], l.out])),
          b: tf.variable(tf.zeros([l.out])),
        });
        shapes.set(l.name, [s[0], s[1], l.out]);
        break;
      }
      case 'dense':
        weights.set(l.name, {
          w: tf.variable(tf.tensor(uniform(s[0] * l.out, Math.sqrt(6 / s[0])), [s[0], l.out])),
          b: tf.variable(tf.zeros([l.out])),
        });
        shapes.set(l.name, [l.out]);
        break;
      case 'maxpool':
        if (s[0] % l.size || s[1] % l.size) throw new UserError(`teacher '${arch}' needs input sides divisible by 4; layer ${l.name} gets [${s}]`);
        shapes.set(l.name, [s[0] / l.size, s[1] / l.size, s[2]]);
        break;
      case 'flatten':
        shapes.set(l.name, [s.reduce((a, b) => a * b, 1)]);
        break;
      case 'relu':
        shapes.set(l.name, s);
        break;
    }
  }
  return { arch, layers, inputShape, classes, weights, shapes };
}

export function annVariables(m: AnnModel): tf.Variable[] {
  return [...m.weights.values()].flatMap((p) => [p.w, p.b]);
}

/** Forward pass of an ANN teacher on NHWC images: logits `[B, classes]`. */
export function runAnn(m: AnnModel, x: tf.Tensor4D): tf.Tensor2D {
  const values = new Map<string, tf.Tensor>([['input', x]]);
  let last: tf.Tensor = x;
  for (const l of m.layers) {
    const ins = l.inputs.map((n) => values.get(n)!);
    const input = ins.length === 1 ? ins[0] : tf.addN(ins);
    let out: tf.Tensor;
    switch (l.kind) {
      case 'conv': {
        const p = m.weights.get(l.name)!;
        out = tf.add(tf.conv2d(input as tf.Tensor4D, p.w as tf.Tensor4D, 1, 'same'), p.b);
        break;
      }
      case 'dense': {
        const p = m.weights.get(l.name)!;
        out = tf.add(tf.matMul(input as tf.Tensor2D, p.w as tf.Tensor2D), p.b);
        break;
      }
      case 'relu': out = tf.relu(input); break;
      case 'maxpool': out = tf.maxPool(input as tf.Tensor4D, l.size, l.size, 'valid'); break;
      case 'flatten': out = tf.reshape(input, [input.shape[0], -1]); break;
    }
    values.set(l.name, out);
    last = out;
  }
  return last as tf.Tensor2D;
}

/** NHWC conv weight `[kh, kw, in, out]` → IR/ONNX `[out, in, kh, kw]`. */
export function convWeightToOihw(w: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, ci, co] = shape;
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
    out[((o * ci + i) * kh + y) * kw + x] = w[((y * kw + x) * ci + i) * co + o];
  }
  return out;
}

/**
 * Dense weight `[in, out]` → IR `[out, in]`. When the dense layer reads a flattened feature map, the
 * trainer's flatten order is (h, w, c) and the IR's is (c, h, w): the input columns are permuted.
 */
export function denseWeightToIr(w: Float32Array, inF: number, outF: number, flattenedFrom?: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < inF; r++) {
    let col = r;
    if (flattenedFrom && flattenedFrom.length === 3) {
      const [H, W, C] = flattenedFrom;
      const hh = Math.floor(r / (W * C)), ww = Math.floor(r / C) % W, cc = r % C;
      col = (cc * H + hh) * W + ww;
    }
    for (let o = 0; o < outF; o++) out[o * inF + col] = w[r * outF + o];
  }
  return out;
}

/** 'same' padding `[top, left, bottom, right]` of a stride-1 k×k convolution (tfjs puts the extra row below). */
export function samePadding(kernel: number): [number, number, number, number] {
  const before = Math.floor((kernel - 1) / 2);
  return [before, before, kernel - 1 - before, kernel - 1 - before];
}

/** A trained layer's parameters (tfjs: conv HWIO, dense [in, out]). */
export interface LayerParams { w: tf.Tensor; b: tf.Tensor }

/** IR node of a trained 'same'-padded, stride-1 convolution (HWIO → OIHW). */
export function convLayerNode(p: LayerParams): Conv2dNode {
  const [kh, kw, ci, co] = p.w.shape;
  return {
    kind: 'Conv2d', weight: tensor([co, ci, kh, kw], convWeightToOihw(p.w.dataSync() as Float32Array, p.w.shape)),
    bias: tensor([co], p.b.dataSync()), stride: [1, 1], padding: samePadding(kh), dilation: [1, 1], groups: 1,
  };
}

/** IR node of a trained dense layer; `from` is the [H, W, C] map a Flatten turned into its input, if any. */
export function denseLayerNode(p: LayerParams, from?: number[]): AffineNode {
  const [inF, outF] = p.w.shape;
  return { kind: 'Affine', weight: tensor([outF, inF], denseWeightToIr(p.w.dataSync() as Float32Array, inF, outF, from)), bias: tensor([outF], p.b.dataSync()) };
}

/** The shape before the Flatten that feeds layer input `input` (undefined when it is not a Flatten). */
export function flattenedFrom(layers: readonly { name: string; kind: string; inputs: string[] }[], shapes: ReadonlyMap<string, number[]>, input: string): number[] | undefined {
  const src = layers.find((x) => x.name === input);
  return src?.kind === 'flatten' ? shapes.get(src.inputs[0]) : undefined;
}

/** The trained ANN as an IR graph (Conv2d/Affine/ReLU/MaxPool2d/Flatten, residuals as summed edges). */
export function annToGraph(m: AnnModel, name = `snnc-teacher-${m.arch}`): Graph {
  const nodes: [string, IRNode][] = [['input', { kind: 'Input', shape: [...m.inputShape] }]];
  const edges: [string, string][] = [];
  for (const l of m.layers) {
    let node: IRNode;
    switch (l.kind) {
      case 'conv': node = convLayerNode(m.weights.get(l.name)!); break;
      case 'dense': node = denseLayerNode(m.weights.get(l.name)!, flattenedFrom(m.layers, m.shapes, l.inputs[0])); break;
      case 'relu': node = { kind: 'ReLU' }; break;
      case 'maxpool': node = { kind: 'MaxPool2d', kernel: [l.size, l.size], stride: [l.size, l.size], padding: [0, 0, 0, 0] }; break;
      case 'flatten': node = { kind: 'Flatten' }; break;
    }
    nodes.push([l.name, node]);
    for (const i of l.inputs) edges.push([i, l.name]);
  }
  nodes.push(['output', { kind: 'Output' }]);
  edges.push([m.layers[m.layers.length - 1].name, 'output']);
  return buildGraph(nodes, edges, { name, producer: 'snnc train-teacher', notes: { teacher: m.arch } });
}
