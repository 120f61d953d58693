import { OnnxBuilder, attr } from '../onnx/builder.js';
import { loadMnist } from '../data/mnist.js';

/**
 * A deep spiking "student" with real accuracy and no training: the first layer holds one centred class-mean
 * template per class (nearest-centroid matching, about 80 % on MNIST as an ANN), followed by `relays`
 * identity IF layers and an identity readout. Written as an snnc spiking ONNX model (IF nodes of the
 * `snnc` domain, T and encoding in the metadata). Its depth is what a delayed chip pays for: under
 * one-step-per-hop delivery the readout sees the input `relays + 1` steps late.
 */
export function buildTemplateStudent(opts: { relays: number; timesteps: number; ann?: boolean }): Uint8Array {
  const train = loadMnist('train');
  const mean = new Float64Array(784);
  const classMean = Array.from({ length: 10 }, () => new Float64Array(784));
  const counts = new Array(10).fill(0);
  for (let s = 0; s < train.count; s++) {
    const c = train.labels[s];
    counts[c]++;
    for (let i = 0; i < 784; i++) { const v = train.images[s * 784 + i]; classMean[c][i] += v; mean[i] += v; }
  }
  for (let i = 0; i < 784; i++) mean[i] /= train.count;
  const w1: number[] = [];
  const b1: number[] = [];
  for (let c = 0; c < 10; c++) {
    const t = classMean[c].map((v, i) => v / counts[c] - mean[i]);
    const norm = Math.sqrt(t.reduce((a, v) => a + v * v, 0));
    for (let i = 0; i < 784; i++) w1.push(t[i] / norm);
    // The bias removes the template's response to the mean digit, so scores are (x − μ)·t̂.
    b1.push(-t.reduce((a, v, i) => a + (v / norm) * mean[i], 0));
  }
  const eye = Array.from({ length: 100 }, (_, k) => (Math.floor(k / 10) === k % 10 ? 1 : 0));
  const b = new OnnxBuilder({ opset: 18, name: `template-${opts.relays}`, producer: 'snnc-tests', producerVersion: '1' });
  if (!opts.ann) {
    b.opsetImport('snnc', 1);
    b.meta('snnc.timesteps', String(opts.timesteps));
    b.meta('snnc.encoding', 'direct');
  }
  const x = b.input('x', ['N', 1, 28, 28]);
  let h = b.node('Flatten', [x]);
  b.init('W1', [10, 784], w1);
  b.init('B1', [10], b1);
  h = b.node('Gemm', [h, 'W1', 'B1'], 1, { transB: attr.int(1) });
  const act = (v: string) => (opts.ann ? b.node('Relu', [v]) : b.node('IF', [v], 1, { threshold: attr.float(1.5), reset: attr.string('subtract') }, { domain: 'snnc' }));
  h = act(h);
  b.init('I', [10, 10], eye);
  for (let r = 0; r < opts.relays; r++) {
    h = b.node('Gemm', [h, 'I'], 1, { transB: attr.int(1) });
    h = opts.ann ? b.node('Relu', [h]) : b.node('IF', [h], 1, { threshold: attr.float(1), reset: attr.string('subtract') }, { domain: 'snnc' });
  }
  h = b.node('Gemm', [h, 'I'], ['logits'], { transB: attr.int(1) });
  b.output('logits', ['N', 10]);
  return b.bytes();
}
