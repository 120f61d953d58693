/**
 * Writing NIR: every file snnc reads, written and read again, is the same IR; snnc's own semantics that NIR cannot
 * say (reset by subtraction, v ≥ θ, the dt-free leak, …) survive the round trip through the metadata, with a warning
 * that other readers will not see them; and a written file opens with h5py in NIR's layout and dtypes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph, tensor, type Graph, type IRNode } from '../../src/ir/graph.js';
import { graphToJson } from '../../src/ir/json.js';
import { runGraph } from '../../src/ir/execute.js';
import { neuronDynamics } from '../../src/ir/kinds/neuron.js';
import { createRng } from '../../src/data/rng.js';
import { readNir } from '../../src/nir/read.js';
import { writeNir } from '../../src/nir/write.js';
import { writeHdf5, type H5Tree } from '../../src/nir/hdf5.js';
import { UserError } from '../../src/util/errors.js';
import { nirFiles, nirPath, nirPresent } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-nir-'));
const json = (g: Graph) => JSON.stringify(graphToJson(g));

function seeded(n: number, seed: number, scale = 1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

/** A graph of every IR kind NIR can hold, in snnc's own forms: numbers for parameters, subtract/ge neurons, a
 * dt-free LIF, a Scale with a bias, asymmetric padding, a Sum, names NIR's HDF5 cannot hold. */
function snncGraph(): Graph {
  const nodes: [string, IRNode][] = [
    ['input', { kind: 'Input', shape: [2, 6, 6] }],
    ['/conv/1', { kind: 'Conv2d', weight: tensor([4, 2, 3, 3], seeded(72, 1)), stride: [1, 1], padding: [0, 1, 1, 0], dilation: [1, 1], groups: 1 }],
    ['if', { kind: 'IF', threshold: 0.5, reset: 'subtract', vInit: 0.25 }],
    ['pool', { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 1, 1], countIncludePad: false }],
    ['scale', { kind: 'Scale', scale: tensor([4], [1, 2, 3, 4]), bias: tensor([4], [0.1, 0.2, 0.3, 0.4]) }],
    ['flat', { kind: 'Flatten' }],
    ['fc', { kind: 'Affine', weight: tensor([10, 36], seeded(360, 2, 0.5)), bias: tensor([10], seeded(10, 3, 0.1)) }],
    ['lif', { kind: 'LIF', leak: 0.1, threshold: 0.4, reset: 'subtract', fire: 'ge' }],
    ['a', { kind: 'Linear', weight: tensor([10, 10], seeded(100, 4)) }],
    ['b', { kind: 'Linear', weight: tensor([10, 10], seeded(100, 5)) }],
    ['sum', { kind: 'Sum' }],
    ['if0', { kind: 'LIF', leak: 0, threshold: 0.3, reset: 'zero', fire: 'gt' }],
    ['delay', { kind: 'Delay', delay: tensor([10], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]) }],
    ['cuba', { kind: 'CubaLIF', tauSyn: 5e-4, tauMem: tensor([10], seeded(10, 6).map((v) => 2e-3 + v * 1e-3)), threshold: 0.2, reset: 'subtract', wIn: 2 }],
    ['th', { kind: 'Threshold', threshold: 0.5 }],
    ['c', { kind: 'Linear', weight: tensor([6, 10], seeded(60, 7)) }],
    ['integ', { kind: 'I', r: 0.5 }],
    ['d', { kind: 'Linear', weight: tensor([6, 6], seeded(36, 8)) }],
    ['li', { kind: 'LI', tau: 1e-3, vLeak: 0.1 }],
    ['e', { kind: 'Linear', weight: tensor([3, 6], seeded(18, 9)) }],
    ['culi', { kind: 'CubaLI', tauSyn: 4e-4, tauMem: 2e-3, vInit: 0.5 }],
    ['output', { kind: 'Output' }],
  ];
  const chain = nodes.map(([n]) => n).filter((n) => !['a', 'b'].includes(n));
  const edges: [string, string][] = [];
  for (let i = 0; i + 1 < chain.length; i++) if (chain[i] !== 'lif') edges.push([chain[i], chain[i + 1]]);
  edges.push(['lif', 'a'], ['lif', 'b'], ['a', 'sum'], ['b', 'sum']);
  return buildGraph(nodes, edges, { name: 'every-kind', dt: 1e-4, timesteps: 8, encoding: 'direct', producer: 'snnc test', notes: { k: 1 } });
}

