/**
 * `npm run bench:sim`: throughput of the chip simulator on one thread, and of parallel evaluation.
 *   - synaptic events per second of wall time for MNIST-sized networks and for one large layer
 *     (4,096 → 4,096 dense, 10 % of the sources spiking each step);
 *   - the same for a recurrent current-based network of SHD's size on spike trains over time (700 → 256
 *     recurrent CubaLIF → 20, T = 100), against the MLP's rate of events computed;
 *   - samples per second for a 1,000-sample MNIST simulation at T = 4 on loihi-like (full timing model,
 *     NoC, energy accounting);
 *   - the same 1,000 samples of the compiled LeNet-5 on one worker (this thread: `--workers 1`) and on all
 *     workers (src/parallel), measured alternately in this run, with their ratio.
 * Networks are built in integer form directly (seeded weights), mapped sequentially on loihi-like cores.
 * Figures depend on the machine's load: say so when quoting them.
 */
import type { Population, Projection, QuantGraph } from '../compiler/types.js';
import { loadTarget } from '../targets/load.js';
import { ChipSimulator, simulate } from '../simulator/index.js';
import { EvalPool, defaultWorkers } from '../src/parallel/index.js';
import { sequentialMapping } from '../simulator/sequential.js';
import { loadMnist } from '../src/data/mnist.js';
import { compile } from '../compiler/index.js';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import { take } from '../src/data/dataset.js';
import { createRng } from '../src/data/rng.js';
import { buildGraph, tensor } from '../src/ir/graph.js';

const target = loadTarget('loihi-like');

function weights(count: number, span: number, seed: number): Int32Array {
  const out = new Int32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s % (2 * span + 1)) - span;
  }
  return out;
}

function pop(name: string, size: number, threshold: number, extra: Partial<Population> = {}): Population {
  return {
    name, shape: [size], size, neuron: { model: 'IF', threshold, reset: 'subtract', stateBits: 24, vInit: 0 },
    bias: new Int32Array(0), readout: false, source: name, ...extra,
  };
}

function dense(from: string, to: string, pre: number, post: number, seed: number, span = 7, preShape = [pre]): Projection {
  return {
    name: `${from}->${to}`, from, to, preShape, postShape: [post], weightExponent: 0, weightBits: 8,
    synapse: { kind: 'dense', weights: weights(pre * post, span, seed) },
  };
}

function graph(name: string, populations: Population[], projections: Projection[], input: QuantGraph['input'], timesteps: number): QuantGraph {
  return { name, target, timesteps, delay: 'hardware', input, populations, projections, quantError: {} };
}

/** MNIST MLP 784-512-256-10 with graded (direct) input. */
function mnistMlp(): QuantGraph {
  return graph('mlp-784-512-256-10', [pop('h1', 512, 2500), pop('h2', 256, 40), pop('out', 10, 1 << 22, { readout: true })], [
    dense('input', 'h1', 784, 512, 1), dense('h1', 'h2', 512, 256, 2), dense('h2', 'out', 256, 10, 3),
  ], { shape: [1, 28, 28], encoding: 'direct', inputScale: 127 }, 4);
}

/** MNIST CNN: conv 1→16 (3×3, stride 2) → conv 16→32 (3×3, stride 2) → dense 1568→10. */
function mnistCnn(): QuantGraph {
  const conv = (from: string, to: string, cin: number, cout: number, inHw: number, seed: number): Projection => ({
    name: `${from}->${to}`, from, to, preShape: [cin, inHw, inHw], postShape: [cout, inHw / 2, inHw / 2], weightExponent: 0, weightBits: 8,
    synapse: { kind: 'conv', weights: weights(cout * cin * 9, 7, seed), kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 },
  });
  return graph('cnn-16-32', [
    { ...pop('c1', 16 * 14 * 14, 600), shape: [16, 14, 14] },
    { ...pop('c2', 32 * 7 * 7, 30), shape: [32, 7, 7] },
    pop('out', 10, 1 << 22, { readout: true }),
  ], [conv('input', 'c1', 1, 16, 28, 4), conv('c1', 'c2', 16, 32, 14, 5), dense('c2', 'out', 1568, 10, 6, 7, [32, 7, 7])],
  { shape: [1, 28, 28], encoding: 'direct', inputScale: 127 }, 4);
}

