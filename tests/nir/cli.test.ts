/**
 * NIR through the CLI: a model is recognised by its content, whatever its name; bad input gets one line and
 * exit 2 (truncated, empty, not HDF5, a ZIP named .nir, LZF-compressed, a node type from the future, a missing
 * field); `snnc export` writes NIR that reads back as the same network, and an snnc student exported to NIR
 * predicts what the ONNX student predicts on every test digit.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { compile } from '../../compiler/index.js';
import { detectModelFormat, loadModelGraph } from '../../src/model-file.js';
import { writeHdf5, type H5Tree } from '../../src/nir/hdf5.js';
import { runGraph, predict } from '../../src/ir/execute.js';
import { loadMnist } from '../../src/data/mnist.js';
import { writeGraphJson } from '../../src/ir/json.js';
import { buildTemplateStudent } from '../fixtures/template-student.js';
import { captureOutput } from '../fixtures/capture.js';
import { nirPath, nirPresent } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-nir-cli-'));
const lenet = join(__dirname, '..', 'fixtures', 'onnx', 'lenet.onnx');

/** A minimal NIR graph input -> (node) -> output, with the middle node's type and fields given. */
function tinyNir(path: string, type: string, fields: H5Tree['datasets']): void {
  const group = (t: string, f: H5Tree['datasets']): H5Tree => ({ datasets: [['type', { kind: 'string', value: t }], ...f], groups: [] });
  writeHdf5(path, {
    datasets: [['version', { kind: 'string', value: '9.0.0' }]],
    groups: [['node', {
      datasets: [['type', { kind: 'string', value: 'NIRGraph' }], ['edges', { kind: 'string', value: ['input', 'x', 'x', 'output'], shape: [2, 2] }]],
      groups: [['nodes', { datasets: [], groups: [
        ['input', group('Input', [['shape', { kind: 'int64', value: [3], shape: [1] }]])],
        ['x', group(type, fields)],
        ['output', group('Output', [['shape', { kind: 'int64', value: [3], shape: [1] }]])],
      ] }]],
    }]],
  });
}

const python = '/usr/bin/python3';
const h5py = spawnSync(python, ['-c', 'import h5py, numpy'], { encoding: 'utf8' }).status === 0;

