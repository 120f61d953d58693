import type { Dataset } from '../data/dataset.js';
import { applyNoise, NOISE_KINDS, type NoiseKind, type NoiseSpec } from '../data/noise.js';
import type { ModelEvaluator, ModelEngine, ModelType } from './models.js';
import { lineChart, chartGrid } from './svg.js';
import { markdownTable } from './format.js';

export { markdownTable } from './format.js';

/** Format tag and version of robustness JSON files (schemas/robustness.schema.json). */
export const ROBUSTNESS_FORMAT = 'snnc-robustness';
export const ROBUSTNESS_VERSION = 1;

/** A model as recorded in a robustness report. */
export interface RobustnessModel {
  id: string;
  path: string;
  type: ModelType;
  engine: ModelEngine;
  target: string | null;
  timesteps: number | null;
  encoding: 'direct' | 'rate' | null;
}

/** One (model, noise, level) accuracy. `noise` is 'clean' (level 0) for the unperturbed inputs. */
export interface RobustnessEntry {
  model: string;
  noise: NoiseKind | 'clean';
  level: number;
  correct: number;
  samples: number;
  /** correct / samples, in [0, 1]. */
  accuracy: number;
}

/** The JSON written by `snnc robustness` (robustness.json). */
export interface RobustnessReport {
  format: typeof ROBUSTNESS_FORMAT;
  version: typeof ROBUSTNESS_VERSION;
  created: string;
  dataset: string;
  split: 'train' | 'test';
  samples: number;
  seed: number;
  noise: NoiseSpec[];
  models: RobustnessModel[];
  results: RobustnessEntry[];
}

export interface RobustnessRunOptions {
  datasetSpec: string;
  split: 'train' | 'test';
  seed: number;
  noise: NoiseSpec[];
  /** Called after each perturbation has been evaluated on every model (done of total). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/**
 * Evaluates every model on the clean inputs and on each noise kind and level. All models see exactly
 * the same perturbed images (one perturbed copy per level, built once).
 */
export async function evaluateRobustness(models: ModelEvaluator[], data: Dataset, opts: RobustnessRunOptions): Promise<RobustnessReport> {
  const conditions: { noise: NoiseKind | 'clean'; level: number }[] = [{ noise: 'clean', level: 0 }];
  for (const spec of opts.noise) for (const level of spec.levels) conditions.push({ noise: spec.kind, level });
  const results: RobustnessEntry[] = [];
  let done = 0;
  for (const c of conditions) {
    const inputs = c.noise === 'clean' ? data : applyNoise(data, { kind: c.noise, level: c.level }, opts.seed);
    for (const m of models) {
      const predicted = await m.predict(inputs.images, inputs.count);
      let correct = 0;
      for (let i = 0; i < inputs.count; i++) if (predicted[i] === inputs.labels[i]) correct++;
      results.push({ model: m.id, noise: c.noise, level: c.level, correct, samples: inputs.count, accuracy: correct / inputs.count });
    }
    opts.onProgress?.(++done, conditions.length, c.noise === 'clean' ? 'clean' : `${c.noise}:${c.level}`);
  }
  return {
    format: ROBUSTNESS_FORMAT,
    version: ROBUSTNESS_VERSION,
    created: new Date().toISOString(),
    dataset: opts.datasetSpec,
    split: opts.split,
    samples: data.count,
    seed: opts.seed,
    noise: opts.noise,
    models: models.map((m) => ({
      id: m.id, path: m.path, type: m.type, engine: m.engine, target: m.target ?? null,
      timesteps: m.timesteps ?? null, encoding: m.encoding ?? null,
    })),
    results,
  };
}

/** Accuracy as a percentage with two decimals, the one format used in tables and summaries. */
export function formatPercent(accuracy: number): string {
  return `${(accuracy * 100).toFixed(2)} %`;
}

/** A model's column heading: id plus how it ran. */
export function modelHeading(m: RobustnessModel): string {
  const how = m.type === 'ann' ? (m.engine === 'onnxruntime' ? 'ANN' : 'ANN, IR executor')
    : m.engine === 'float' ? `SNN float, T=${m.timesteps}` : `SNN on ${m.target}, T=${m.timesteps}`;
  return `${m.id} (${how})`;
}

/** The accuracy table: one row per noise level, one column per model (accuracy in %, two decimals). */
export function robustnessTable(r: RobustnessReport): { head: string[]; rows: string[][]; align: ('l' | 'r')[] } {
  const head = ['noise', 'level', ...r.models.map(modelHeading)];
  const rows: string[][] = [];
  for (const c of uniqueConditions(r)) {
    const row = [c.noise, c.noise === 'clean' ? '–' : String(c.level)];
    for (const m of r.models) {
      const e = r.results.find((x) => x.model === m.id && x.noise === c.noise && x.level === c.level);
      row.push(e ? formatPercent(e.accuracy) : 'n/a');
    }
    rows.push(row);
  }
  return { head, rows, align: ['l', 'r', ...r.models.map(() => 'r' as const)] };
}

/** The accuracy table as Markdown. */
export function robustnessMarkdownTable(r: RobustnessReport): string {
  const t = robustnessTable(r);
  return markdownTable(t.head, t.rows, t.align);
}

/** (noise, level) pairs in report order, clean first. */
export function uniqueConditions(r: RobustnessReport): { noise: NoiseKind | 'clean'; level: number }[] {
  const seen = new Set<string>();
  const out: { noise: NoiseKind | 'clean'; level: number }[] = [];
  for (const e of r.results) {
    const key = `${e.noise}:${e.level}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ noise: e.noise, level: e.level });
    }
  }
  return out;
}


/**
 * Robustness curves: one panel per noise kind, accuracy (%) against level, one line per model; the
 * clean accuracy is each curve's point at level 0.
 */
export function robustnessChart(r: RobustnessReport, opts: { width?: number; columns?: number } = {}): string {
  const kinds = [...new Set(r.results.map((e) => e.noise).filter((n): n is NoiseKind => n !== 'clean'))];
  const panels = kinds.map((kind) => lineChart({
    title: `${kind}`,
    xLabel: NOISE_KINDS[kind].level,
    yLabel: 'accuracy (%)',
    yMin: 0,
    yMax: 100,
    width: opts.width ?? 420,
    height: 260,
    series: r.models.map((m) => {
      const clean = r.results.find((e) => e.model === m.id && e.noise === 'clean');
      const pts: [number, number][] = r.results.filter((e) => e.model === m.id && e.noise === kind).map((e) => [e.level, e.accuracy * 100]);
      if (clean && !pts.some((p) => p[0] === 0)) pts.unshift([0, clean.accuracy * 100]);
      return { name: modelHeading(m), points: pts };
    }),
  }));
  if (panels.length === 0) {
    // only the clean condition: a single bar-like line chart of clean accuracy per model
    return lineChart({
      title: 'clean accuracy',
      yLabel: 'accuracy (%)', yMin: 0, yMax: 100, width: opts.width ?? 420, height: 260,
      series: r.models.map((m) => ({ name: modelHeading(m), points: r.results.filter((e) => e.model === m.id).map((e) => [0, e.accuracy * 100] as [number, number]) })),
    });
  }
  return chartGrid(panels, opts.columns ?? Math.min(3, panels.length), `Accuracy under input noise — ${r.dataset} (${r.split}, ${r.samples} samples, seed ${r.seed})`);
}
