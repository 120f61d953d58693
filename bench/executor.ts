/**
 * `npm run bench:executor`: speed of the float reference executor (src/ir/execute.ts) on one thread.
 *   - ANN: the LeNet fixture (tests/fixtures/onnx/lenet.onnx) on the 1,996 embedded MNIST test digits;
 *   - SNN: the same network converted by the compiler's passes (MaxPool → AvgPool, ReLU → IF with the
 *     layer's largest ANN activation on 200 training digits as threshold), T = 64, direct encoding,
 *     on the same 1,996 digits — the workload the compiler's calibration and evaluation run. (The fixture's
 *     weights are seeded, not trained: small logit margins, so T = 64 agreement is modest; it reaches 100 %
 *     on 100 digits at T = 1024.)
 * Figures depend on the machine's load: say so when quoting them.
 */
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import { importOnnxFile } from '../src/onnx/import.js';
import { runGraph, predict } from '../src/ir/execute.js';
import { rebuild } from '../src/ir/graph.js';
import { lowerMaxPool } from '../compiler/passes/lower-maxpool.js';
import { convertToSnn } from '../compiler/passes/convert.js';
import { loadMnist } from '../src/data/mnist.js';
import { take } from '../src/data/dataset.js';
import { inspectGraph } from '../src/ir/inspect.js';

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

// The compiler's own front passes: max pools → average pools, then ANN → SNN conversion with thresholds
// from the largest activation of each layer on 200 training digits (convert.ts, `--balance max`).
const annAvgPool = lowerMaxPool(graph, 'avg', () => {});
const converted = convertToSnn(annAvgPool, { calibration: { images: calib.images, count: calib.count, name: 'mnist train (200)' }, balance: 'max' });
const snn = rebuild(converted, converted.nodes, converted.edges, { timesteps: 64 });
// What the SNN approximates: the ANN with its max pools replaced by average pools.
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
