import { writeFileSync } from 'node:fs';
import { onnx } from '../../src/onnx/proto.js';
import { OnnxBuilder } from '../../src/onnx/builder.js';
import type { Dataset } from '../../src/data/dataset.js';

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

