/**
 * Every NIR file of ../shared/nir (40 files from seven exporters, NIR 0.1.1 to 1.0.7): read, repaired with a
 * warning that says what, or refused with one line naming the node and the problem, as the table below says.
 */
import { describe, expect, it } from 'vitest';
import { readNir } from '../../src/nir/read.js';
import { runGraph } from '../../src/ir/execute.js';
import { compile } from '../../compiler/index.js';
import { UserError } from '../../src/util/errors.js';
import type { Graph, Tensor } from '../../src/ir/graph.js';
import { nirFiles, nirPath, nirPresent } from './helpers.js';

type Expect = { refused: RegExp } | { repaired?: RegExp[] };

/** What snnc does with each file; files not listed read cleanly (version drift and the dt note are not repairs). */
const EXPECTED: Record<string, Expect> = {
  'rockpool-lif_rockpool.nir': { repaired: [/node 'output': Output declares shape \[1,1,1\], the graph delivers \[1\]/] },
  'snntorch-braille_noDelay_bias_zero_subgraph.nir': { repaired: [/subgraph 'lif1': its edges name 'lif'.*read as 'lif1'/] },
  'snntorch-braille_noDelay_noBias_subtract_subgraph.nir': { repaired: [/subgraph 'lif1': its edges name 'lif'.*read as 'lif1'/] },
  'history/snntorch-braille_subtract_subgraph_2023-10-23.nir': { repaired: [/subgraph 'lif1': its edges name 'lif'/] },
  'history/snntorch-braille_zero_subgraph_2023-10-23.nir': { repaired: [/subgraph 'lif1': its edges name 'lif'/] },
  'rockpooltests-braille_hidden_subgraph.nir': { repaired: [/subgraph Input 'hidden.input' declares shape \[12\], but \[38\] arrives at 'hidden.lif'/] },
  'history/norsetests-braille_hidden_subgraph_2023-10-12.nir': { repaired: [/subgraph Input 'hidden.input' declares shape \[12\]/] },
  'history/snntorch-braille_subgraph_2023-10-12.nir': { repaired: [/subgraph Input 'hidden.input' declares shape \[12\]/] },
  'history/snntorch-braille_2023-10-11.nir': { repaired: [/edge lif1 -> lif1 feeds subgraph 'lif1' back into itself/, /Input shape \[256,12\] has a leading time axis \(256 steps\)/] },
  'history/snntorch-braille_2023-10-12_flatdotted.nir': { repaired: [/leading time axis \(256 steps\)/] },
  'history/snntorch-braille_v2_2023-10-17.nir': { repaired: [/leading time axis \(256 steps\)/] },
  'history/snntorch-braille_v2_2023-10-18.nir': { repaired: [/leading time axis \(256 steps\)/] },
  'spyx-spyx_shd.nir': { refused: /node 'LIF': tau must be positive, got -/ },
  'not-hdf5/snntorch-Braille_snntorch_torchsave_zip.nir': { refused: /is a ZIP archive \(a PyTorch torch.save checkpoint, for one\), not an HDF5 NIR file/ },
  'history/nirtorchtests-braille_2023-10-12_lif2mismatch.nir': { refused: /node 'lif2': 'tau_syn' holds 38 values \(shape \[38\]\), the layer receives 7/ },
  'history/sinabs-scnn_mnist_2023-09-26.nir': { refused: /node '6': 'r' holds 512 values \(shape \[1,8,8,8\]\), the layer receives 1800 \(\[8,15,15\]\)/ },
  'history/snntorch-braille_2023-10-04_noIO.nir': { refused: /node 'fc2': weight has shape \[63,63\], input has 16 features/ },
};

const isNote = (w: string) => w.startsWith('version drift:') || w.startsWith('dt = ');

function param(g: Graph, node: string, field: string): Float32Array {
  return ((g.nodes.get(node) as unknown as Record<string, Tensor>)[field]).data;
}