/** 4,096 → 4,096 dense: the sources fire every 10th step, staggered, so 10 % spike in every step. */
function largeLayer(): QuantGraph {
  const n = 4096;
  const vInitPerNeuron = Int32Array.from({ length: n }, (_, i) => i % 10);
  return graph('dense-4096x4096', [
    pop('src', n, 10, { bias: new Int32Array(n).fill(1), vInitPerNeuron }),
    pop('dst', n, 1 << 22, { readout: true }),
  ], [dense('src', 'dst', n, n, 7)], { shape: [0], encoding: 'direct', inputScale: 1 }, 100);
}

function synapticEvents(sim: ChipSimulator): number {
  return sim.counts.layers.reduce((a, l) => a + l.synapticEvents, 0);
}

/** Samples with a time axis: `frames` steps of input each, sample k from `sample(k)`. */
interface TimedInput { frames: number; sample: (k: number) => Float32Array }

function eventsPerSecond(label: string, g: QuantGraph | ReturnType<typeof sequentialMapping>, samples: number, timed?: TimedInput): number {
  const mnist = loadMnist('test');
  const mapped = 'placement' in g ? g : sequentialMapping(g);
  const sim = new ChipSimulator(mapped);
  g = mapped.placement.graph;
  const size = g.input.shape.reduce((a, b) => a * b, 1);
  // Warm-up: enough samples that the hot loops run as fully optimised code (V8 first runs them as on-stack-
  // replacement code, which is markedly slower) before the clock starts; then three timed repetitions, of which
  // the best and the median are printed (this machine is shared and its speed drifts from run to run).
  const warmup = Math.max(1, Math.min(200, samples));
  const image = (k: number) => (timed ? timed.sample(k) : size === 0 ? [] : mnist.images.subarray((k % mnist.count) * size, ((k % mnist.count) + 1) * size));
  const run = (k: number) => (timed ? sim.runSample(image(k), k, timed.frames) : sim.runSample(image(k), k));
  for (let s = 0; s < warmup; s++) run(samples + 1 + s);
  const rates: number[] = [];
  let seconds = 0;
  let before = 0;
  for (let rep = 0; rep < 3; rep++) {
    before = synapticEvents(sim);
    const t0 = performance.now();
    for (let s = 1; s <= samples; s++) run(s);
    seconds = (performance.now() - t0) / 1000;
    rates.push((synapticEvents(sim) - before) / seconds);
  }
  rates.sort((a, b) => a - b);
  const events = synapticEvents(sim) - before;
  const steps = samples * sim.timesteps;
  // Direct (graded) input is the same at every step: the simulator computes its synaptic events once per sample
  // and replays them (identical counts). The second figure counts those events once per sample, so it is the rate
  // of events actually computed.
  let replayed = 0;
  if (!timed && g.input.encoding === 'direct' && size > 0) {
    for (let s = 1; s <= samples; s++) {
      for (const q of sim.projections) {
        if (q.from !== -1) continue;
        for (let i = 0; i < size; i++) if (Math.round(mnist.images[s * size + i] * g.input.inputScale) !== 0) replayed += q.rowLength(i) * (sim.timesteps - 1);
      }
    }
  }
  const computed = replayed > 0 ? `, ${((events - replayed) / seconds / 1e6).toFixed(1)} M/s counting direct input once per sample` : '';
  const spiking = sim.counts.layers.reduce((a, l) => a + l.spikes, 0);
  const activity = timed ? `; ${(spiking / ((warmup + 3 * samples) * sim.timesteps)).toFixed(1)} spikes/step` : '';
  console.log(`${label.padEnd(44)} ${(rates[2] / 1e6).toFixed(1).padStart(8)} M synaptic events/s best of 3, median ${(rates[1] / 1e6).toFixed(1)} M  (last repetition: ${(events / 1e6).toFixed(1)} M events in ${seconds.toFixed(2)} s; ${sim.timesteps} steps/sample, ${(seconds / steps * 1e6).toFixed(0)} µs/step${computed}${activity})`);
  // The rate of events computed (direct input replayed from the first step counted once).
  return replayed > 0 ? (events - replayed) / seconds : rates[1];
}

