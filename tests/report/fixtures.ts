import { writeFileSync } from 'node:fs';
import { onnx } from '../../src/onnx/proto.js';
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