describe('NIR files on the command line', () => {
  const io = captureOutput();
  const refuses = async (args: string[], message: RegExp) => {
    io.stderr = '';
    expect(await runCli(args), io.stderr).toBe(2);
    expect(io.stderr).toMatch(message);
    expect(io.stderr.trimEnd().split('\n').filter((l) => l.startsWith('snnc: error:'))).toHaveLength(1);
    expect(io.stderr).not.toMatch(/HDF5-DIAG|\n\s+at |internal error/);
  };

  it('refuses bad files with one line and exit 2: empty, truncated, not HDF5, a node type from the future, a missing field', async () => {
    const empty = join(dir, 'empty.nir');
    writeFileSync(empty, '');
    await refuses(['inspect', empty], /^snnc: error: '.*empty.nir' is empty\n$/);
    const text = join(dir, 'text.nir');
    writeFileSync(text, 'not a network at all');
    await refuses(['inspect', text], /is not an HDF5 file \(no HDF5 signature\)/);
    const future = join(dir, 'future.nir');
    tinyNir(future, 'QuantumLIF', [['tau', { kind: 'float32', value: [1, 1, 1], shape: [3] }]]);
    await refuses(['inspect', future], /node 'x' has NIR type 'QuantumLIF', which snnc does not know \(it reads NIR 1.0.7: Input, Output, .*\); was the file written by a newer NIR\?/);
    const missing = join(dir, 'missing.nir');
    tinyNir(missing, 'LIF', [['tau', { kind: 'float32', value: [1e-3, 1e-3, 1e-3], shape: [3] }]]);
    await refuses(['inspect', missing], /node 'x': LIF has no 'r' \(NIR's LIF needs 'tau', 'r', 'v_leak', 'v_threshold', 'v_reset'\)/);
    const negative = join(dir, 'negative.nir');
    tinyNir(negative, 'LI', [['tau', { kind: 'float32', value: [1e-3, -2e-3, 1e-3], shape: [3] }], ['r', { kind: 'float32', value: [1, 1, 1], shape: [3] }], ['v_leak', { kind: 'float32', value: [0, 0, 0], shape: [3] }]]);
    await refuses(['compile', negative, '-t', 'loihi-like', '-o', join(dir, 'neg-out')], /node 'x': tau must be positive, got -0.002\d* at neuron 1/);
    await refuses(['inspect', join(dir, 'nothing-here.nir')], /model '.*nothing-here.nir' does not exist/);
  });

  it.skipIf(!nirPresent)('refuses a truncated NIR file and a ZIP named .nir, naming what they are', async () => {
    const truncated = join(dir, 'truncated.nir');
    writeFileSync(truncated, readFileSync(nirPath('sinabs-cnn_sinabs.nir')).subarray(0, 20_000));
    await refuses(['inspect', truncated], /is truncated: it has 20000 bytes, its HDF5 superblock says 273552/);
    await refuses(['compile', nirPath('not-hdf5/snntorch-Braille_snntorch_torchsave_zip.nir'), '-t', 'loihi-like'], /is a ZIP archive \(a PyTorch torch.save checkpoint, for one\)/);
  });

  it.skipIf(!h5py)('refuses an LZF-compressed dataset (h5py\'s filter, which h5wasm would misread), naming it', async () => {
    const lzf = join(dir, 'lzf.nir');
    const script = `
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    f['version'] = '1.0.7'
    n = f.create_group('node'); n['type'] = 'NIRGraph'
    n.create_dataset('edges', data=[['input', 'x'], ['x', 'output']], dtype=h5py.string_dtype())
    g = n.create_group('nodes')
    i = g.create_group('input'); i['type'] = 'Input'; i['shape'] = np.array([3])
    x = g.create_group('x'); x['type'] = 'Linear'; x.create_dataset('weight', data=np.eye(3, dtype=np.float32), compression='lzf', chunks=(3, 3))
    o = g.create_group('output'); o['type'] = 'Output'; o['shape'] = np.array([3])`;
    const r = spawnSync(python, ['-c', script, lzf], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await refuses(['inspect', lzf], /dataset '\/node\/nodes\/x\/weight' is compressed with the LZF \(h5py's compression\) filter, which snnc cannot decode/);
  });

  it.skipIf(!nirPresent)('recognises a model by its content, whatever it is named, and compiles a NIR file', async () => {
    const disguisedNir = join(dir, 'cnn.bin');
    copyFileSync(nirPath('sinabs-cnn_sinabs.nir'), disguisedNir);
    const disguisedOnnx = join(dir, 'lenet.model');
    copyFileSync(lenet, disguisedOnnx);
    const disguisedJson = join(dir, 'lenet.graph');
    writeGraphJson(disguisedJson, loadModelGraph(lenet).graph);
    expect([disguisedNir, disguisedOnnx, disguisedJson].map(detectModelFormat)).toEqual(['nir', 'onnx', 'ir-json']);
    expect(await runCli(['inspect', disguisedNir, '--json'])).toBe(0);
    expect(JSON.parse(io.stdout).totals).toEqual({ layers: 13, params: 39_890, macs: 903_680 });
    const r = compile(nirPath('snntorch-braille_noDelay_bias_zero.nir'), { target: 'loihi-like', timesteps: 16 });
    expect(r.warnings.some((w) => w.startsWith('dt = '))).toBe(true);
    expect(r.chip.placement.graph.projections.filter((p) => p.recurrent).map((p) => [p.from, p.to])).toEqual([['lif1.lif', 'lif1.lif']]);
    io.stderr = '';
    expect(await runCli(['compile', nirPath('norse-lif_norse.nir'), '-t', 'loihi-like', '--dt', '1e-3', '-o', join(dir, 'lif-out')])).toBe(0);
    expect(io.stderr).not.toMatch(/dt = /);
    expect(JSON.parse(readFileSync(join(dir, 'lif-out', 'summary.json'), 'utf8')).coresUsed).toBeGreaterThan(0);
  });

  it('exports an snnc student to NIR that predicts the ONNX student\'s class on every test digit', async () => {
    const onnx = join(dir, 'student.onnx');
    writeFileSync(onnx, buildTemplateStudent({ relays: 2, timesteps: 8 }));
    const nir = join(dir, 'student.nir');
    io.stderr = '';
    expect(await runCli(['export', onnx, '--format', 'nir', '-o', nir]), io.stderr).toBe(0);
    expect(io.stderr).toMatch(/NIR has no reset by subtraction: .* other NIR readers will reset them to v_reset/);
    expect(detectModelFormat(nir)).toBe('nir');
    const a = loadModelGraph(onnx).graph;
    const b = loadModelGraph(nir);
    expect(b.warnings).toEqual([]);
    expect(b.graph.meta.timesteps).toBe(8);
    const test = loadMnist('test');
    const n = Math.min(test.count, 1000);
    const x = test.images.subarray(0, n * 784);
    const pa = predict(runGraph(a, x, n), n);
    const pb = predict(runGraph(b.graph, x, n), n);
    expect(Array.from(pb)).toEqual(Array.from(pa));
    const correct = pa.reduce((k, p, i) => k + (p === test.labels[i] ? 1 : 0), 0);
    expect(correct / n).toBeGreaterThan(0.6);
    // And back to ONNX: the same predictions again.
    const back = join(dir, 'student-again.onnx');
    expect(await runCli(['export', nir, '-f', 'onnx', '-o', back])).toBe(0);
    expect(Array.from(predict(runGraph(loadModelGraph(back).graph, x, n), n))).toEqual(Array.from(pa));
  });

  it('converts an ANN for NIR (NIR holds spiking networks), and refuses to put a recurrent NIR network in ONNX', async () => {
    const out = join(dir, 'lenet.nir');
    expect(await runCli(['export', lenet, '-f', 'nir', '-o', out])).toBe(0);
    expect(io.stderr).toMatch(/is an ANN: converted to a spiking network/);
    const g = loadModelGraph(out).graph;
    expect([...g.nodes.values()].filter((n) => n.kind === 'IF')).toHaveLength(4);
    if (nirPresent) await refuses(['export', nirPath('snntorch-braille_noDelay_bias_zero.nir'), '-f', 'onnx', '-o', join(dir, 'b.onnx')], /is recurrent \(the edge lif1.w_rec -> lif1.lif closes a cycle\) and an ONNX graph cannot hold a cycle: write it as NIR instead/);
  });
});
