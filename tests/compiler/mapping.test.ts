import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, readMapped, FitError } from '../../compiler/index.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { xyPath } from '../../compiler/route.js';
import { listTargets, loadTarget, targetsDir } from '../../targets/load.js';
import { runCli } from '../../src/cli/main.js';
import { chain, denseNet, lenet, loihiWith } from './helpers.js';
import { tensor } from '../../src/ir/graph.js';

const coresOf = (r: ReturnType<typeof runPipeline>, pop: string) => r.partition.byPopulation.get(pop)!.length;

describe('partitioning at the capacity limits', () => {
  it('neurons: 1,024 fit one loihi-like core, 1,025 need two; on a 1-core chip the error names the layer', () => {
    expect(coresOf(runPipeline(denseNet(4, 1024), { target: loadTarget('loihi-like') }), 'if')).toBe(1);
    expect(coresOf(runPipeline(denseNet(4, 1025), { target: loadTarget('loihi-like') }), 'if')).toBe(2);
    const tiny = loihiWith((t) => { t.core.count.value = 2; });
    expect(() => runPipeline(denseNet(4, 1025), { target: tiny })).toThrow(FitError);
    expect(() => runPipeline(denseNet(4, 1025), { target: tiny })).toThrow(/layer 'if' does not fit loihi-like: cores for the whole network .* needed 3, capacity 2/);
  });
  it('input axons: a fan-in of 4,096 fits, 4,097 is refused with the limit and both values', () => {
    expect(coresOf(runPipeline(denseNet(4096, 8), { target: loadTarget('loihi-like') }), 'if')).toBe(1);
    expect(() => runPipeline(denseNet(4097, 8), { target: loadTarget('loihi-like') }))
      .toThrow(/layer 'if' does not fit loihi-like: input axons per core \(fan-in of one neuron\) needed 4097, capacity 4096; reduce the fan-in/);
  });
  it('synaptic memory: 10 neurons × 100 inputs × 8 bits fit 8,000 bits; 7,999 splits; 799 cannot hold one neuron', () => {
    expect(coresOf(runPipeline(denseNet(100, 10), { target: loihiWith((t) => { t.core.synapseMemoryBits.value = 8000; }) }), 'if')).toBe(1);
    expect(coresOf(runPipeline(denseNet(100, 10), { target: loihiWith((t) => { t.core.synapseMemoryBits.value = 7999; }) }), 'if')).toBe(2);
    expect(() => runPipeline(denseNet(100, 10), { target: loihiWith((t) => { t.core.synapseMemoryBits.value = 799; }) }))
      .toThrow(/synaptic memory bits per core \(one neuron\) needed 800, capacity 799/);
  });
  it('output axons: 1,024 neurons reaching 4 cores use 4,096 axons (fits); reaching 5 cores the source splits', () => {
    const fits = runPipeline(denseNet(4, 1024), { target: loihiWith((t) => { t.core.neurons.value = 256; t.core.outputAxons.value = 1024; }) });
    // 'if' (1,024 neurons) sits on 4 cores of 256; the input has no cores; head on 1 core reached by 256 each
    expect(coresOf(fits, 'if')).toBe(4);
    const exact = runPipeline(denseNet(4, 256), { target: loihiWith((t) => { t.core.neurons.value = 256; t.core.outputAxons.value = 256; }) });
    expect(exact.partition.cores[exact.partition.byPopulation.get('if')![0]].usage.outputAxons).toBe(256);
    expect(coresOf(exact, 'if')).toBe(1);
    const over = runPipeline(denseNet(4, 256), { target: loihiWith((t) => { t.core.neurons.value = 256; t.core.outputAxons.value = 255; }) });
    expect(coresOf(over, 'if')).toBe(2);
  });
});

describe('routing', () => {
  it('dimension order: x first, then y, one link per hop', () => {
    // 4-wide mesh: tile 0 at (0, 0) to tile 6 at (2, 1)
    expect(xyPath(4, 0, 6)).toEqual([[0, 1], [1, 2], [2, 6]]);
    expect(xyPath(4, 6, 0)).toEqual([[6, 5], [5, 4], [4, 0]]);
    expect(xyPath(4, 5, 5)).toEqual([]);
  });
});