/**
 * A recurrent current-based workload of SHD's size (700 input channels → 256 CubaLIF with a 256×256 recurrent
 * projection → 20 CubaLIF readout, T = 100, dt = 1 ms), written as an IR graph with seeded weights and compiled
 * for loihi-like by the real compiler; its input is seeded spike trains (each channel fires with its own rate, 2 %
 * on average, as SHD's cochlea channels do).
 */
function recurrentShd(): { mapped: ReturnType<typeof sequentialMapping>; timed: TimedInput } {
  const IN = 700, HIDDEN = 256, OUT = 20, T = 100;
  const rng = createRng(11);
  const uniform = (n: number, scale: number) => Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
  const cuba = (n: number) => ({
    kind: 'CubaLIF' as const, tauSyn: tensor([n], new Array(n).fill(5e-3)), tauMem: tensor([n], new Array(n).fill(1e-2)),
    r: 1, vLeak: 0, wIn: 1, threshold: 1, reset: 'zero' as const,
  });
  const graph = buildGraph([
    ['input', { kind: 'Input', shape: [IN] }],
    ['fc1', { kind: 'Linear', weight: tensor([HIDDEN, IN], uniform(HIDDEN * IN, 3)) }],
    ['lif1', cuba(HIDDEN)],
    ['w_rec', { kind: 'Linear', weight: tensor([HIDDEN, HIDDEN], uniform(HIDDEN * HIDDEN, 1.5)) }],
    ['fc2', { kind: 'Linear', weight: tensor([OUT, HIDDEN], uniform(OUT * HIDDEN, 2)) }],
    ['lif2', cuba(OUT)],
    ['output', { kind: 'Output' }],
  ], [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'w_rec'], ['w_rec', 'lif1'], ['lif1', 'fc2'], ['fc2', 'lif2'], ['lif2', 'output']], { name: 'shd-recurrent', dt: 1e-3 });
  const { chip } = compile(graph, { target: 'loihi-like', timesteps: T, hold: 'none' });
  const samples = 64;
  const data = new Float32Array(samples * T * IN);
  for (let s = 0; s < samples; s++) {
    const rates = Array.from({ length: IN }, () => rng.next() * 0.04);
    for (let t = 0; t < T; t++) for (let i = 0; i < IN; i++) data[(s * T + t) * IN + i] = rng.next() < rates[i] ? 1 : 0;
  }
  return { mapped: chip, timed: { frames: T, sample: (k) => data.subarray((k % samples) * T * IN, ((k % samples) + 1) * T * IN) } };
}

// Other jobs on the machine change the figures: print its load so a quoted figure carries it.
console.log(`snnc chip simulator benchmark (one thread, node ${process.version}); target loihi-like; load average ${loadavg().map((x) => x.toFixed(2)).join(', ')} on ${availableParallelism()} cores`);
const mlpRate = eventsPerSecond('MNIST MLP 784-512-256-10, T=4', mnistMlp(), 200);
eventsPerSecond('MNIST CNN 16-32 (stride-2 3×3 convs), T=4', mnistCnn(), 500);
eventsPerSecond('dense 4096→4096, 10 % active, 100 steps', largeLayer(), 3);
// The LeNet-5 test fixture (seeded weights) through the real compiler, calibrated on MNIST, T=4.
const lenet = join(packageRoot(), 'tests/fixtures/onnx/lenet.onnx');
const compiledLenet = existsSync(lenet) ? compile(lenet, { target: 'loihi-like', calibrate: 'mnist', samples: 64, timesteps: 4 }).chip : undefined;
if (compiledLenet) eventsPerSecond('LeNet-5 compiled for loihi-like, T=4', compiledLenet, 300);
const shd = recurrentShd();
const recRate = eventsPerSecond('recurrent CubaLIF 700-256(rec)-20, T=100', shd.mapped, 40, shd.timed);
console.log(`  recurrent against the MLP (events computed): ${(recRate / mlpRate).toFixed(2)}x (target: at least 0.5x)`);

const test = take(loadMnist('test'), 1000);
const runs: [string, ReturnType<typeof sequentialMapping>][] = [['MLP', sequentialMapping(mnistMlp())], ['CNN', sequentialMapping(mnistCnn())]];
if (compiledLenet) runs.push(['compiled LeNet-5', compiledLenet]);
for (const [label, mapped] of runs) {
  const t0 = performance.now();
  const { report } = simulate(mapped, test, { samples: 1000 });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`1,000 MNIST samples, ${label}, T=4 (full timing, NoC, energy): ${seconds.toFixed(2)} s, ${(1000 / seconds).toFixed(0)} samples/s, ${(report.perInference.synapticEvents / 1e3).toFixed(0)} k synaptic events and ${report.perInference.packets.toFixed(0)} packets per inference`);
}

