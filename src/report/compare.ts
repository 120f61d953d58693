import { join } from 'node:path';
import { compile } from '../../compiler/index.js';
import type { CompileSummary } from '../../compiler/summary.js';
import type { SimReport } from '../../simulator/report.js';
import { listTargets, loadTarget, targetPathOf } from '../../targets/load.js';
import { loadDataset, datasetFiles, fitToInput } from '../data/index.js';
import { loadModelGraph } from '../model-file.js';
import { isSpiking } from '../ir/graph.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir, guardOutputs, withOutputDir, writeFileAtomic } from '../util/fs.js';
import { checkRange } from '../util/ranges.js';
import { loadModelEvaluators } from './models.js';
import { resolveWorkers, withEvalPool, type EvalPool } from '../parallel/index.js';
import { barChart } from './svg.js';
import { sig, microjoules, percent } from './format.js';
import { COMPILE_SUMMARY_TAG as COMPILE_SUMMARY_FORMAT, type ReportSection } from './report.js';
import { markdownTable } from './format.js';

/** Format tag and version of `snnc compare` JSON (compare.json). */
export const COMPARE_FORMAT = 'snnc-compare';

/** One target's line of the comparison. Figures are per inference; null when the model does not fit. */
export interface CompareRow {
  target: string;
  fits: boolean;
  /** Why the model does not fit (the compiler's message), or null. */
  reason: string | null;
  coresUsed: number | null;
  coresAvailable: number | null;
  timesteps: number | null;
  energyJ: number | null;
  latencyNs: number | null;
  /** Effective synaptic operations (non-zero weights) and spikes per inference on the chip. */
  synapticOps: number | null;
  spikes: number | null;
  /** Accuracy of the simulated chip on the samples, in [0, 1]. */
  accuracy: number | null;
  /** Compiler warnings (e.g. hardware delay eating time steps). */
  warnings: string[];
}

export interface CompareReport {
  format: typeof COMPARE_FORMAT;
  version: 1;
  created: string;
  model: string;
  dataset: string;
  samples: number;
  /** The model itself on the same samples (onnxruntime for an ANN, the float SNN executor for a student). */
  software: { engine: string; accuracy: number; timesteps: number | null };
  /** What reading the model repaired or assumed (the same for every target). */
  warnings: string[];
  rows: CompareRow[];
}

export interface CompareOptions {
  /** Seconds per step for a NIR model's time constants. */
  dt?: number;
  dataset: string;
  dataDir?: string;
  /** Test samples simulated per target. */
  samples: number;
  /** Training samples used for calibration (threshold balancing and rates). */
  calibrationSamples?: number;
  timesteps?: number;
  /** Targets to compare (default: every shipped target). */
  targets?: string[];
  /** Write compare.json plus each target's summary and simulation report here. */
  outDir?: string;
  /** Write into an existing folder not created by snnc. */
  force?: boolean;
  onProgress?: (target: string, status: string) => void;
  /** Worker threads sharing the samples (default: every core; 1: this thread). */
  workers?: number;
}

/**
 * Compiles a model for every target, simulates the mapped chips on the same test samples, and collects
 * one row per target: cores used, fits or why not, energy and latency per inference, accuracy.
 */
export async function compareTargets(modelPath: string, opts: CompareOptions): Promise<CompareReport> {
  checkRange('--samples', 'samples', opts.samples);
  checkRange('--calibration-samples', 'samples', opts.calibrationSamples);
  checkRange('--timesteps', 'timesteps', opts.timesteps);
  resolveWorkers(opts.workers);
  const targets = opts.targets ?? listTargets();
  for (const t of targets) loadTarget(t);
  const outDir = opts.outDir;
  if (outDir) {
    checkOutputDir(outDir, opts.force ?? false);
    guardOutputs(
      [modelPath, ...targets.map(targetPathOf), ...datasetFiles(opts.dataset, opts.dataDir)],
      [['-o', join(outDir, 'compare.json')], ...targets.flatMap((t) => [['-o', join(outDir, t, 'summary.json')], ['-o', join(outDir, t, 'sim-report.json')]] as [string, string][])],
    );
  }
  return withEvalPool(opts.workers, (pool) => compareOn(pool, modelPath, targets, opts));
}

