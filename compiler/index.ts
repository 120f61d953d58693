/**
 * The compiler's library entry: `compile()` takes an ONNX file (or an IR graph) and a target and returns
 * the mapped chip, writing the artifact folder when `outDir` is given. Everything the CLI does, callable.
 */
import { basename, join } from 'node:path';
import type { Graph } from '../src/ir/graph.js';
import { importOnnxFile } from '../src/onnx/import.js';
import { readGraphJson } from '../src/ir/json.js';
import { loadDataset, take, sampleSize } from '../src/data/index.js';
import { prepareOutputDir, writeFileAtomic } from '../src/util/fs.js';
import { UserError } from '../src/util/errors.js';
import { loadTarget } from '../targets/load.js';
import type { TargetSpec } from '../targets/target.js';
import { runPipeline, PASSES, type PassName, type PipelineResult } from './pipeline.js';
import type { HoldOption } from './quantize.js';
import { writeMapped } from './emit.js';
import { formatSummary, type CompileSummary } from './summary.js';
import type { MaxPoolLowering } from './passes/lower-maxpool.js';
import type { Calibration } from './passes/convert.js';
import type { MappedChip } from './types.js';

export { runPipeline, PASSES, parseHold } from './pipeline.js';
export { holdStepsFor, type HoldOption } from './quantize.js';
export { readMapped, writeMapped, serializeMapped, MappedError } from './emit.js';
export { FitError } from './errors.js';
export { splitCost, type FanInSplit, type SplitCost } from './passes/split-fan-in.js';
export { formatSummary } from './summary.js';
export type { CompileSummary, SummaryRow } from './summary.js';
export type * from './types.js';

export interface CompileOptions {
  /** Shipped target name (`loihi-like`), path to a JSON file, or a loaded TargetSpec. */
  target: string | TargetSpec;
  timesteps?: number;
  /** Calibration data set (`mnist`, `fashion-mnist`, `idx:IMAGES,LABELS`, …; training split) or samples. */
  calibrate?: string | Calibration;
  /** Calibration samples (default 256). */
  samples?: number;
  dataDir?: string;
  balance?: 'percentile' | 'max';
  percentile?: number;
  maxpool?: MaxPoolLowering;
  /** Write mapped.json, weights.pb and summary files here. */
  outDir?: string;
  force?: boolean;
  dumpAfter?: PassName;
  /** Steps run after T with the input held: 'auto' (default: the readout lag on a 'hardware'-delay target,
   * 0 on a same-step one), 'none' (0; warns what that costs on a delayed target) or a step count. */
  hold?: HoldOption;
  /** Called with each warning (default: collected only). */
  warn?: (message: string) => void;
}

export interface CompileResult extends PipelineResult {
  warnings: string[];
  outDir?: string;
  /** The summary as a printable table. */
  table: string;
}

/** Model name for default output folders: the file name without extension. */
export function modelName(path: string): string {
  return basename(path).replace(/\.(onnx|snn\.json|json)$/i, '');
}

/** Loads the calibration samples of a data set spec (first `samples` of its training split, class-balanced). */
export function loadCalibration(spec: string, samples: number, dataDir?: string): Calibration {
  if (!(Number.isInteger(samples) && samples >= 1)) throw new UserError(`--samples must be a positive integer, got ${samples}`);
  const ds = take(loadDataset(spec, { split: 'train', dataDir }), samples);
  return { images: ds.images, count: ds.count, name: `${spec} (train, ${ds.count} samples of ${sampleSize(ds)} values)` };
}

/**
 * Compiles a model for a target: import (ONNX), fold, convert, lower, quantize, partition, place, route;
 * with `outDir`, writes mapped.json (schemas/mapped.schema.json), weights.pb (schemas/weights.proto),
 * summary.txt and summary.json there, atomically. Throws UserError subclasses (FitError, TargetError, …)
 * for anything the user can fix.
 */
export function compile(model: string | Graph, opts: CompileOptions): CompileResult {
  const warnings: string[] = [];
  const warn = (m: string) => { warnings.push(m); opts.warn?.(m); };
  const target = typeof opts.target === 'string' ? loadTarget(opts.target) : opts.target;
  const graph = typeof model === 'string' ? (/\.json$/i.test(model) ? readGraphJson(model) : importOnnxFile(model).graph) : model;
  if (opts.dumpAfter !== undefined && !PASSES.includes(opts.dumpAfter)) throw new UserError(`--dump-after: unknown pass '${opts.dumpAfter}' (passes: ${PASSES.join(', ')})`);
  const calibration = typeof opts.calibrate === 'string' ? loadCalibration(opts.calibrate, opts.samples ?? 256, opts.dataDir) : opts.calibrate;
  if (opts.outDir) prepareOutputDir(opts.outDir, opts.force);
  const result = runPipeline(graph, {
    target, timesteps: opts.timesteps, calibration, balance: opts.balance, percentile: opts.percentile, maxpool: opts.maxpool,
    dumpAfter: opts.dumpAfter, dumpDir: opts.outDir, hold: opts.hold, warn,
  });
  const table = formatSummary(result.summary);
  if (opts.outDir) {
    writeMapped(opts.outDir, result.chip);
    writeFileAtomic(join(opts.outDir, 'summary.txt'), table);
    writeFileAtomic(join(opts.outDir, 'summary.json'), `${JSON.stringify({ ...result.summary, warnings }, null, 1)}\n`);
  }
  return { ...result, warnings, outDir: opts.outDir, table };
}

export type { MappedChip, CompileSummary as Summary };
