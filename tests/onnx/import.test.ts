import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx, importOnnxFile, OnnxError } from '../../src/onnx/import.js';
import { OnnxBuilder, attr, makeTensor, encodeModel } from '../../src/onnx/builder.js';
import { decodeTensor } from '../../src/onnx/tensor.js';
import { runGraph, predict } from '../../src/ir/execute.js';
import { inspectGraph } from '../../src/ir/inspect.js';
import { loadMnist } from '../../src/data/mnist.js';
import { FIGURES, buildLeNet, buildMlp, buildPadPoolCnn, buildResNet, SeededRandom } from '../fixtures/models.js';
import { maxAbsDiff, runOrt, softmaxRows } from '../fixtures/ort.js';

const N = 100;
let digits: Float32Array;
beforeAll(() => {
  const ds = loadMnist('test');
  digits = ds.images.slice(0, N * 784);
});

function kinds(bytes: Uint8Array): string[] {
  const g = importOnnx(bytes).graph;
  return g.order.map((n) => g.nodes.get(n)!.kind);
}

describe('the four fixture styles: import, inspect, executor vs onnxruntime on 100 MNIST digits', () => {
  it('LeNet with a Shape→Gather→Unsqueeze→Concat→Reshape flatten', async () => {
    const bytes = buildLeNet();
    const m = importOnnx(bytes);
    expect(m.producer).toBe('pytorch 2.1.0');
    expect(m.opset).toBe(13);
    expect(kinds(bytes)).toEqual(['Input', 'Scale', 'Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Affine', 'ReLU', 'Affine', 'ReLU', 'Affine', 'Output']);
    const r = inspectGraph(m.graph);
    expect(r.totals.params).toBe(FIGURES.lenet.params);
    expect(r.totals.macs).toBe(FIGURES.lenet.macs);
    expect(r.layers.find((l) => l.name === '/conv2/Conv')).toMatchObject({ outputShape: [16, 10, 10], params: 2416, macs: 240000 });
    expect(r.layers.find((l) => l.kind === 'Flatten')!.outputShape).toEqual([400]);
    // (x − 0.1307) / 0.3081 folded into one Scale: scale 1/0.3081, bias −0.1307/0.3081.
    const scale = m.graph.nodes.get(r.layers[1].name)!;
    expect(scale.kind).toBe('Scale');
    if (scale.kind === 'Scale') {
      expect(scale.scale.data[0]).toBeCloseTo(1 / 0.3081, 5);
      expect(scale.bias!.data[0]).toBeCloseTo(-0.1307 / 0.3081, 5);
    }
    const mine = runGraph(m.graph, digits, N);
    const ref = await runOrt(bytes, digits, N, [1, 28, 28]);
    expect(maxAbsDiff(mine, ref)).toBeLessThanOrEqual(1e-4);
    expect(Array.from(predict(mine, N))).toEqual(Array.from(predict(ref, N)));
  });

  it('residual net with explicit BatchNormalization (folded), auto_pad, depthwise dilated conv, fixed batch 1', async () => {
    const bytes = buildResNet();
    const m = importOnnx(bytes);
    expect(m.opset).toBe(11);
    expect(kinds(bytes)).toEqual(['Input', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'AvgPool2d', 'Flatten', 'Affine', 'Output']);
    // The residual Add is two edges into the ReLU after it.
    const reluAfterAdd = m.graph.order[6];
    expect(m.graph.preds.get(reluAfterAdd)!.length).toBe(2);
    const r = inspectGraph(m.graph);
    expect(r.totals.params).toBe(FIGURES.resnet.params);
    expect(r.totals.macs).toBe(FIGURES.resnet.macs);
    expect(r.layers.find((l) => l.name === 'dw')).toMatchObject({ outputShape: [16, 7, 7], params: 160, macs: 7056 });
    expect(r.layers.find((l) => l.name === 'c1')).toMatchObject({ outputShape: [8, 28, 28], params: 80, macs: 56448 });
    const mine = runGraph(m.graph, digits, N);
    const ref = await runOrt(bytes, digits, N, [1, 28, 28], true);
    expect(maxAbsDiff(mine, ref)).toBeLessThanOrEqual(1e-4);
  });

  it('Gemm MLP with alpha/beta, transB, Dropout, Clip, Identity, unused initializer and a final Softmax', async () => {
    const bytes = buildMlp();
    const m = importOnnx(bytes);
    expect(m.dropped).toEqual(["Dropout (node 'Dropout_3')", "Softmax (node 'Softmax_8')"]);
    expect(m.graph.meta.dropped).toEqual(m.dropped);
    expect(kinds(bytes)).toEqual(['Input', 'Flatten', 'Affine', 'ReLU', 'Affine', 'Clip', 'Affine', 'Output']);
    const r = inspectGraph(m.graph);
    expect(r.totals.params).toBe(FIGURES.mlp.params);
    expect(r.totals.macs).toBe(FIGURES.mlp.macs);
    const mine = runGraph(m.graph, digits, N);
    const probs = await runOrt(bytes, digits, N, [1, 28, 28]);
    expect(maxAbsDiff(softmaxRows(mine, 10), probs)).toBeLessThanOrEqual(1e-4);
    const logits = await runOrt(buildMlp({ softmax: false }), digits, N, [1, 28, 28]);
    expect(maxAbsDiff(mine, logits)).toBeLessThanOrEqual(1e-4);
  });

  it('CNN with Pad+AveragePool, float16/float64 initializers behind Cast, and a bias-free MatMul head (opset 21)', async () => {
    const bytes = buildPadPoolCnn();
    const m = importOnnx(bytes);
    expect(m.opset).toBe(21);
    expect(kinds(bytes)).toEqual(['Input', 'Scale', 'Conv2d', 'ReLU', 'AvgPool2d', 'Conv2d', 'ReLU', 'AvgPool2d', 'Flatten', 'Linear', 'Output']);
    const pool = m.graph.nodes.get(m.graph.order[4])!;
    expect(pool).toMatchObject({ kind: 'AvgPool2d', padding: [1, 1, 1, 1], countIncludePad: true });
    const r = inspectGraph(m.graph);
    expect(r.totals.params).toBe(FIGURES.padpool.params);
    expect(r.totals.macs).toBe(FIGURES.padpool.macs);
    expect(r.layers[4].outputShape).toEqual([4, 14, 14]);
    const mine = runGraph(m.graph, digits, N);
    const ref = await runOrt(bytes, digits, N, [1, 28, 28]);
    expect(maxAbsDiff(mine, ref)).toBeLessThanOrEqual(1e-4);
  });

  it('the fixture weights behave like a network (not degenerate): outputs vary across digits', () => {
    for (const build of [buildLeNet, buildResNet, buildMlp, buildPadPoolCnn]) {
      const y = runGraph(importOnnx(build()).graph, digits, N);
      expect(new Set(Array.from(predict(y, N))).size).toBeGreaterThan(1);
    }
  });
});

