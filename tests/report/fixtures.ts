import { writeFileSync } from 'node:fs';
import { onnx } from '../../src/onnx/proto.js';
import { OnnxBuilder } from '../../src/onnx/builder.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { CoreAssignment, MappedChip, Population, QuantGraph } from '../../compiler/types.js';
import type { TargetSpec } from '../../targets/target.js';

/**
 * A real (if simple) ANN classifier fitted to data: the nearest-class-mean rule written as
 * Flatten → Gemm, logits_c = μ_c·x − ½‖μ_c‖², with μ_c the mean training image of class c.
 * On the embedded MNIST it scores about 80 %, far above chance, and it degrades under noise, which
 * is what the robustness tests need from a model that costs nothing to build.
 */
export function writeCentroidClassifier(path: string, train: Dataset, opts: { fixedBatch?: number; flatInput?: boolean } = {}): void {
  const size = train.shape[0] * train.shape[1] * train.shape[2];
  const classes = train.classes;
  const mean = new Float32Array(classes * size);
  const count = new Array(classes).fill(0);
  for (let n = 0; n < train.count; n++) {
    const c = train.labels[n];
    count[c]++;
    for (let i = 0; i < size; i++) mean[c * size + i] += train.images[n * size + i];
  }
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let sq = 0;
    for (let i = 0; i < size; i++) {
      mean[c * size + i] /= Math.max(1, count[c]);
      sq += mean[c * size + i] ** 2;
    }
    bias[c] = -0.5 * sq;
  }
  const batchDim = opts.fixedBatch !== undefined ? { dimValue: opts.fixedBatch } : { dimParam: 'N' };
  const inputDims = opts.flatInput ? [batchDim, { dimValue: size }] : [batchDim, ...train.shape.map((d) => ({ dimValue: d }))];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'snnc-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'centroid',
      node: [
        ...(opts.flatInput ? [] : [{ opType: 'Flatten', input: ['input'], output: ['flat'], attribute: [{ name: 'axis', type: 2, i: 1 }] }]),
        { opType: 'Gemm', input: [opts.flatInput ? 'input' : 'flat', 'W', 'b'], output: ['logits'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
      ],
      initializer: [
        { name: 'W', dims: [classes, size], dataType: 1, rawData: new Uint8Array(mean.buffer) },
        { name: 'b', dims: [classes], dataType: 1, rawData: new Uint8Array(bias.buffer) },
      ],
      input: [{ name: 'input', type: { tensorType: { elemType: 1, shape: { dim: inputDims } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: 1, shape: { dim: [batchDim, { dimValue: classes }] } } } }],
    },
  });
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
}

/** Class means and the nearest-mean biases of a data set. */
function centroids(train: Dataset): { mean: Float32Array; bias: Float32Array } {
  const size = train.shape[0] * train.shape[1] * train.shape[2];
  const mean = new Float32Array(train.classes * size);
  const count = new Array(train.classes).fill(0);
  for (let n = 0; n < train.count; n++) {
    const c = train.labels[n];
    count[c]++;
    for (let i = 0; i < size; i++) mean[c * size + i] += train.images[n * size + i];
  }
  const bias = new Float32Array(train.classes);
  for (let c = 0; c < train.classes; c++) {
    let sq = 0;
    for (let i = 0; i < size; i++) sq += (mean[c * size + i] /= Math.max(1, count[c])) ** 2;
    bias[c] = -0.5 * sq;
  }
  return { mean, bias };
}

/**
 * A spiking student in snnc's ONNX dialect, obtained from the nearest-mean classifier by rate
 * conversion: Gemm (class means, biases shifted so that every logit of the training data is ≥ 0) →
 * snnc::IF with the threshold set to the largest training logit (data-based normalisation) → an
 * identity Gemm read out by accumulated potential. Its spike counts track the ANN logits, so its
 * accuracy approaches the ANN's as T grows.
 */
