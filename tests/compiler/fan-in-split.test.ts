/**
 * A dense layer wider than a core (issue 21): on loihi-like (4,096 input axons per core, fanInSplit 'relay') the
 * split-fan-in pass rewrites it into parts whose partial sums relay neurons carry to it. The rewrite is exact in the
 * ANN; the compiled chip holds every part on cores within their input axons; the split's cost in accuracy is
 * measured (splitCost) on the embedded MNIST test split; a target that cannot split keeps the FitError naming
 * the layer, the need and the capacity; a layer whose input may be negative is not split.
 */
import { describe, expect, it } from 'vitest';
import { runGraph, accuracy, predict } from '../../src/ir/execute.js';
import { loadMnist } from '../../src/data/mnist.js';
import { rebuild, tensor } from '../../src/ir/graph.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { FitError, loadCalibration } from '../../compiler/index.js';
import { splitFanIn, splitCost } from '../../compiler/passes/split-fan-in.js';
import { loadTarget } from '../../targets/load.js';
import { ChipSimulator, FixedPointReference } from '../../simulator/index.js';
import { loihiWith } from './helpers.js';
import { trainWide } from './trained.js';

describe('fan-in wider than a core', () => {
  const ann = trainWide();
  const test = loadMnist('test');
  const target = loadTarget('loihi-like');
  const calibration = loadCalibration('mnist', 256);

  it('the split is exact in the ANN: parts of at most 4,096 inputs, positive and negative weights apart', () => {
    const { graph, splits } = splitFanIn(ann, { maxFanIn: 4096 });
    expect(splits).toEqual([{ layer: 'fc', fanIn: 5408, parts: 2, relays: ['fc.part0.pos.relay', 'fc.part0.neg.relay', 'fc.part1.pos.relay', 'fc.part1.neg.relay'] }]);
    const n = 200;
    const x = test.images.subarray(0, n * 784);
    const a = runGraph(ann, x, n, { mode: 'ann' });
    const b = runGraph(graph, x, n, { mode: 'ann' });
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
    expect(worst).toBeLessThan(1e-5);
  });

  it('compiles for loihi-like, every core within 4,096 input axons, and measures what the split costs', { timeout: 240_000 }, () => {
    const warnings: string[] = [];
    const r = runPipeline(ann, { target, timesteps: 64, calibration, warn: (m) => warnings.push(m) });
    expect(warnings.some((w) => /layer 'fc' reads 5408 inputs, more than the 4096 a core takes: split into 2 parts/.test(w))).toBe(true);
    expect(r.fanInSplits.map((s) => s.layer)).toEqual(['fc']);
    for (const c of r.partition.cores) expect(c.usage.inputAxons, c.population).toBeLessThanOrEqual(4096);
    // Each relay reads one part of the pooled map; the neuron reads its 4 relays.
    const relayCores = r.partition.cores.filter((c) => /^fc\.part\d\.(pos|neg)\.relay$/.test(c.population));
    expect(relayCores.length).toBe(4);
    for (const c of relayCores) expect(c.usage.inputAxons).toBeLessThanOrEqual(2704);
    expect(r.floatNet.projections.filter((p) => p.to === 'fc').map((p) => p.from).sort()).toEqual(r.fanInSplits[0].relays.slice().sort());
    // The cost: float SNN with the relays against the same network converted without the split, T = 64.
    const n = 200;
    const cost = splitCost(r.spikingGraph, r.unsplitSpikingGraph!, test.images.subarray(0, n * 784), test.labels, n, 64);
    const annAcc = accuracy(runGraph(ann, test.images.subarray(0, n * 784), n, { mode: 'ann' }), test.labels, n);
    // The chip (fixed-point reference, as compiled for loihi-like) classifies the first 30 as the float SNN with relays does.
    const m = 30;
    const ref = new FixedPointReference(r.chip.placement.graph);
    const float = predict(runGraph(r.spikingGraph, test.images.subarray(0, m * 784), m, { mode: 'snn', timesteps: 64 }), m);
    let same = 0;
    for (let s = 0; s < m; s++) if (ref.runSample(test.images.subarray(s * 784, (s + 1) * 784), s).prediction === float[s]) same++;
    console.log(`fan-in split of 'fc' (5408 inputs, 2 parts) on the first ${n} test digits at T = 64: ANN ${(annAcc * 100).toFixed(1)} %, float SNN unsplit ${(cost.unsplit * 100).toFixed(1)} %, split ${(cost.split * 100).toFixed(1)} % (cost ${(cost.cost * 100).toFixed(1)} pt, ${(cost.agreement * 100).toFixed(1)} % agree); the loihi-like chip agrees with the split float SNN on ${same} of the first ${m}`);
    expect(annAcc).toBeGreaterThan(0.85);
    expect(cost.agreement).toBeGreaterThan(0.95);
    expect(Math.abs(cost.cost)).toBeLessThanOrEqual(0.02);
    expect(same).toBeGreaterThanOrEqual(28);
    // The chip model follows the compiler's routes: a relay's part reaches it from the pooled map's cores only, and
    // the event-driven engine agrees bit for bit with the reference on a sample.
    const engine = new ChipSimulator(r.chip).runSample(test.images.subarray(0, 784), 0);
    const refRun = ref.runSample(test.images.subarray(0, 784), 0);
    expect(engine.spikeDigest).toBe(refRun.spikeDigest);
    expect(Array.from(engine.readout)).toEqual(Array.from(refRun.readout));
  });

  it('a target that cannot split keeps the FitError naming the layer, the need and the capacity', () => {
    const noSplit = loihiWith((t) => { t.features.fanInSplit = { value: 'none', source: 'test' }; });
    expect(() => runPipeline(ann, { target: noSplit, timesteps: 8 })).toThrow(FitError);
    expect(() => runPipeline(ann, { target: noSplit, timesteps: 8 })).toThrow(/layer 'fc' does not fit loihi-like: input axons per core \(fan-in of one neuron\) needed 21632, capacity 4096/);
  });

  it('a layer whose input may be negative is not split: partition refuses it, with a warning why', () => {
    // A Scale with a negative shift between the rectifier and the wide layer.
    const nodes = new Map(ann.nodes).set('shift', { kind: 'Scale', scale: tensor([1], [1]), bias: tensor([1], [-0.1]) });
    const shifted = rebuild(ann, nodes, ann.edges.flatMap(([a, b]): [string, string][] => (a === 'pool' ? [['pool', 'shift'], ['shift', b]] : [[a, b]])));
    const warnings: string[] = [];
    expect(() => runPipeline(shifted, { target, timesteps: 8, warn: (m) => warnings.push(m) })).toThrow(/layer 'fc' does not fit loihi-like: input axons per core/);
    expect(warnings.some((w) => /layer 'fc' reads .* and is not split: its input may be negative/.test(w))).toBe(true);
  });
});