describe('ONNX loading details', () => {
  it('reads the same model from every opset 11–21 and from typed fields as from raw_data', () => {
    const x = digits.subarray(0, 5 * 784);
    const reference = runGraph(importOnnx(buildLeNet()).graph, x, 5);
    for (const opset of [11, 12, 14, 15, 16, 17, 18, 19, 20, 21]) {
      const m = importOnnx(buildLeNet({ opset }));
      expect(m.opset).toBe(opset);
      expect(runGraph(m.graph, x, 5)).toEqual(reference);
    }
    expect(runGraph(importOnnx(buildLeNet({ storage: 'typed' })).graph, x, 5)).toEqual(reference);
    expect(runGraph(importOnnx(buildPadPoolCnn({ storage: 'typed' })).graph, x, 5)).toEqual(runGraph(importOnnx(buildPadPoolCnn()).graph, x, 5));
  });

  it('decodes float32, float16, float64, int64 and int32 from raw_data and typed fields', () => {
    const values = [0, 1, -2.5, 65504, 0.333251953125, -7];
    for (const type of ['float32', 'float16', 'float64', 'int64', 'int32'] as const) {
      const expected = type.startsWith('int') ? values.map(Math.trunc) : values;
      for (const storage of ['raw', 'typed'] as const) {
        const t = decodeTensor(makeTensor('t', [2, 3], expected, type, storage), 't');
        expect(t.dims).toEqual([2, 3]);
        expect(Array.from(t.data)).toEqual(expected);
      }
    }
  });

  it('refuses tensors whose data does not match their shape, before allocating', () => {
    const t = makeTensor('w', [4], [1, 2, 3, 4]);
    expect(() => decodeTensor({ ...t, dims: [2 ** 20, 2 ** 20] }, 'w')).toThrow(/more than the limit/);
    expect(() => decodeTensor({ ...t, dims: [5] }, 'w')).toThrow(/needs 20 bytes of float32, raw data has 16/);
    expect(() => decodeTensor({ ...t, dims: [-1] }, 'w')).toThrow(/invalid dimension/);
    expect(() => decodeTensor({ ...t, dataType: 8 }, 'w')).toThrow(/string/);
  });

  it('imports Constant nodes (tensor, value_float, value_ints) and a symbolic batch dimension', () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', ['n', 3]);
    const w = b.node('Constant', [], 1, { value: attr.tensor(makeTensor('', [3, 2], [1, 2, 3, 4, 5, 6])) });
    const k = b.node('Constant', [], 1, { value_float: attr.float(0.5) });
    const h = b.node('MatMul', [x, w]);
    const s = b.node('Mul', [h, k]);
    const shape = b.node('Constant', [], 1, { value_ints: attr.ints([-1, 2]) });
    b.node('Reshape', [s, shape], ['y']);
    b.output('y', ['n', 2]);
    const g = importOnnx(b.bytes()).graph;
    expect(g.shapes.get(g.inputName)!.output).toEqual([3]);
    expect(Array.from(runGraph(g, Float32Array.of(1, 0, 1, 0, 1, 0), 2))).toEqual([3, 4, 1.5, 2]);
  });

  it('Sub/Div/Mul by constants on the input fold into one Scale node; Add of a bias folds into Gemm/Conv', () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', ['n', 2, 4, 4]);
    b.init('mean', [1, 2, 1, 1], [0.5, 0.25]);
    b.init('std', [1, 2, 1, 1], [2, 4]);
    b.init('two', [], [2]);
    b.init('w', [3, 2, 1, 1], [1, 0, 0, 1, 1, 1]);
    b.init('bias', [1, 3, 1, 1], [0.1, 0.2, 0.3]);
    let h = b.node('Sub', [x, 'mean']);
    h = b.node('Div', [h, 'std']);
    h = b.node('Mul', ['two', h]);
    h = b.node('Conv', [h, 'w']);
    b.node('Add', [h, 'bias'], ['y']);
    b.output('y');
    const g = importOnnx(b.bytes()).graph;
    expect(g.order.map((n) => g.nodes.get(n)!.kind)).toEqual(['Input', 'Scale', 'Conv2d', 'Output']);
    const scale = g.nodes.get(g.order[1])!;
    if (scale.kind !== 'Scale') throw new Error('expected Scale');
    expect(Array.from(scale.scale.data)).toEqual([1, 0.5]);
    expect(Array.from(scale.bias!.data)).toEqual([-0.5, -0.125]);
    const conv = g.nodes.get(g.order[2])!;
    expect(conv.kind === 'Conv2d' && Array.from(conv.bias!.data)).toEqual(Array.from(Float32Array.of(0.1, 0.2, 0.3)));
  });

  it('MatMul + Add bias becomes one Affine; BatchNormalization after Gemm folds; a final LogSoftmax is dropped', () => {
    const b = new OnnxBuilder({ opset: 14 });
    const x = b.input('x', ['n', 2]);
    b.init('w', [2, 2], [1, 2, 3, 4]);
    b.init('b', [2], [0.5, -0.5]);
    b.init('g', [2], [2, 1]); b.init('beta', [2], [0, 1]); b.init('m', [2], [1, 0]); b.init('v', [2], [1 - 1e-5, 4 - 1e-5]);
    let h = b.node('MatMul', [x, 'w']);
    h = b.node('Add', ['b', h]);
    h = b.node('BatchNormalization', [h, 'g', 'beta', 'm', 'v']);
    b.node('LogSoftmax', [h], ['y'], { axis: attr.int(1) });
    b.output('y');
    const m = importOnnx(b.bytes());
    expect(m.graph.order.map((n) => m.graph.nodes.get(n)!.kind)).toEqual(['Input', 'Affine', 'Output']);
    expect(m.dropped).toEqual(["LogSoftmax (node 'LogSoftmax_3')"]);
    // x = [1, 1]: MatMul [4, 6], + b [4.5, 5.5], BN: 2·(4.5 − 1)/1 + 0 = 7, 1·(5.5 − 0)/2 + 1 = 3.75
    const y = runGraph(m.graph, Float32Array.of(1, 1), 1);
    expect(y[0]).toBeCloseTo(7, 4);
    expect(y[1]).toBeCloseTo(3.75, 4);
  });

  it('a Reshape of the graph input relabels the Input shape ([N, 784] → [N, 1, 28, 28])', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('flat', ['n', 784]);
    b.init('shape', [4], [-1, 1, 28, 28], 'int64');
    b.init('k', [2, 1, 3, 3], new SeededRandom(9).he(18, 9));
    const img = b.node('Reshape', [x, 'shape']);
    b.node('Flatten', [b.node('Conv', [img, 'k'], 1, { strides: attr.ints([3, 3]) })], ['y']);
    b.output('y');
    const g = importOnnx(b.bytes()).graph;
    expect(g.nodes.get(g.inputName)).toEqual({ kind: 'Input', shape: [1, 28, 28] });
    const input = digits.subarray(0, 3 * 784);
    expect(maxAbsDiff(runGraph(g, input, 3), await runOrt(b.bytes(), input, 3, [784]))).toBeLessThanOrEqual(1e-5);
  });

  it('imports snnc-domain IF/LIF nodes with their attributes and the time steps / encoding metadata', () => {
    const b = new OnnxBuilder({ opset: 13 });
    b.opsetImport('snnc', 1);
    b.meta('snnc.timesteps', '8');
    b.meta('snnc.encoding', 'rate');
    const x = b.input('x', ['n', 4]);
    b.init('w1', [4, 4], new SeededRandom(5).he(16, 4));
    b.init('w2', [4, 3], new SeededRandom(6).he(12, 4));
    let h = b.node('MatMul', [x, 'w1']);
    h = b.node('IF', [h], 1, { threshold: attr.float(0.75), reset: attr.string('zero') }, { domain: 'snnc' });
    h = b.node('MatMul', [h, 'w2']);
    b.node('LIF', [h], ['y'], { threshold: attr.float(1), reset: attr.string('subtract'), leak: attr.float(0.125) }, { domain: 'snnc', name: 'lif' });
    b.output('y');
    const g = importOnnx(b.bytes()).graph;
    expect(g.meta.timesteps).toBe(8);
    expect(g.meta.encoding).toBe('rate');
    expect(g.nodes.get('IF_1')).toEqual({ kind: 'IF', threshold: 0.75, reset: 'zero' });
    expect(g.nodes.get('lif')).toEqual({ kind: 'LIF', threshold: 1, reset: 'subtract', leak: 0.125 });
  });

  it('names node, op type and opset for an unsupported op', () => {
    const b = new OnnxBuilder({ opset: 15 });
    const x = b.input('x', ['n', 4]);
    b.node('Tanh', [x], ['y'], {}, { name: 'act1' });
    b.output('y');
    expect(() => importOnnx(b.bytes())).toThrow(OnnxError);
    expect(() => importOnnx(b.bytes())).toThrow("node 'act1': operator Tanh (opset 15) is not supported");
  });

  it('refuses opsets outside 11–21, a Softmax that is not last, and garbage bytes', () => {
    expect(() => importOnnx(buildLeNet({ opset: 10 }))).toThrow(/opset 10 is not supported/);
    expect(() => importOnnx(buildLeNet({ opset: 22 }))).toThrow(/opset 22 is not supported/);
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', ['n', 4]);
    b.node('Relu', [b.node('Softmax', [x], 1, {}, { name: 'sm' })], ['y']);
    b.output('y');
    expect(() => importOnnx(b.bytes())).toThrow(/node 'sm' \(Softmax, opset 13\): Softmax is only supported as the last op/);
    expect(() => importOnnx(new TextEncoder().encode('not a model at all'))).toThrow(OnnxError);
  });

  it('reads external data only from inside the model folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'snnc-ext-'));
    const dir = join(root, 'model');
    mkdirSync(dir);
    const weights = new Float32Array([1, 2, 3, 4, 5, 6]);
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(weights.buffer));
    writeFileSync(join(root, 'outside.bin'), new Uint8Array(weights.buffer));
    symlinkSync(join(root, 'outside.bin'), join(dir, 'link.bin'));
    const model = (location: string, extra: { key: string; value: string }[] = []) => {
      const b = new OnnxBuilder({ opset: 13 });
      const x = b.input('x', ['n', 3]);
      b.node('MatMul', [x, 'w'], ['y']);
      b.output('y');
      const m = b.model();
      m.graph!.initializer = [{ name: 'w', dims: [3, 2], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: location }, ...extra] }];
      const file = join(dir, `m-${Math.abs(hash(location + JSON.stringify(extra)))}.onnx`);
      writeFileSync(file, encodeModel(m));
      return file;
    };
    const g = importOnnxFile(model('w.bin')).graph;
    expect(Array.from(runGraph(g, Float32Array.of(1, 1, 1), 1))).toEqual([9, 12]);
    expect(() => importOnnxFile(model('../outside.bin'))).toThrow(/escapes the model's folder/);
    expect(() => importOnnxFile(model(join(root, 'outside.bin')))).toThrow(/is absolute/);
    expect(() => importOnnxFile(model('link.bin'))).toThrow(/resolves outside the model's folder/);
    expect(() => importOnnxFile(model('missing.bin'))).toThrow(/not found/);
    expect(() => importOnnxFile(model('w.bin', [{ key: 'offset', value: '8' }]))).toThrow(/has 24 bytes, 24 are needed from offset 8/);
    const m = model('w.bin');
    expect(() => importOnnx(readFileSync(m))).toThrow(/not loaded from a folder/);
  });
});

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
