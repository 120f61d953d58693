import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphToJson, graphFromJson, writeGraphJson, readGraphJson } from '../../src/ir/json.js';
import { NODE_KINDS } from '../../src/ir/graph.js';
import { runGraph } from '../../src/ir/execute.js';
import { importOnnx } from '../../src/onnx/import.js';
import { UserError } from '../../src/util/errors.js';
import { allKindsGraph } from '../fixtures/graphs.js';
import { buildLeNet } from '../fixtures/models.js';

describe('IR JSON', () => {
  it('round-trips a graph holding every node kind, bit for bit', () => {
    const g = allKindsGraph();
    expect(new Set([...g.nodes.values()].map((n) => n.kind))).toEqual(new Set(NODE_KINDS));
    const json = JSON.parse(JSON.stringify(graphToJson(g)));
    const back = graphFromJson(json);
    expect(Object.fromEntries(back.nodes)).toEqual(Object.fromEntries(g.nodes));
    expect(back.edges).toEqual(g.edges);
    expect(back.meta).toEqual(g.meta);
    expect(graphToJson(back)).toEqual(json);
    const x = Float32Array.from({ length: 2 * 128 }, (_, i) => (i % 9) / 8);
    expect(runGraph(back, x, 2)).toEqual(runGraph(g, x, 2));
  });

  it('the IR schema names exactly the registry\'s node kinds', () => {
    const schema = JSON.parse(readFileSync(join(packageRoot(), 'schemas', 'ir.schema.json'), 'utf8'));
    expect(schema.definitions.node.properties.kind.enum).toEqual([...NODE_KINDS]);
  });

  it('stores tensors compactly (base64 float32) and files round-trip', () => {
    const g = importOnnx(buildLeNet()).graph;
    const dir = mkdtempSync(join(tmpdir(), 'snnc-json-'));
    const file = join(dir, 'lenet.snn.json');
    writeGraphJson(file, g);
    const text = JSON.stringify(graphToJson(g));
    expect(text.length).toBeLessThan(61708 * 4 * 1.4 + 20000);
    const back = readGraphJson(file);
    const x = new Float32Array(2 * 784).fill(0.5);
    expect(runGraph(back, x, 2)).toEqual(runGraph(g, x, 2));
  });

  it('refuses JSON that breaks the schema or the graph rules, naming the field or node', () => {
    const good = graphToJson(allKindsGraph());
    const variant = (edit: (j: any) => void) => { const j = JSON.parse(JSON.stringify(good)); edit(j); return j; };
    const cases: [any, RegExp][] = [
      [variant((j) => { j.format = 'nir'; }), /format/],
      [variant((j) => { j.nodes[2].kind = 'Conv3d'; }), /nodes\.2\.kind/],
      [variant((j) => { delete j.nodes[2].weight; }), /nodes\.2/],
      [variant((j) => { j.nodes[2].weight.data = j.nodes[2].weight.data.slice(8); }), /node 'conv' weight: shape \[4,2,3,3\] needs 288 bytes/],
      [variant((j) => { j.nodes[2].weight.shape = [1024, 1024, 1024, 1024]; }), /needs/],
      [variant((j) => { j.nodes[6].threshold = -1; }), /threshold/],
      [variant((j) => { j.edges.push(['clip', 'norm']); }), /cycle through norm -> conv -> clip -> norm with no node that holds state/],
      [variant((j) => { j.edges.push(['head', 'conv']); }), /recurrent edge from 'head' delivers \[3\]/],
      [variant((j) => { delete j.meta.dt; }), /node 'cuba': tau_syn is a time constant: the graph needs a time step dt/],
      [variant((j) => { j.edges.push(['ghost', 'head']); }), /unknown node/],
      [variant((j) => { j.nodes[3].min = 5; }), /Clip min 5 > max 2/],
      ['not an object', /top level/],
    ];
    for (const [json, message] of cases) {
      expect(() => graphFromJson(json)).toThrow(UserError);
      expect(() => graphFromJson(json)).toThrow(message);
    }
    const dir = mkdtempSync(join(tmpdir(), 'snnc-json-'));
    writeFileSync(join(dir, 'bad.json'), '{"format": ');
    expect(() => readGraphJson(join(dir, 'bad.json'))).toThrow(/is not valid JSON/);
    expect(() => readGraphJson(join(dir, 'missing.json'))).toThrow(/missing\.json' does not exist/);
  });
});
