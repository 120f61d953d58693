/**
 * `npm run bench:executor`: speed of the float reference executor (src/ir/execute.ts) on one thread.
 *   - ANN: the LeNet fixture (tests/fixtures/onnx/lenet.onnx) on the 1,996 embedded MNIST test digits;
 *   - SNN: the same network converted the simple way (ReLU → IF with a per-layer threshold equal to the
 *     layer's largest ANN activation on 200 training digits, MaxPool → AvgPool), T = 64, direct encoding,
 *     on the same 1,996 digits — the workload the compiler's calibration and evaluation run. (The fixture's
 *     weights are seeded, not trained: small logit margins, so T = 64 agreement is modest; it reaches 100 %
 *     on 100 digits at T = 1024.)
 * Figures depend on the machine's load: say so when quoting them.
 */
import { join } from 'node:path';
import { packageRoot } from '../../targets/load.js';
import { importOnnxFile } from '../onnx/import.js';
import { runGraph, predict } from '../ir/execute.js';
import { rebuild, type IRNode } from '../ir/graph.js';
import { loadMnist } from '../data/mnist.js';
import { take } from '../data/dataset.js';
import { inspectGraph } from '../ir/inspect.js';

const graph = importOnnxFile(join(packageRoot(), 'tests/fixtures/onnx/lenet.onnx')).graph;
const test = loadMnist('test');
const calib = take(loadMnist('train'), 200);
const macs = inspectGraph(graph).totals.macs;

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

const [, annSeconds] = time(() => runGraph(graph, test.images, test.count));
console.log(`ANN  LeNet, ${test.count} digits: ${annSeconds.toFixed(2)} s, ${(test.count / annSeconds).toFixed(0)} samples/s, ${((macs * test.count) / annSeconds / 1e9).toFixed(2)} GMAC/s`);

// Data-based normalisation (Diehl et al. 2015): λ = the largest ANN activation of each ReLU on 200
// training digits; weights scaled by λ_in / λ_out, biases by 1 / λ_out, IF thresholds 1.
const maxima = new Map<string, number>();
runGraph(graph, calib.images, calib.count, {
  record: (node, _step, values) => {
    let m = 0;
    for (const v of values) if (v > m) m = v;
    maxima.set(node, m);
  },
});
const scaleOf = new Map<string, number>();
const nodes: [string, IRNode][] = [];
for (const name of graph.order) {
  const node = graph.nodes.get(name)!;
  const inScale = name === graph.inputName ? 1 : scaleOf.get(graph.preds.get(name)![0])!;
  let outScale = inScale;
  let converted: IRNode = node;
  if (node.kind === 'Conv2d' || node.kind === 'Affine') {
    const relu = graph.succs.get(name)!.find((s) => graph.nodes.get(s)!.kind === 'ReLU');
    outScale = relu ? Math.max(maxima.get(name) ?? 1, 1e-3) : 1;
    const weight = { shape: node.weight.shape, data: node.weight.data.map((w) => (w * inScale) / outScale) };
    const bias = node.bias ? { shape: node.bias.shape, data: node.bias.data.map((b) => b / outScale) } : undefined;
    converted = { ...node, weight, ...(bias ? { bias } : {}) } as IRNode;
  } else if (node.kind === 'ReLU') {
    converted = { kind: 'IF', threshold: 1, reset: 'subtract' };
  } else if (node.kind === 'MaxPool2d') {
    converted = { ...node, kind: 'AvgPool2d', countIncludePad: true };
  }
  scaleOf.set(name, outScale);
  nodes.push([name, converted]);
}
const snn = rebuild(graph, nodes, graph.edges, { timesteps: 64 });
// What the SNN approximates: the ANN with its max pools replaced by average pools.
const annAvgPool = rebuild(graph, [...graph.nodes].map(([name, node]): [string, IRNode] =>
  [name, node.kind === 'MaxPool2d' ? { ...node, kind: 'AvgPool2d', countIncludePad: true } : node]), graph.edges);
const annAvgPred = predict(runGraph(annAvgPool, test.images, test.count), test.count);
let spikes = 0;
let neurons = 0;
const [out, snnSeconds] = time(() => runGraph(snn, test.images, test.count, { timesteps: 64 }));
const snnPred = predict(out, test.count);
let agree = 0;
for (let i = 0; i < test.count; i++) if (snnPred[i] === annAvgPred[i]) agree++;
// Spike rate on a small batch (the recorder forces one piece, so measure it separately).
runGraph(snn, test.images.subarray(0, 100 * 784), 100, {
  timesteps: 64,
  record: (node, _step, values) => {
    if (snn.nodes.get(node)!.kind !== 'IF') return;
    for (const v of values) spikes += v;
    neurons += values.length;
  },
});
const sampleSteps = test.count * 64;
console.log(`SNN  LeNet, ${test.count} digits × T=64: ${snnSeconds.toFixed(2)} s, ${(sampleSteps / snnSeconds).toFixed(0)} sample-steps/s, ` +
  `${(test.count / snnSeconds).toFixed(1)} samples/s; spike rate ${(spikes / neurons).toFixed(3)}; predictions agree with the average-pool ANN on ${((100 * agree) / test.count).toFixed(1)} %`);
