/**
 * Conversion of the graphs issue 21 opens (ANN → SNN): a network with a DenseNet-style Concat of computed tensors
 * and a ReduceMean head, trained here on the embedded MNIST training split, written as ONNX (Concat and
 * ReduceMean nodes), imported and converted at T = 64, keeps its ANN accuracy within 1 point on 1,000 test digits.
 */
import { describe, expect, it } from 'vitest';
import { OnnxBuilder, attr as A } from '../../src/onnx/builder.js';
import { importOnnx } from '../../src/onnx/import.js';
import { runGraph, accuracy } from '../../src/ir/execute.js';
import { loadMnist } from '../../src/data/mnist.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { loadCalibration } from '../../compiler/index.js';
import { loadTarget } from '../../targets/load.js';
import { trainConcatMean, type ConcatMeanWeights } from './trained.js';

/** The trained network as an exporter writes it: Conv, Relu, AveragePool, Concat, ReduceMean, Gemm (opset 13). */
function toOnnx(w: ConcatMeanWeights): Uint8Array {
  const b = new OnnxBuilder({ opset: 13, name: 'concat-mean', producer: 'tests' });
  b.input('x', ['n', 1, 28, 28]);
  const init = (name: string, dims: number[], v: Float32Array) => b.init(name, dims, v);
  init('w1', [w.c1, 1, 5, 5], w.conv1.w); init('b1', [w.c1], w.conv1.b);
  init('wa', [w.a, w.c1, 3, 3], w.convA.w); init('ba', [w.a], w.convA.b);
  init('w3', [w.c3, w.c1 + w.a, 5, 5], w.conv3.w); init('b3', [w.c3], w.conv3.b);
  init('fw', [10, w.c3], w.fc.w); init('fb', [10], w.fc.b);
  const pool = { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) };
  b.node('Conv', ['x', 'w1', 'b1'], ['c1'], {}, { name: 'conv1' });
  b.node('Relu', ['c1'], ['r1'], {}, { name: 'relu1' });
  b.node('AveragePool', ['r1'], ['h'], pool, { name: 'pool1' });
  b.node('Conv', ['h', 'wa', 'ba'], ['ca'], { pads: A.ints([1, 1, 1, 1]) }, { name: 'convA' });
  b.node('Relu', ['ca'], ['a'], {}, { name: 'reluA' });
  b.node('Concat', ['h', 'a'], ['cat'], { axis: A.int(1) }, { name: 'cat' });
  b.node('AveragePool', ['cat'], ['p2'], pool, { name: 'pool2' });
  b.node('Conv', ['p2', 'w3', 'b3'], ['c3'], {}, { name: 'conv3' });
  b.node('Relu', ['c3'], ['r3'], {}, { name: 'relu3' });
  b.node('ReduceMean', ['r3'], ['m'], { axes: A.ints([2, 3]), keepdims: A.int(0) }, { name: 'mean' });
  b.node('Gemm', ['m', 'fw', 'fb'], ['y'], { transB: A.int(1) }, { name: 'fc' });
  b.output('y');
  return b.bytes();
}

describe('a converted Concat/ReduceMean network (T = 64, embedded MNIST test digits)', () => {
  it('keeps its ANN accuracy within 1 point', { timeout: 240_000 }, () => {
    const { graph } = importOnnx(toOnnx(trainConcatMean()));
    const kinds = [...graph.nodes.values()].map((n) => n.kind);
    expect(kinds.filter((k) => k === 'IndexMap').length).toBe(2);
    // The first 1,000 of the 1,996 test digits (the whole split doubles the SNN run's time).
    const all = loadMnist('test');
    const n = 1000;
    const test = { images: all.images.subarray(0, n * 784), labels: all.labels.subarray(0, n), count: n };
    const annAcc = accuracy(runGraph(graph, test.images, test.count, { mode: 'ann' }), test.labels, test.count);
    expect(annAcc).toBeGreaterThan(0.9);
    const { spikingGraph, floatNet } = runPipeline(graph, { target: loadTarget('loihi-like'), timesteps: 64, calibration: loadCalibration('mnist', 256) });
    // The Concat lowered into projections: no relay, each placed input one projection into the next layer.
    expect(floatNet.populations.some((p) => /\.relay\d+$/.test(p.name))).toBe(false);
    const snnAcc = accuracy(runGraph(spikingGraph, test.images, test.count, { mode: 'snn', timesteps: 64 }), test.labels, test.count);
    console.log(`Concat/ReduceMean network on ${test.count} test digits: ANN ${(annAcc * 100).toFixed(2)} %, converted SNN at T = 64 ${(snnAcc * 100).toFixed(2)} %`);
    expect(Math.abs(annAcc - snnAcc)).toBeLessThanOrEqual(0.01);
  });
});