describe('writing NIR', () => {
  it('keeps snnc\'s own semantics through a write and read: same outputs, same dynamics, and says what other readers lose', () => {
    const g = snncGraph();
    const file = join(dir, 'every-kind.nir');
    const { warnings } = writeNir(g, file);
    const text = warnings.join('\n');
    expect(text).toMatch(/NIR has no reset by subtraction: 'if', 'lif', 'cuba' reset by subtracting the threshold.*other NIR readers will reset them to v_reset/);
    expect(text).toMatch(/fire when v > θ: 'if', 'lif', 'cuba', 'th' fire at v ≥ θ/);
    expect(text).toMatch(/'if', 'culi' start from a non-zero potential/);
    expect(text).toMatch(/Scale has no bias: the bias of 'scale'/);
    expect(text).toMatch(/asymmetric padding of '\/conv\/1', 'pool'/);
    expect(text).toMatch(/dt-free LIF 'lif', 'if0' written as NIR LIF with tau = dt\/leak/);
    const r = readNir(file);
    expect(r.warnings).toEqual([]);
    expect(r.dt).toEqual({ value: 1e-4, source: 'file' });
    const back = r.graph;
    expect(back.meta).toEqual(g.meta);
    expect([...back.nodes.keys()].sort()).toEqual([...g.nodes.keys()].sort());
    expect(back.edges).toEqual(g.edges);
    expect(back.nodes.get('lif')).toMatchObject({ kind: 'LIF', leak: 0.1, reset: 'subtract', fire: 'ge' });
    expect(back.nodes.get('if0')).toMatchObject({ kind: 'LIF', leak: 0, reset: 'zero', fire: 'gt' });
    expect(back.nodes.get('sum')).toEqual({ kind: 'Sum' });
    expect(back.nodes.get('/conv/1')).toMatchObject({ padding: [0, 1, 1, 0] });
    expect((back.nodes.get('/conv/1') as { bias?: unknown }).bias).toBeUndefined();
    expect(back.nodes.get('pool')).toMatchObject({ padding: [0, 0, 1, 1], countIncludePad: false });
    expect(Array.from((back.nodes.get('delay') as { delay: { data: Float32Array } }).delay.data)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    for (const name of g.order) {
      const a = g.nodes.get(name)!;
      if (!['IF', 'LIF', 'CubaLIF', 'LI', 'CubaLI', 'I', 'Threshold'].includes(a.kind)) continue;
      const size = g.shapes.get(name)!.output.reduce((x, y) => x * y, 1);
      const da = neuronDynamics(name, a as never, size, 1e-4);
      const db = neuronDynamics(name, back.nodes.get(name)! as never, size, 1e-4);
      // Float32 storage of time constants rounds 1 − dt/τ in the last places; everything else is exact.
      for (const k of ['keep', 'gain', 'bias', 'threshold', 'vReset', 'vInit'] as const) {
        const x = da[k], y = db[k];
        if (x === null || y === null) { expect(y, `${name}.${k}`).toBe(x); continue; }
        for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i]), `${name}.${k}[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(x[i])));
      }
      expect([db.reset, db.fire], name).toEqual([da.reset, da.fire]);
    }
    const T = 8;
    const x = Float32Array.from(seeded(4 * T * 72, 11).map((v) => Math.max(0, v)));
    const ya = runGraph(g, x, 4, { inputSteps: T, timesteps: T + 4 });
    const yb = runGraph(back, x, 4, { inputSteps: T, timesteps: T + 4 });
    for (let i = 0; i < ya.length; i++) expect(yb[i]).toBeCloseTo(ya[i], 4);
    expect(ya.some((v) => v !== 0)).toBe(true);
    // Read back and written again: the same IR exactly.
    writeNir(back, join(dir, 'again.nir'));
    expect(json(readNir(join(dir, 'again.nir')).graph)).toBe(json(back));
  });

  it('refuses what NIR has no type for (an ANN\'s ReLU), naming the node', () => {
    const g = buildGraph([
      ['input', { kind: 'Input', shape: [4] }],
      ['fc', { kind: 'Affine', weight: tensor([2, 4], seeded(8, 1)), bias: tensor([2]) }],
      ['relu', { kind: 'ReLU' }],
      ['output', { kind: 'Output' }],
    ], [['input', 'fc'], ['fc', 'relu'], ['relu', 'output']], { name: 'ann' });
    expect(() => writeNir(g, join(dir, 'ann.nir'))).toThrow(UserError);
    expect(() => writeNir(g, join(dir, 'ann.nir'))).toThrow(/node 'relu' is a ReLU, which NIR has no type for/);
  });

  it('reads NIR types that real files of ../shared/nir do not hold: Conv1d over [C, L], Scale, I, Threshold, Delay in seconds', () => {
    const num = (shape: number[], values: number[], kind: 'float32' | 'int64' = 'float32') => (kind === 'int64' ? { kind, value: values, shape } as const : { kind, value: values, shape } as const);
    const node = (type: string, fields: [string, ReturnType<typeof num>][]): [string, H5Tree] => ['', { datasets: [['type', { kind: 'string', value: type }], ...fields], groups: [] }];
    const named = (name: string, n: [string, H5Tree]): [string, H5Tree] => [name, n[1]];
    const file = join(dir, 'conv1d.nir');
    writeHdf5(file, {
      datasets: [['version', { kind: 'string', value: '1.0.7' }]],
      groups: [['node', {
        datasets: [['type', { kind: 'string', value: 'NIRGraph' }], ['edges', { kind: 'string', value: ['in', 'conv', 'conv', 'scale', 'scale', 'th', 'th', 'delay', 'delay', 'flat', 'flat', 'i', 'i', 'out'], shape: [7, 2] }]],
        groups: [['nodes', {
          datasets: [],
          groups: [
            named('in', node('Input', [['shape', num([2], [2, 8], 'int64')]])),
            named('conv', node('Conv1d', [['weight', num([3, 2, 3], seeded(18, 1))], ['bias', num([3], [0, 0, 0])], ['stride', num([], [1], 'int64')], ['padding', num([], [1], 'int64')], ['dilation', num([], [1], 'int64')], ['groups', num([], [1], 'int64')], ['input_shape', num([], [8], 'int64')]])),
            named('scale', node('Scale', [['scale', num([3, 8], new Array(24).fill(2))]])),
            named('th', node('Threshold', [['threshold', num([3, 8], new Array(24).fill(0.5))]])),
            named('delay', node('Delay', [['delay', num([3, 8], new Array(24).fill(3e-4))]])),
            named('flat', node('Flatten', [['start_dim', num([], [0], 'int64')], ['end_dim', num([], [-1], 'int64')]])),
            named('i', node('I', [['r', num([24], new Array(24).fill(1))]])),
            named('out', node('Output', [['shape', num([1], [24], 'int64')]])),
          ],
        }]],
      }]],
    });
    const r = readNir(file);
    expect(r.graph.order.map((n) => `${n}:${r.graph.shapes.get(n)!.output.join('x')}`)).toEqual(['in:2x1x8', 'conv:3x1x8', 'scale:3x1x8', 'th:3x1x8', 'delay:3x1x8', 'flat:24', 'i:24', 'out:24']);
    expect(r.graph.nodes.get('conv')).toMatchObject({ kind: 'Conv2d', stride: [1, 1], padding: [0, 1, 0, 1], weight: { shape: [3, 2, 1, 3] } });
    expect(r.graph.nodes.get('th')).toMatchObject({ kind: 'Threshold', fire: 'gt' });
    expect(Array.from((r.graph.nodes.get('delay') as { delay: { data: Float32Array } }).delay.data).every((d) => d === 3)).toBe(true);
    expect(Array.from((r.graph.nodes.get('scale') as { scale: { data: Float32Array } }).scale.data)).toEqual([2]);
    expect(r.warnings.join('\n')).toMatch(/Conv1d read as a Conv2d over \[C, 1, L\] .*\(conv\)/);
    // A Delay that is not a whole number of steps of dt is refused, naming the node.
    expect(() => readNir(file, { dt: 7e-5 })).toThrow(/node 'delay': delay 0.0003\d* s is not a whole number of steps of dt = 0.00007 s/);
  });
});

describe.skipIf(!nirPresent)('the round trip of every file snnc reads in ../shared/nir', () => {
  for (const file of nirFiles()) {
    it(file, () => {
      let first;
      try { first = readNir(nirPath(file)); } catch (e) { expect(e).toBeInstanceOf(UserError); return; }
      const out = join(dir, file.replace(/\//g, '_'));
      writeNir(first.graph, out);
      const second = readNir(out);
      expect(json(second.graph)).toBe(json(first.graph));
      expect(second.warnings).toEqual([]);
    });
  }
});

const python = '/usr/bin/python3';
const h5py = spawnSync(python, ['-c', 'import h5py, numpy'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!h5py || !nirPresent)('a written NIR file read by h5py (Debian\'s python3-h5py)', () => {
  it('has NIR\'s layout: /version, /node NIRGraph with nodes/<name>/type, (E, 2) UTF-8 edges, float32 weights, int64 shapes, metadata', () => {
    const out = join(dir, 'braille-h5py.nir');
    writeNir(readNir(nirPath('snntorch-braille_noDelay_bias_zero_subgraph.nir')).graph, out);
    const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
def s(d): return h5py.check_string_dtype(d.dtype)
n = f['node']
r = {
  'version': f['version'][()].decode(), 'version_utf8': s(f['version']).encoding,
  'type': n['type'][()].decode(), 'edges_shape': list(n['edges'].shape), 'edges_utf8': s(n['edges']).encoding, 'edges_vlen': s(n['edges']).length is None,
  'edges': [[a.decode(), b.decode()] for a, b in n['edges'][()]],
  'nodes': {k: {kk: (str(v.dtype) if isinstance(v, h5py.Dataset) and s(v) is None else 'str' if isinstance(v, h5py.Dataset) else 'group') for kk, v in g.items()} for k, g in n['nodes'].items()},
  'types': {k: g['type'][()].decode() for k, g in n['nodes'].items()},
  'weight_shape': list(n['nodes']['fc1']['weight'].shape),
  'meta': sorted(n['metadata'].keys()), 'dt': float(n['metadata']['snnc_dt'][()]),
}
print(json.dumps(r))`;
    const res = spawnSync(python, ['-c', script, out], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout);
    expect(r).toMatchObject({ version: '1.0.7', version_utf8: 'utf-8', type: 'NIRGraph', edges_shape: [7, 2], edges_utf8: 'utf-8', edges_vlen: true, weight_shape: [38, 12], dt: 1e-4 });
    expect(r.edges).toContainEqual(['lif1.lin', 'lif1.lif1']);
    expect(r.types).toEqual({ fc1: 'Affine', fc2: 'Affine', input: 'Input', 'lif1.lif1': 'CubaLIF', 'lif1.lin': 'Affine', lif2: 'CubaLIF', output: 'Output' });
    expect(r.nodes.fc1).toEqual({ bias: 'float32', type: 'str', weight: 'float32' });
    expect(r.nodes.input).toEqual({ shape: 'int64', type: 'str' });
    expect(r.nodes['lif1.lif1']).toEqual({ r: 'float32', tau_mem: 'float32', tau_syn: 'float32', type: 'str', v_leak: 'float32', v_reset: 'float32', v_threshold: 'float32', w_in: 'float32' });
    expect(r.meta).toEqual(['snnc_dt', 'snnc_name', 'snnc_notes', 'snnc_producer']);
  });
});
