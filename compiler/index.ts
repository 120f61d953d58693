/**
 * The compiler's library entry: `compile()` takes a model file (NIR, ONNX or IR JSON, recognised by content) or an
 * IR graph, and a target, and returns
 * the mapped chip, writing the artifact folder when `outDir` is given. Everything the CLI does, callable.
 */
import { basename, join } from 'node:path';
import type { Graph } from '../src/ir/graph.js';
import { loadModelGraph, withDt } from '../src/model-file.js';
import { datasetFiles } from '../src/data/index.js';
import { checkOutputDir, guardOutputs, withOutputDir, writeFileAtomic } from '../src/util/fs.js';
import { UserError } from '../src/util/errors.js';
import { checkRange } from '../src/util/ranges.js';
import { loadTarget, targetPathOf } from '../targets/load.js';
import type { TargetSpec } from '../targets/target.js';
import { runPipeline, PASSES, type PassName, type PipelineResult } from './pipeline.js';
import type { HoldOption } from './quantize.js';
import { writeMapped, MAPPED_FILE, WEIGHTS_FILE } from './emit.js';
import { chooseCalibration } from './calibration.js';
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
export { loadCalibration, NO_CALIBRATION } from './calibration.js';
export type { CompileSummary, SummaryRow } from './summary.js';
export type * from './types.js';

export interface CompileOptions {
  /** Shipped target name (`loihi-like`), path to a JSON file, or a loaded TargetSpec. */
  target: string | TargetSpec;
  timesteps?: number;
  /** Seconds per step for the model's time constants (a NIR file's default is 1e-4, snnTorch's and Lava's). */
  dt?: number;
  /** Calibration data set (`mnist`, `fashion-mnist`, `idx:IMAGES,LABELS`, …; training split) or samples;
   * `none` converts with weight-based thresholds; absent: see chooseCalibration (compiler/calibration.ts). */
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
  return basename(path).replace(/\.(onnx|snn\.json|json|nir)$/i, '');
}

/**
 * Compiles a model for a target: load (NIR, ONNX or IR JSON), fold, convert, lower, quantize, partition, place, route;
 * with `outDir`, writes mapped.json (schemas/mapped.schema.json), weights.pb (schemas/weights.proto),
 * summary.txt and summary.json there, atomically. Throws UserError subclasses (FitError, TargetError, …)
 * for anything the user can fix.
 */
export function compile(model: string | Graph, opts: CompileOptions): CompileResult {
  const warnings: string[] = [];
  const warn = (m: string) => { warnings.push(m); opts.warn?.(m); };
  // Every setting is checked before any file is read or written.
  checkRange('--timesteps', 'timesteps', opts.timesteps);
  checkRange('--samples', 'samples', opts.samples);
  checkRange('--percentile', 'percentile', opts.percentile);
  if (opts.dumpAfter !== undefined && !PASSES.includes(opts.dumpAfter)) throw new UserError(`--dump-after: unknown pass '${opts.dumpAfter}' (passes: ${PASSES.join(', ')})`);
  const target = typeof opts.target === 'string' ? loadTarget(opts.target) : opts.target;
  const outDir = opts.outDir;
  if (outDir) {
    checkOutputDir(outDir, opts.force);
    const files = [MAPPED_FILE, WEIGHTS_FILE, 'summary.txt', 'summary.json', ...(opts.dumpAfter ? [`dump-after-${opts.dumpAfter}.json`] : [])];
    guardOutputs(
      [typeof model === 'string' ? model : undefined, typeof opts.target === 'string' ? targetPathOf(opts.target) : undefined,
        ...(typeof opts.calibrate === 'string' ? datasetFiles(opts.calibrate, opts.dataDir) : [])],
      files.map((f) => ['-o', join(outDir, f)] as [string, string]),
    );
  }
  const graph = typeof model === 'string' ? loadModelGraph(model, { dt: opts.dt, warn }).graph : withDt(model, opts.dt);
  const calibration = chooseCalibration(graph, opts.calibrate, opts.samples ?? 256, opts.dataDir, warn);
  const pipeline = () => runPipeline(graph, {
    target, timesteps: opts.timesteps, calibration, balance: opts.balance, percentile: opts.percentile, maxpool: opts.maxpool,
    dumpAfter: opts.dumpAfter, dumpDir: outDir, hold: opts.hold, warn,
  });
  const write = (result: PipelineResult) => {
    writeMapped(outDir!, result.chip);
    writeFileAtomic(join(outDir!, 'summary.txt'), formatSummary(result.summary));
    writeFileAtomic(join(outDir!, 'summary.json'), `${JSON.stringify({ ...result.summary, warnings }, null, 1)}\n`);
    return result;
  };
  // The folder is created only once there is something to write (a dump is written while the passes run);
  // a compile that fails removes a folder it created, so no empty or half-written folder is left behind.
  let result: PipelineResult;
  if (!outDir) result = pipeline();
  else if (opts.dumpAfter) result = withOutputDir(outDir, opts.force ?? false, () => write(pipeline()));
  else {
    const done = pipeline();
    result = withOutputDir(outDir, opts.force ?? false, () => write(done));
  }
  return { ...result, warnings, outDir, table: formatSummary(result.summary) };
}

export type { MappedChip, CompileSummary as Summary };
