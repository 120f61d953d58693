import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx } from '../../src/onnx/export.js';
import { importOnnx } from '../../src/onnx/import.js';
import { onnx } from '../../src/onnx/proto.js';
import { runGraph } from '../../src/ir/execute.js';
import { parameterCount } from '../../src/ir/graph.js';
import { loadMnist } from '../../src/data/mnist.js';
import { FIXTURES } from '../fixtures/models.js';
import { allAnnKindsGraph, allKindsGraph, sequenceGraph, tinySnn } from '../fixtures/graphs.js';
import { maxAbsDiff, runOrt } from '../fixtures/ort.js';
import { hasOnnxChecker, officialCheck } from '../fixtures/onnx-checker.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-export-'));

/** Writes the bytes and runs the official ONNX checker on them. */
function checkBytes(bytes: Uint8Array, name: string): void {
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, bytes);
  officialCheck(file);
}

let digits: Float32Array;
beforeAll(() => { digits = loadMnist('test').images.slice(0, 100 * 784); });

describe('exportOnnx', () => {
  if (!hasOnnxChecker) {
    it.skip('official ONNX checker: /usr/bin/python3 has no onnx module (apt-get install python3-onnx)', () => {});
  }

  for (const name of Object.keys(FIXTURES) as (keyof typeof FIXTURES)[]) {
    it(`${name}: exported ANN passes the checker, runs in onnxruntime like the executor, and re-imports`, async () => {
      const graph = importOnnx(FIXTURES[name]()).graph;
      const bytes = exportOnnx(graph);
      if (hasOnnxChecker) checkBytes(bytes, name);
      const mine = runGraph(graph, digits, 100);
      const ort = await runOrt(bytes, digits, 100, [1, 28, 28]);
      expect(maxAbsDiff(mine, ort)).toBeLessThanOrEqual(1e-4);
      const back = importOnnx(bytes).graph;
      expect(parameterCount(back)).toBe(parameterCount(graph));
      expect(maxAbsDiff(runGraph(back, digits, 100), mine)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('every ANN node kind (padded Avg/Max/SumPool, Scale, Clip, Linear, Sum junction) runs in onnxruntime like the executor', async () => {
    const graph = allAnnKindsGraph();
    expect(graph.shapes.get('sum')!.output).toEqual([4, 3, 3]);
    const bytes = exportOnnx(graph);
    if (hasOnnxChecker) checkBytes(bytes, 'all-ann-kinds');
    const x = Float32Array.from({ length: 20 * 162 }, (_, i) => Math.sin(i * 0.7) * 1.5);
    const ort = await runOrt(bytes, x, 20, [2, 9, 9]);
    expect(maxAbsDiff(runGraph(graph, x, 20), ort)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(runGraph(importOnnx(bytes).graph, x, 20), ort)).toBeLessThanOrEqual(1e-4);
  });

  it('sequences: 1-D Conv, Scale and pools over [C, L] are written as ONNX 1-D ops and run in onnxruntime like the executor', async () => {
    const graph = sequenceGraph();
    expect(graph.shapes.get('dw')!.output).toEqual([4, 3]);
    const bytes = exportOnnx(graph);
    if (hasOnnxChecker) checkBytes(bytes, 'sequence');
    const model = onnx.ModelProto.decode(bytes);
    const conv = model.graph!.node!.find((n) => n.opType === 'Conv')!;
    expect(conv.attribute!.find((a) => a.name === 'kernel_shape')!.ints!.map(Number)).toEqual([5]);
    const x = Float32Array.from({ length: 20 * 60 }, (_, i) => Math.sin(i * 0.3) * 1.2);
    const ort = await runOrt(bytes, x, 20, [3, 20]);
    expect(maxAbsDiff(runGraph(graph, x, 20), ort)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(runGraph(importOnnx(bytes).graph, x, 20), ort)).toBeLessThanOrEqual(1e-5);
  });

  it('spiking graphs: snnc-domain IF/LIF declared in opset_import, metadata, checker passes, round trip exact', () => {
    for (const graph of [allKindsGraph(), tinySnn()]) {
      const bytes = exportOnnx(graph, { producer: 'snnc-trainer' });
      const model = onnx.ModelProto.decode(bytes);
      expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toContainEqual(['snnc', 1]);
      expect(model.producerName).toBe('snnc-trainer');
      const neurons = model.graph!.node!.filter((n) => n.domain === 'snnc').map((n) => n.opType);
      expect(neurons.length).toBeGreaterThan(0);
      if (hasOnnxChecker) checkBytes(bytes, graph.meta.name);
      const back = importOnnx(bytes).graph;
      expect(back.meta.timesteps).toBe(graph.meta.timesteps);
      expect(back.meta.encoding).toBe(graph.meta.encoding);
      expect([...back.nodes.values()].filter((n) => n.kind === 'IF' || n.kind === 'LIF')).toEqual(
        [...graph.nodes.values()].filter((n) => n.kind === 'IF' || n.kind === 'LIF'));
      const inSize = graph.shapes.get(graph.inputName)!.output.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: 5 * inSize }, (_, i) => ((i * 7919) % 101) / 100);
      for (const timesteps of [1, 4, 16]) {
        expect(maxAbsDiff(runGraph(back, x, 5, { timesteps }), runGraph(graph, x, 5, { timesteps }))).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('metadata_props carry time steps, encoding, the time step and notes', () => {
    const model = onnx.ModelProto.decode(exportOnnx(allKindsGraph()));
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(meta).toEqual({ 'snnc.timesteps': '6', 'snnc.encoding': 'direct', 'snnc.dt': '0.001', 'snnc.notes': '{"calibrated":true,"percentile":99.9,"method":"max"}' });
    expect(importOnnx(exportOnnx(allKindsGraph())).graph.meta.notes).toEqual(allKindsGraph().meta.notes);
  });
});