describe('placement', () => {
  it('costs less than row-major placement on a CNN', () => {
    const r = runPipeline(lenet(32, 64), { target: loihiWith((t) => { t.core.neurons.value = 256; }) });
    expect(r.chip.placement.cost).toBeLessThan(r.chip.placement.rowMajorCost);
    // dimension-order routes: every route's hop count is its Manhattan distance
    for (const route of r.chip.routes) expect(route.hops).toBe(route.links.length);
  });
});

describe('whole-layer chips and multicast (speck-like)', () => {
  it('one layer per core, pooling kept as its own layer, one multicast route per source core', () => {
    const r = runPipeline(lenet(), { target: loadTarget('speck-like') });
    const pops = r.chip.placement.graph.populations.map((p) => p.name);
    expect(pops).toContain('r2.relay0');
    expect(r.chip.placement.cores.length).toBe(pops.length);
    for (const c of r.chip.placement.cores) expect(c.slices.length).toBe(1);
    const sources = r.chip.routes.map((x) => x.fromCore);
    expect(new Set(sources).size).toBe(sources.length);
    for (const route of r.chip.routes) expect(route.toCores.length).toBeLessThanOrEqual(2);
  });
  it('a dense layer over a 28×28 input exceeds the 16×16 kernel limit', () => {
    const mlp = chain('mlp', [
      ['in', { kind: 'Input', shape: [1, 28, 28] }],
      ['f', { kind: 'Flatten' }],
      ['fc', { kind: 'Linear', weight: tensor([10, 784]) }],
      ['if', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['head', { kind: 'Linear', weight: tensor([2, 10]) }],
      ['out', { kind: 'Output' }],
    ]);
    expect(() => runPipeline(mlp, { target: loadTarget('speck-like') }))
      .toThrow(/layer 'if' does not fit speck-like: kernel size \(a dense layer is a convolution over its whole input\) needed 28, capacity 16/);
  });
});

describe('artifact', () => {
  it('is deterministic (byte-identical) and reads back as the same chip', () => {
    const a = mkdtempSync(join(tmpdir(), 'snnc-det-a-'));
    const b = mkdtempSync(join(tmpdir(), 'snnc-det-b-'));
    const ra = compile(lenet(), { target: 'loihi-like', outDir: a, calibrate: 'mnist', samples: 8, timesteps: 16 });
    compile(lenet(), { target: 'loihi-like', outDir: b, calibrate: 'mnist', samples: 8, timesteps: 16 });
    for (const f of ['mapped.json', 'weights.pb', 'summary.txt']) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f)))).toBe(true);
    const back = readMapped(a);
    expect(back.placement.cores).toEqual(ra.chip.placement.cores);
    for (let i = 0; i < ra.chip.placement.graph.projections.length; i++) {
      expect(Array.from(back.placement.graph.projections[i].synapse.weights)).toEqual(Array.from(ra.chip.placement.graph.projections[i].synapse.weights));
    }
    expect(back.placement.graph.populations.map((p) => p.neuron)).toEqual(ra.chip.placement.graph.populations.map((p) => p.neuron));
    // a tampered weights file is refused
    const w = readFileSync(join(a, 'weights.pb'));
    w[w.length - 1] ^= 1;
    writeFileSync(join(a, 'weights.pb'), w);
    expect(() => readMapped(a)).toThrow(/does not match the SHA-256/);
  });
});

describe('shipped targets and the embedded-MNIST CNN', () => {
  it('every shipped target compiles it or says precisely why not', () => {
    const outcomes: Record<string, string> = {};
    for (const name of listTargets()) {
      try {
        const r = runPipeline(lenet(), { target: loadTarget(name) });
        outcomes[name] = `fits on ${r.summary.coresUsed} cores`;
        expect(r.summary.coresUsed).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(FitError);
        outcomes[name] = (e as Error).message;
        expect((e as Error).message).toMatch(/layer '.+' does not fit .+: .+ needed \d+, capacity \d+; .+/);
      }
    }
    expect(outcomes['loihi-like']).toMatch(/fits/);
    expect(outcomes['speck-like']).toMatch(/fits/);
    expect(outcomes['truenorth-like']).toMatch(/input axons/);
  });
});

describe('CLI', () => {
  it('a user target file with a bad field: one line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snnc-cli-'));
    const bad = JSON.parse(readFileSync(join(targetsDir(), 'loihi-like.json'), 'utf8'));
    bad.precision.weightBits.value = 'eight';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => { errors.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      expect(await runCli(['targets', join(dir, 'bad.json')])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(/^snnc: error: target file '.*bad.json': precision\.weightBits\.value must be integer\n$/);
  });
});