async function compareOn(pool: EvalPool, modelPath: string, targets: string[], opts: CompareOptions): Promise<CompareReport> {
  const loadWarnings: string[] = [];
  const { graph } = loadModelGraph(modelPath, { dt: opts.dt, warn: (m) => loadWarnings.push(m) });
  // Samples with one axis more than the model's input are steps over time: they fix T.
  const test = fitToInput(loadDataset(opts.dataset, { split: 'test', dataDir: opts.dataDir, limit: opts.samples }), graph.shapes.get(graph.inputName)!.output);
  const timed = test.steps !== undefined;
  if (timed && !isSpiking(graph)) throw new UserError(`the samples of '${test.name}' are ${test.steps} steps over time: '${modelPath}' is an ANN, which takes one static input; compare a spiking network on them`);
  if (timed && opts.timesteps !== undefined && opts.timesteps < test.steps!) {
    throw new UserError(`--timesteps ${opts.timesteps} is shorter than the ${test.steps} steps each sample of '${test.name}' holds`);
  }
  const timesteps = opts.timesteps ?? test.steps;
  let softwareCorrect = 0;
  let software: { engine: string; timesteps: number | null };
  if (timed) {
    // The float SNN on the frames (same-step delivery), the reference every chip row is held against.
    const T = timesteps!;
    const p = await pool.predictFloat(graph, test.images, test.count, { mode: 'snn', timesteps: T, encoding: 'direct', inputSteps: test.steps });
    for (let i = 0; i < test.count; i++) if (p[i] === test.labels[i]) softwareCorrect++;
    software = { engine: 'float', timesteps: T };
  } else {
    const [evaluator] = await loadModelEvaluators([modelPath], { sampleShape: test.shape, timesteps: opts.timesteps, pool, dt: opts.dt });
    try {
      const p = await evaluator.predict(test.images, test.count);
      for (let i = 0; i < test.count; i++) if (p[i] === test.labels[i]) softwareCorrect++;
    } finally {
      await evaluator.dispose();
    }
    software = { engine: evaluator.engine, timesteps: evaluator.timesteps ?? null };
  }
  const rows: CompareRow[] = [];
  // Written together at the end, into a folder created only then: a failed run leaves nothing.
  const files: [string, string][] = [];
  for (const target of targets) {
    opts.onProgress?.(target, 'compiling');
    const warnings: string[] = [];
    let compiled: ReturnType<typeof compile>;
    try {
      compiled = compile(graph, {
        // Calibration converts an ANN's activations to spike rates: a spiking network (and data over time) needs none.
        target, timesteps, calibrate: timed ? undefined : opts.dataset, samples: opts.calibrationSamples ?? 256, dataDir: opts.dataDir,
        warn: (m) => warnings.push(m),
      });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      rows.push({ target, fits: false, reason: e.message, coresUsed: null, coresAvailable: null, timesteps: null, energyJ: null, latencyNs: null, synapticOps: null, spikes: null, accuracy: null, warnings });
      continue;
    }
    opts.onProgress?.(target, 'simulating');
    const { report } = await pool.simulate(compiled.chip, test);
    const s: CompileSummary = compiled.summary;
    rows.push({
      target, fits: true, reason: null, coresUsed: s.coresUsed, coresAvailable: s.coresAvailable, timesteps: report.timesteps,
      energyJ: report.perInference.energyJ.totalJ, latencyNs: report.perInference.latency.ns,
      synapticOps: report.perInference.effectiveSynapticOps, spikes: report.perInference.spikes, accuracy: report.accuracy ?? null, warnings,
    });
    files.push([join(target, 'summary.json'), `${JSON.stringify({ format: COMPILE_SUMMARY_FORMAT, ...s, warnings }, null, 1)}\n`]);
    files.push([join(target, 'sim-report.json'), `${JSON.stringify(report satisfies SimReport, null, 1)}\n`]);
  }
  const result: CompareReport = {
    format: COMPARE_FORMAT, version: 1, created: new Date().toISOString(),
    model: modelPath, dataset: opts.dataset, samples: test.count,
    software: { engine: software.engine, accuracy: softwareCorrect / test.count, timesteps: software.timesteps ?? null },
    warnings: loadWarnings,
    rows,
  };
  const outDir = opts.outDir;
  if (outDir) {
    files.push(['compare.json', `${JSON.stringify(result, null, 1)}\n`]);
    withOutputDir(outDir, opts.force ?? false, () => { for (const [f, text] of files) writeFileAtomic(join(outDir, f), text); });
  }
  return result;
}