export function writeSpikingCentroid(path: string, train: Dataset, timesteps: number): void {
  const size = train.shape[0] * train.shape[1] * train.shape[2];
  const classes = train.classes;
  const { mean, bias } = centroids(train);
  let lo = Infinity, hi = -Infinity;
  const probe = Math.min(train.count, 1000);
  for (let n = 0; n < probe; n++) {
    for (let c = 0; c < classes; c++) {
      let z = bias[c];
      for (let i = 0; i < size; i++) z += mean[c * size + i] * train.images[n * size + i];
      lo = Math.min(lo, z);
      hi = Math.max(hi, z);
    }
  }
  const shifted = bias.map((b) => b - lo);
  const b = new OnnxBuilder({ opset: 13, name: 'spiking-centroid' });
  b.opsetImport('snnc', 1);
  b.meta('snnc.timesteps', String(timesteps));
  b.meta('snnc.encoding', 'direct');
  b.input('input', ['N', ...train.shape]);
  const flat = b.node('Flatten', ['input'], 1, { axis: { int: 1 } });
  const z = b.node('Gemm', [flat, b.init('W1', [classes, size], mean), b.init('b1', [classes], shifted)], 1, { transB: { int: 1 } });
  const s = b.node('IF', [z], 1, { threshold: { float: hi - lo }, reset: { string: 'subtract' } }, { domain: 'snnc' });
  const eye = new Float32Array(classes * classes);
  for (let c = 0; c < classes; c++) eye[c * classes + c] = 1;
  b.node('Gemm', [s, b.init('W2', [classes, classes], eye)], ['logits'], { transB: { int: 1 } });
  b.output('logits', ['N', classes]);
  writeFileSync(path, b.bytes());
}

/**
 * The spiking centroid network mapped by hand onto a shipped target (until the compiler's mapping is
 * used here): input (graded 8-bit events) → 10 IF neurons on core 0 → 10 readout neurons on a core
 * `readoutCore` (another tile, so spikes cross the mesh). Weights are the class means as 7-bit
 * mantissas; bias and threshold are scaled the same way, so the chip computes the float network's rule.
 */
export function mappedSpikingCentroid(train: Dataset, target: TargetSpec, timesteps: number, readoutCore = 9): MappedChip {
  const size = train.shape[0] * train.shape[1] * train.shape[2];
  const classes = train.classes;
  const { mean, bias } = centroids(train);
  let lo = Infinity, hi = -Infinity;
  for (let n = 0; n < Math.min(train.count, 1000); n++) {
    for (let c = 0; c < classes; c++) {
      let z = bias[c];
      for (let i = 0; i < size; i++) z += mean[c * size + i] * train.images[n * size + i];
      lo = Math.min(lo, z);
      hi = Math.max(hi, z);
    }
  }
  const wScale = 127, inScale = 255, scale = wScale * inScale;
  const population = (name: string, threshold: number, readout: boolean, b: Int32Array): Population => ({
    name, shape: [classes], size: classes, source: name, readout, bias: b,
    neuron: { model: 'IF', threshold, reset: 'subtract', stateBits: target.precision.stateBits.value, vInit: 0 },
  });
  const hidden = population('hidden', Math.round((hi - lo) * scale), false, Int32Array.from(bias, (v) => Math.round((v - lo) * scale)));
  const readout = population('readout', 2 ** (target.precision.stateBits.value - 2), true, new Int32Array(0));
  const eye = new Int32Array(classes * classes);
  for (let c = 0; c < classes; c++) eye[c * classes + c] = 1;
  const graph: QuantGraph = {
    name: 'spiking-centroid', target, timesteps, delay: target.timing.delay.value,
    input: { shape: [...train.shape], encoding: 'direct', inputScale: inScale },
    populations: [hidden, readout],
    projections: [
      { name: 'input->hidden', from: 'input', to: 'hidden', preShape: [...train.shape], postShape: [classes], weightExponent: 0, weightBits: 8, synapse: { kind: 'dense', weights: Int32Array.from(mean, (m) => Math.round(m * wScale)) } },
      { name: 'hidden->readout', from: 'hidden', to: 'readout', preShape: [classes], postShape: [classes], weightExponent: 0, weightBits: 8, synapse: { kind: 'dense', weights: eye } },
    ],
    quantError: {},
  };
  const core = (id: number, pop: string): CoreAssignment => {
    const tile = Math.floor(id / target.mesh.coresPerTile.value);
    const width = target.mesh.width.value;
    return { id, tile, x: tile % width, y: Math.floor(tile / width), slices: [{ population: pop, start: 0, end: classes }], usage: { neurons: classes, inputAxons: pop === 'hidden' ? size : classes, outputAxons: classes, synapseBits: classes * (pop === 'hidden' ? size : classes) * 8 } };
  };
  return { format: 'snnc-mapped', version: 1, placement: { graph, cores: [core(0, 'hidden'), core(readoutCore, 'readout')], cost: 0, rowMajorCost: 0, pinned: true }, routes: [] };
}