/**
 * One worker against all workers on the same compiled artifact and samples, alternately (the machine is shared:
 * its load changes from second to second; the cores it gives, measured before and after, bound the ratios). "Started" pools are created for the run, as a command does (thread
 * start, model load and cold JIT included); "warm" pools are reused after a first run (steady state). One worker
 * thread (warm) is the reference for thread scaling: `--workers 1` runs in this thread, whose compiled code has
 * also served everything before it in this process.
 */
/**
 * What the machine gives right now: the same fixed spin loop on 1 thread and on n threads at once; n × t(1) / t(n)
 * is the number of cores' worth of work the process gets (n when idle; less when other jobs, or other machines on
 * the same host, take the cores). The parallel ratios below cannot exceed it.
 */
async function coresAvailable(n: number): Promise<number> {
  const spin = 'let x = 0; for (let i = 0; i < 2e8; i++) x += Math.sqrt(i); require("node:worker_threads").parentPort.postMessage(x);';
  const run = async (k: number) => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: k }, () => new Promise<void>((done) => {
      const w = new Worker(spin, { eval: true });
      w.once('message', () => { void w.terminate(); done(); });
    })));
    return performance.now() - t0;
  };
  const one = await run(1);
  return (n * one) / (await run(n));
}

if (compiledLenet) {
  const workers = defaultWorkers();
  const load = () => loadavg().map((x) => x.toFixed(2)).join(', ');
  const time = async (f: () => Promise<unknown>) => { const t0 = performance.now(); await f(); return (performance.now() - t0) / 1000; };
  console.log(`\nparallel evaluation: 1,000 MNIST samples of the compiled LeNet-5, T=4, ${workers} workers; load average ${load()} before; cores available to this process now: ${(await coresAvailable(workers)).toFixed(2)} of ${workers}`);
  if (workers < 2) console.log('  (one core: nothing to compare)');
  else {
    const warm = new EvalPool(workers);
    const warmOne = new EvalPool(1, { threadsForOne: true });
    await warm.simulate(compiledLenet, test);
    await warmOne.simulate(compiledLenet, test);
    const one: number[] = [], oneThread: number[] = [], started: number[] = [], steady: number[] = [];
    let same = true;
    const reference = JSON.stringify(simulate(compiledLenet, test).report);
    const check = (r: { report: unknown }) => { same &&= JSON.stringify(r.report) === reference; };
    for (let rep = 0; rep < 3; rep++) {
      one.push(await time(async () => simulate(compiledLenet, test)));
      oneThread.push(await time(async () => check(await warmOne.simulate(compiledLenet, test))));
      started.push(await time(async () => {
        const pool = new EvalPool(workers);
        try { check(await pool.simulate(compiledLenet, test)); } finally { await pool.close(); }
      }));
      steady.push(await time(async () => check(await warm.simulate(compiledLenet, test))));
    }
    await warm.close();
    await warmOne.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    const rate = (s: number) => `${(1000 / s).toFixed(0)} samples/s`;
    const row = (label: string, xs: number[]) => `  ${label.padEnd(50)} ${xs.map((x) => `${x.toFixed(2)} s`).join(', ')}; median ${rate(median(xs))}`;
    const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}x (per repetition ${a.map((x, i) => `${(x / b[i]).toFixed(2)}x`).join(', ')})`;
    console.log(row('1 worker, this thread (--workers 1)', one));
    console.log(row('1 worker thread, warm pool', oneThread));
    console.log(row(`${workers} workers, pool started per run (as a command)`, started));
    console.log(row(`${workers} workers, warm pool`, steady));
    console.log(`  ${workers} workers against --workers 1: ${ratio(one, started)} started per run, ${ratio(one, steady)} warm`);
    console.log(`  ${workers} worker threads against 1 worker thread (both warm): ${ratio(oneThread, steady)}`);
    console.log(`  reports ${same ? 'byte-identical' : 'DIFFERENT'} to the one-worker run; load average ${load()} after; cores available now: ${(await coresAvailable(workers)).toFixed(2)} of ${workers}`);
  }
}