const COMPARE_ALIGN: ('l' | 'r')[] = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'];

/** The comparison table: one row per target. */
export function compareTable(r: CompareReport): { head: string[]; rows: string[][] } {
  return {
    head: ['target', 'fits', 'cores used', 'T', 'energy per inference (µJ)', 'latency per inference (µs)', 'SOPs per inference', 'spikes per inference', 'accuracy (%)', 'why not / notes'],
    rows: r.rows.map((x) => [
      x.target,
      x.fits ? 'yes' : 'no',
      x.fits ? `${x.coresUsed} / ${x.coresAvailable}` : '–',
      x.timesteps !== null ? String(x.timesteps) : '–',
      x.energyJ !== null ? microjoules(x.energyJ) : '–',
      x.latencyNs !== null ? sig(x.latencyNs / 1000) : '–',
      x.synapticOps != null ? sig(x.synapticOps) : '–',
      x.spikes != null ? sig(x.spikes) : '–',
      x.accuracy !== null ? percent(x.accuracy) : '–',
      x.fits ? x.warnings.join(' ') : x.reason ?? '',
    ]),
  };
}

/** The comparison as printed by the CLI. */
export function compareText(r: CompareReport): string {
  const t = compareTable(r);
  const sw = `${r.software.engine === 'onnxruntime' ? 'ANN (onnxruntime)' : `float SNN, T=${r.software.timesteps}`}: ${percent(r.software.accuracy)} %`;
  const notes = (r.warnings ?? []).map((w) => `note: ${w}\n`).join('');
  return `${r.model} on ${r.dataset} (test, first ${r.samples} samples); the model in software, ${sw}\n${notes}\n${markdownTable(t.head, t.rows, COMPARE_ALIGN)}\n`;
}

/** The report section of a comparison. */
export function compareSection(r: CompareReport, file: string): ReportSection {
  const t = compareTable(r);
  const fit = r.rows.filter((x) => x.fits);
  return {
    id: 'compare', title: 'Target comparison',
    charts: fit.length ? [
      barChart({ title: 'Energy per inference (µJ)', categories: fit.map((x) => x.target), series: [{ name: 'energy', values: fit.map((x) => x.energyJ! * 1e6) }], yLabel: 'µJ', log: true, width: 420 }),
      barChart({ title: 'Latency per inference (µs)', categories: fit.map((x) => x.target), series: [{ name: 'latency', values: fit.map((x) => x.latencyNs! / 1000) }], yLabel: 'µs', log: true, width: 420 }),
      ...(fit.every((x) => x.synapticOps != null) ? [barChart({ title: 'Synaptic operations per inference', categories: fit.map((x) => x.target), series: [{ name: 'SOPs', values: fit.map((x) => x.synapticOps!) }], yLabel: 'SOPs', log: true, width: 420 })] : []),
      barChart({ title: 'Accuracy (%)', categories: fit.map((x) => x.target), series: [{ name: 'accuracy', values: fit.map((x) => x.accuracy! * 100) }], yLabel: '%', width: 420 }),
    ] : [],
    tables: [{ caption: `All targets — ${r.model} on ${r.dataset} (first ${r.samples} test samples)`, head: t.head, rows: t.rows, align: COMPARE_ALIGN }],
    notes: [
      `Source: ${file}. The model in software (${r.software.engine}) scores ${percent(r.software.accuracy)} % on the same samples.`,
    ],
  };
}
