/**
 * The NIR paper's LIF experiment (neuromorphs/NIR paper/01_lif): one LIF neuron (lif_norse.nir: Affine 1×1 → LIF
 * τ = 2.5 ms, r = 1, v_leak = 0, θ = 0.1) driven by the same 1000-step input on 11 platforms, each trace a CSV of
 * input, membrane voltage and spike per step (dt = 1e-4 s). Here snnc runs the same file (forward Euler, its
 * float executor) and each platform's trace is compared with it: spike steps, and whether the voltage is snnc's up
 * to a constant scale (each platform's own unit of potential) and a whole-step lag. Used by tests/nir and by the
 * docs/nir.md generator.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGraph } from '../src/ir/execute.js';
import { neuronDynamics } from '../src/ir/kinds/neuron.js';
import type { LIFNode } from '../src/ir/nodes.js';
import { readNir } from '../src/nir/read.js';

/** The 11 platforms of the experiment, by their CSV names (lif_<platform>.csv). */
export const LIF_PLATFORMS = ['exact', 'lava_cpu_fixed', 'lava_cpu_float', 'lava_loihi_fixed', 'nengo', 'norse', 'rockpool', 'sinabs', 'snntorch', 'spinnaker2', 'spyx'] as const;
export type LifPlatform = (typeof LIF_PLATFORMS)[number];

export interface LifTrace { input: number[]; voltage: number[]; spike: number[] }

export function lifTrace(nirDir: string, platform: LifPlatform): LifTrace {
  const rows = readFileSync(join(nirDir, 'data', 'nir-paper-01_lif', `lif_${platform}.csv`), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
  return { input: rows.map((r) => r[0]), voltage: rows.map((r) => r[1]), spike: rows.map((r) => r[2]) };
}

export const spikeSteps = (s: ArrayLike<number>): number[] => Array.from(s).flatMap((v, t) => (v !== 0 ? [t] : []));

/** snnc's run of lif_norse.nir on an input: spike steps from the float executor, and the membrane voltage per step
 * before and after the reset, from the same per-neuron coefficients the executor uses (dynamics.ts). */
export interface SnncLifRun { spikes: number[]; pre: Float64Array; post: Float64Array; keep: number; gain: number; threshold: number }

export function snncLif(nirDir: string, input: ArrayLike<number>, dt = 1e-4): SnncLifRun {
  const { graph } = readNir(join(nirDir, 'norse-lif_norse.nir'), { dt });
  const T = input.length;
  const spikes: number[] = [];
  const lifName = graph.order.find((n) => graph.nodes.get(n)!.kind === 'LIF')!;
  runGraph(graph, Float32Array.from(input), 1, { inputSteps: T, record: (node, step, values) => { if (node === lifName && values[0] === 1) spikes.push(step - 1); } });
  const affine = graph.nodes.get(graph.succs.get(graph.inputName)![0])!;
  const w = affine.kind === 'Affine' ? affine.weight.data[0] : 1;
  const b = affine.kind === 'Affine' ? affine.bias.data[0] : 0;
  const d = neuronDynamics(lifName, graph.nodes.get(lifName) as LIFNode, 1, dt);
  const pre = new Float64Array(T);
  const post = new Float64Array(T);
  let v = 0;
  for (let t = 0; t < T; t++) {
    v = Math.fround(d.keep[0] * v + d.gain[0] * (w * input[t] + b) + d.bias[0]);
    pre[t] = v;
    if (v > d.threshold![0]) v = d.vReset[0];
    post[t] = v;
  }
  return { spikes, pre, post, keep: d.keep[0], gain: d.gain[0] * w, threshold: d.threshold![0] };
}

/** How one platform's trace relates to snnc's. */
export interface LifComparison {
  platform: LifPlatform;
  spikes: number[];
  /** Same spike steps as snnc. */
  sameSpikes: boolean;
  /** Steps every spike lags snnc's, when all lag equally (0 when the same); null otherwise. */
  lag: number | null;
  /** The best fit of the platform's voltage as k · snnc's voltage (before or after the reset), `shift` steps later. */
  voltage: { scale: number; shift: number; reset: 'before' | 'after'; maxRelError: number };
}

export function compareLif(run: SnncLifRun, platform: LifPlatform, trace: LifTrace): LifComparison {
  const spikes = spikeSteps(trace.spike);
  const same = spikes.length === run.spikes.length && spikes.every((t, i) => t === run.spikes[i]);
  const lags = spikes.length === run.spikes.length ? spikes.map((t, i) => t - run.spikes[i]) : [];
  const lag = lags.length > 0 && lags.every((l) => l === lags[0]) ? lags[0] : null;
  let best: LifComparison['voltage'] | null = null;
  for (const [reset, ref] of [['after', run.post], ['before', run.pre]] as const) {
    for (const shift of [0, 1]) {
      const shifted = (t: number) => (t - shift >= 0 ? ref[t - shift] : 0);
      const ratios: number[] = [];
      for (let t = 0; t < trace.voltage.length; t++) if (Math.abs(shifted(t)) > 1e-6) ratios.push(trace.voltage[t] / shifted(t));
      ratios.sort((a, b) => a - b);
      const scale = ratios.length > 0 ? ratios[Math.floor(ratios.length / 2)] : 0;
      let err = 0, peak = 0;
      for (let t = 0; t < trace.voltage.length; t++) {
        err = Math.max(err, Math.abs(trace.voltage[t] - scale * shifted(t)));
        peak = Math.max(peak, Math.abs(scale * shifted(t)));
      }
      const rel = peak > 0 ? err / peak : Infinity;
      if (!best || rel < best.maxRelError) best = { scale, shift, reset, maxRelError: rel };
    }
  }
  return { platform, spikes, sameSpikes: same, lag, voltage: best! };
}

/** Every platform against snnc's float run on the experiment's input. */
export function lifConformance(nirDir: string): { run: SnncLifRun; platforms: LifComparison[] } {
  const input = lifTrace(nirDir, 'norse').input;
  const run = snncLif(nirDir, input);
  return { run, platforms: LIF_PLATFORMS.map((p) => compareLif(run, p, lifTrace(nirDir, p))) };
}