describe.skipIf(!nirPresent)('reading the 40 NIR files of ../shared/nir', () => {
  const files = nirFiles();

  it('finds the 40 files, and every file the table names exists', () => {
    expect(files).toHaveLength(40);
    for (const f of Object.keys(EXPECTED)) expect(files, f).toContain(f);
  });

  for (const file of nirFiles()) {
    const expected = EXPECTED[file] ?? {};
    it(`${file}: ${'refused' in expected ? 'refused' : expected.repaired ? 'repaired' : 'read'}`, () => {
      if ('refused' in expected) {
        let error: unknown;
        try { readNir(nirPath(file)); } catch (e) { error = e; }
        expect(error).toBeInstanceOf(UserError);
        const message = (error as Error).message;
        expect(message).toMatch(expected.refused);
        expect(message).not.toContain('\n');
        return;
      }
      const r = readNir(nirPath(file));
      const repairs = r.warnings.filter((w) => !isNote(w));
      expect(repairs.length, repairs.join('\n')).toBe(expected.repaired?.length ?? 0);
      for (const re of expected.repaired ?? []) expect(repairs.some((w) => re.test(w)), `${re}\n${repairs.join('\n')}`).toBe(true);
    });
  }

  it('reads the Sinabs N-MNIST CNN layer by layer: IF r·I per step, fire v > θ, reset to 0, start_dim 0 Flatten', () => {
    const { graph, types, version } = readNir(nirPath('sinabs-cnn_sinabs.nir'));
    expect(version).toBe('0.2.0');
    expect(types).toEqual(['Affine', 'Conv2d', 'Flatten', 'IF', 'Input', 'NIRGraph', 'Output', 'SumPool2d']);
    expect(graph.order.map((n) => [n, graph.nodes.get(n)!.kind, graph.shapes.get(n)!.output.join('x')])).toEqual([
      ['input', 'Input', '2x34x34'], ['0', 'Conv2d', '16x16x16'], ['1', 'IF', '16x16x16'], ['2', 'Conv2d', '16x16x16'], ['3', 'IF', '16x16x16'],
      ['4', 'SumPool2d', '16x8x8'], ['5', 'Conv2d', '8x8x8'], ['6', 'IF', '8x8x8'], ['7', 'SumPool2d', '8x4x4'], ['8', 'Flatten', '128'],
      ['9', 'Affine', '256'], ['10', 'IF', '256'], ['11', 'Affine', '10'], ['12', 'IF', '10'], ['output', 'Output', '10'],
    ]);
    const conv = graph.nodes.get('0')!;
    expect(conv).toMatchObject({ kind: 'Conv2d', stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 });
    expect(graph.nodes.get('1')).toMatchObject({ kind: 'IF', reset: 'zero', fire: 'gt' });
    expect(param(graph, '1', 'threshold').every((v) => v === 1)).toBe(true);
    expect(param(graph, '1', 'vReset').every((v) => v === 0)).toBe(true);
  });

  it('reads the version drift of the Sinabs history the same network: batch axes, no input_shape, start_dim 1, edge order', () => {
    const canonical = readNir(nirPath('sinabs-cnn_sinabs.nir')).graph;
    const shapes = (g: Graph) => g.order.map((n) => `${n}:${g.nodes.get(n)!.kind}:${g.shapes.get(n)!.output}`).join(' ');
    for (const f of ['history/sinabs-scnn_mnist_2023-10-02_batchdim.nir', 'history/sinabs-scnn_mnist_2023-10-18_startdim1.nir', 'history/spyxrepo-scnn_mnist_2026-07_edgeorder.nir']) {
      const r = readNir(nirPath(f));
      expect(shapes(r.graph), f).toBe(shapes(canonical));
    }
    const drift = readNir(nirPath('history/sinabs-scnn_mnist_2023-10-02_batchdim.nir')).warnings.join('\n');
    expect(drift).toMatch(/Conv2d without input_shape: inferred from its input \(0, 2, 5\)/);
    expect(drift).toMatch(/leading batch axis \(1 × …\) read per neuron \(1, 3, 6, 10, 12\)/);
    expect(drift).toMatch(/Flatten start_dim 1 counts a batch axis/);
    // The edge-order variant is the same file but for its edge order: the same weights.
    const edgeOrder = readNir(nirPath('history/spyxrepo-scnn_mnist_2026-07_edgeorder.nir')).graph;
    expect(Array.from(param(edgeOrder, '9', 'weight'))).toEqual(Array.from(param(canonical, '9', 'weight')));
  });

  it('reads the snnTorch Braille reader as a recurrent CubaLIF network, in its flat and its nested forms alike', () => {
    const flat = readNir(nirPath('snntorch-braille_noDelay_bias_zero.nir')).graph;
    expect([...flat.recurrent].map((e) => flat.edges[e])).toEqual([['lif1.w_rec', 'lif1.lif']]);
    expect(flat.nodes.get('lif1.lif')).toMatchObject({ kind: 'CubaLIF', reset: 'zero', fire: 'gt' });
    expect(flat.meta.dt).toBe(1e-4);
    const nested = readNir(nirPath('spyxrepo-braille_noDelay_bias_zero_subgraph_fixededges.nir')).graph;
    expect([...nested.recurrent].map((e) => nested.edges[e])).toEqual([['lif1.lin', 'lif1.lif1']]);
    expect(Array.from(param(nested, 'lif1.lin', 'weight'))).toEqual(Array.from(param(flat, 'lif1.w_rec', 'weight')));
    expect(Array.from(param(nested, 'lif1.lif1', 'tauMem'))).toEqual(Array.from(param(flat, 'lif1.lif', 'tauMem')));
    // The dangling-edge file is the fixed one but for the edge names.
    const dangling = readNir(nirPath('snntorch-braille_noDelay_bias_zero_subgraph.nir')).graph;
    expect(dangling.edges).toEqual(nested.edges);
  });

  it('reads NIRTorch\'s feedback graph, a 2,000-neuron LIF loop through an LI that the Input does not reach, and runs it', () => {
    const { graph } = readNir(nirPath('nirtorchtests-feedback_graph_v1.0.7.nir'), { dt: 1e-3 });
    // The loop is entered at its LI (the first node with state): the edge into it closes the cycle.
    expect([...graph.recurrent].map((e) => graph.edges[e])).toEqual([['feedback_weights', 'feedback_ir']]);
    expect(graph.shapes.get('state')!.output).toEqual([2000]);
    expect(graph.shapes.get('output_probe')!.input).toEqual([3]);
    const T = 100;
    const spikesPerStep: number[] = [];
    runGraph(graph, new Float32Array(3 * T), 1, {
      mode: 'snn', timesteps: T, inputSteps: T,
      record: (node, _t, v) => { if (node === 'state') spikesPerStep.push(v.reduce((a, b) => a + b, 0)); },
    });
    // With no input at all, the loop's biases drive the LIF layer: it fires in bursts, not at every step.
    expect(spikesPerStep.filter((n) => n > 0).length).toBeGreaterThan(5);
    expect(spikesPerStep.filter((n) => n === 0).length).toBeGreaterThan(5);
    // No chip carries the LI's graded potential to the next layer: compiling names the node and why.
    expect(() => compile(graph, { target: 'loihi-like', timesteps: T })).toThrow(/node 'feedback_ir': LI layer sends its potential, not spikes, to 'state_weights'/);
  });

  it('repairs transposed weights when only the transpose fits, then refuses the negative time constants of the same file', () => {
    const warnings: string[] = [];
    expect(() => readNir(nirPath('spyx-spyx_shd.nir'), { warn: (m) => warnings.push(m) })).toThrow(/node 'LIF': tau must be positive/);
    expect(warnings.join('\n')).toMatch(/node 'linear': weight is stored \[128,64\].*read transposed/);
    expect(warnings.join('\n')).toMatch(/square weights of 'linear_1' read transposed too/);
  });

  it('takes --dt for the time constants (Norse exports at 1e-3), and says so when it uses the default', () => {
    const r = readNir(nirPath('norse-lif_norse.nir'));
    expect(r.dt).toEqual({ value: 1e-4, source: 'default' });
    expect(r.warnings.some((w) => /dt = 0.0001 s per step.*pass --dt/.test(w))).toBe(true);
    const norse = readNir(nirPath('norse-lif_norse.nir'), { dt: 1e-3 });
    expect(norse.graph.meta.dt).toBe(1e-3);
    expect(norse.warnings.some((w) => w.startsWith('dt = '))).toBe(false);
    expect(() => readNir(nirPath('norse-lif_norse.nir'), { dt: 0.01 })).toThrow(/node .1.: tau 0.00249\d* is shorter than the time step dt = 0.01/);
    expect(() => readNir(nirPath('norse-lif_norse.nir'), { dt: -1 })).toThrow(/--dt must be a positive number/);
  });
});
