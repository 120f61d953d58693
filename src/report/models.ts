import { READ_LIMITS, readRegularFile } from '../util/safe-read.js';
import { checkModelBudget } from '../onnx/budget.js';
import { basename, extname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx, int64 } from '../onnx/proto.js';
import { runGraph, predict } from '../ir/execute.js';
import type { EvalPool } from '../parallel/index.js';
import { shapeSize, isSpiking, type Graph } from '../ir/graph.js';
import { detectModelFormat, loadModelGraph } from '../model-file.js';
import { UserError } from '../util/errors.js';
import { importOnnxFile, SNNC_DOMAIN } from '../onnx/import.js';
import { compile } from '../../compiler/index.js';
import { simulate } from '../../simulator/index.js';
import type { Dataset } from '../data/dataset.js';

/** What a model is and how it is run for evaluation. */
export type ModelType = 'ann' | 'snn';
/** onnxruntime: the reference ANN executor; float: the IR executor (SNN time steps); simulator: the mapped chip. */
export type ModelEngine = 'onnxruntime' | 'float' | 'simulator';

/**
 * A classifier under evaluation. `predict` takes `count` samples (row-major, per-sample shape
 * `inputShape`) and returns the predicted class of each.
 */
export interface ModelEvaluator {
  /** Short unique name used in tables and JSON (file stem, plus `@target` when mapped). */
  id: string;
  path: string;
  type: ModelType;
  engine: ModelEngine;
  target?: string;
  timesteps?: number;
  encoding?: 'direct' | 'rate';
  inputShape: number[];
  /** Notes from loading (e.g. compiler warnings for a mapped model). */
  warnings?: string[];
  predict(images: Float32Array, count: number): Promise<Int32Array>;
  dispose(): Promise<void>;
}

/** A model file that cannot be evaluated (unreadable, not ONNX, unsupported input layout). */
export class ModelError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/** The custom ONNX domain of spiking neuron nodes (docs/design.md), as the importer names it. */
export const SNN_DOMAIN = SNNC_DOMAIN;

/** What the ONNX file itself says: spiking or not, and the time steps/encoding in its metadata. */
export interface OnnxModelInfo {
  spiking: boolean;
  timesteps?: number;
  encoding?: 'direct' | 'rate';
  /** Per-sample input shape from the graph's first input (batch dimension dropped). */
  inputShape?: number[];
  /** The batch size when the model fixes it (samples then go in batches of exactly that size). */
  fixedBatch?: number;
}

/** Reads the parts of an ONNX file that decide how to evaluate it. */
export function inspectOnnx(path: string): OnnxModelInfo {
  const bytes = readRegularFile(path, { what: 'model', maxBytes: READ_LIMITS.onnx, error: (m) => new ModelError(m) });
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelError(`model '${path}' is not an ONNX file (${(e as Error).message})`);
  }
  if (!model.graph) throw new ModelError(`model '${path}' has no graph`);
  // onnxruntime would allocate whatever the file declares: the same budget as snnc's own importer.
  checkModelBudget(model, `model '${path}'`);
  const spiking = (model.graph.node ?? []).some((n) => n.domain === SNN_DOMAIN)
    || (model.opsetImport ?? []).some((o) => o.domain === SNN_DOMAIN);
  const meta = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  // The importer owns the exact rules; these keys are read here only to label the model before import.
  const steps = meta.has('snnc.timesteps') ? Number(meta.get('snnc.timesteps')) : undefined;
  const enc = meta.get('snnc.encoding');
  const initializers = new Set((model.graph.initializer ?? []).map((t) => t.name));
  const input = (model.graph.input ?? []).find((i) => !initializers.has(i.name));
  const dims = input?.type?.tensorType?.shape?.dim ?? [];
  let inputShape: number[] | undefined;
  let fixedBatch: number | undefined;
  if (dims.length >= 2 && dims.slice(1).every((d) => d.dimValue !== undefined && d.dimValue !== null && int64(d.dimValue) > 0)) {
    inputShape = dims.slice(1).map((d) => int64(d.dimValue));
    const b = dims[0];
    if (b.dimValue !== undefined && b.dimValue !== null && int64(b.dimValue) > 0 && !b.dimParam) fixedBatch = int64(b.dimValue);
  }
  return {
    spiking,
    timesteps: steps !== undefined && Number.isInteger(steps) && steps > 0 ? steps : undefined,
    encoding: enc === 'rate' || enc === 'direct' ? enc : undefined,
    inputShape,
    fixedBatch,
  };
}

/** Samples per onnxruntime call: large enough to amortise the call, small enough for modest memory. */
const ORT_BATCH = 256;

/** An ANN run frozen by onnxruntime-node (the reference executor), first input → first output. */
export async function onnxRuntimeEvaluator(path: string, id: string, sampleShape: readonly number[]): Promise<ModelEvaluator> {
  const info = inspectOnnx(path);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (e) {
    throw new ModelError(`onnxruntime cannot load '${path}': ${(e as Error).message.split('\n')[0]}`);
  }
  const sampleSize = shapeSize([...sampleShape]);
  // Feed the layout the model declares: N×C×H×W, or flattened N×(C·H·W) for a dense classifier.
  const modelShape = info.inputShape ?? [...sampleShape];
  if (shapeSize(modelShape) !== sampleSize) {
    throw new ModelError(`model '${path}' expects inputs of shape [${modelShape.join(', ')}] (${shapeSize(modelShape)} values), the data set gives [${sampleShape.join(', ')}]`);
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const batchLimit = info.fixedBatch ?? ORT_BATCH;
  return {
    id, path, type: 'ann', engine: 'onnxruntime', inputShape: modelShape,
    async predict(images, count) {
      const out = new Int32Array(count);
      for (let start = 0; start < count; start += batchLimit) {
        const n = Math.min(batchLimit, count - start);
        if (info.fixedBatch !== undefined && n !== info.fixedBatch) {
          throw new ModelError(`model '${path}' has a fixed batch of ${info.fixedBatch}; use a sample count that is a multiple of it`);
        }
        const x = new ort.Tensor('float32', images.slice(start * sampleSize, (start + n) * sampleSize), [n, ...modelShape]);
        const result = await session.run({ [inputName]: x });
        const logits = result[outputName];
        const data = logits.data as Float32Array;
        if (!(data instanceof Float32Array) || data.length % n !== 0) {
          throw new ModelError(`model '${path}' output '${outputName}' is not a float tensor of ${n} rows`);
        }
        out.set(predict(data, n), start);
      }
      return out;
    },
    async dispose() {
      await session.release();
    },
  };
}

/** A spiking (or any IR) graph run by the float reference executor (on `opts.pool`'s workers when given). */
export function floatGraphEvaluator(graph: Graph, path: string, id: string, opts: { timesteps?: number; encoding?: 'direct' | 'rate'; seed?: number; pool?: EvalPool }): ModelEvaluator {
  const inputShape = graph.shapes.get(graph.inputName)!.output;
  const timesteps = opts.timesteps ?? graph.meta.timesteps ?? 4;
  const encoding = opts.encoding ?? graph.meta.encoding ?? 'direct';
  return {
    id, path, type: 'snn', engine: 'float', timesteps, encoding, inputShape,
    async predict(images, count) {
      const run = { mode: 'snn', timesteps, encoding, seed: opts.seed } as const;
      return opts.pool ? opts.pool.predictFloat(graph, images, count, run) : predict(runGraph(graph, images, count, run), count);
    },
    async dispose() {},
  };
}

/** An ANN IR graph run once per sample by the float reference executor (ANN mode; on `pool`'s workers when given). */
export function annGraphEvaluator(graph: Graph, path: string, id: string, sampleShape: readonly number[], pool?: EvalPool): ModelEvaluator {
  const inputShape = graph.shapes.get(graph.inputName)!.output;
  if (shapeSize(inputShape) !== shapeSize([...sampleShape])) {
    throw new ModelError(`model '${path}' expects inputs of shape [${inputShape.join(', ')}], the data set gives [${sampleShape.join(', ')}]`);
  }
  return {
    id, path, type: 'ann', engine: 'float', inputShape,
    async predict(images, count) {
      return pool ? pool.predictFloat(graph, images, count, { mode: 'ann' }) : predict(runGraph(graph, images, count, { mode: 'ann' }), count);
    },
    async dispose() {},
  };
}

/** A unique, readable id per model path: the file stem, disambiguated with a number when stems repeat. */
export function modelIds(paths: string[]): string[] {
  const stems = paths.map((p) => basename(p, extname(p)).replace(/\.snn$/, ''));
  return stems.map((s, i) => (stems.filter((t) => t === s).length > 1 ? `${s}#${stems.slice(0, i + 1).filter((t) => t === s).length}` : s));
}

export interface LoadModelsOptions {
  /** Per-sample shape of the data set the models will see. */
  sampleShape: readonly number[];
  /** Also run spiking models mapped onto these chip targets (compiled, then cycle-level simulated). */
  targets?: string[];
  /** Calibration data for compiling to a target (training split of this data set spec). */
  calibration?: { dataset: string; dataDir?: string; samples?: number };
  /** SNN time steps (default: the model's metadata, else 4). */
  timesteps?: number;
  /** Seed for rate encoding. */
  seed?: number;
  /** Worker threads for the float executor and the simulator (default: this thread). */
  pool?: EvalPool;
  /** Seconds per step for a NIR model's time constants (see src/model-file.ts). */
  dt?: number;
  /** Told what loading a model repaired or assumed. */
  warn?: (message: string) => void;
}

/**
 * Evaluators for model files: ANN ONNX files run in onnxruntime-node; spiking ONNX students (nodes of
 * the `snnc` domain), NIR files and snnc IR graphs are read into the IR and run by the float executor (an ANN
 * given as IR JSON in ANN mode).
 */
export async function loadModelEvaluators(paths: string[], opts: LoadModelsOptions): Promise<ModelEvaluator[]> {
  const ids = modelIds(paths);
  const out: ModelEvaluator[] = [];
  try {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i];
      // By content, as every command reads a model: ONNX, NIR or snnc IR JSON.
      const format = detectModelFormat(path);
      const info: OnnxModelInfo = format === 'onnx' ? inspectOnnx(path) : { spiking: true };
      if (format === 'onnx' && !info.spiking) {
        out.push(await onnxRuntimeEvaluator(path, ids[i], opts.sampleShape));
        continue;
      }
      const graph = format === 'onnx' ? importOnnxFile(path).graph : loadModelGraph(path, { dt: opts.dt, warn: opts.warn }).graph;
      if (!isSpiking(graph)) {
        // an ANN given as IR JSON has no ONNX file for onnxruntime: the IR executor runs it in ANN mode
        out.push(annGraphEvaluator(graph, path, ids[i], opts.sampleShape, opts.pool));
        continue;
      }
      const inShape = graph.shapes.get(graph.inputName)!.output;
      if (shapeSize(inShape) !== shapeSize([...opts.sampleShape])) {
        throw new ModelError(`model '${path}' expects inputs of shape [${inShape.join(', ')}], the data set gives [${opts.sampleShape.join(', ')}]`);
      }
      out.push(floatGraphEvaluator(graph, path, ids[i], { timesteps: opts.timesteps ?? info.timesteps, encoding: info.encoding, seed: opts.seed, pool: opts.pool }));
      for (const target of opts.targets ?? []) {
        out.push(simulatorEvaluator(graph, path, `${ids[i]}@${target}`, target, opts));
      }
    }
  } catch (e) {
    await Promise.all(out.map((m) => m.dispose()));
    throw e;
  }
  return out;
}

/**
 * A spiking model compiled for a chip target and run by the cycle-level simulator: what the mapped
 * hardware would predict, integer arithmetic and spike delivery delays included.
 */
export function simulatorEvaluator(graph: Graph, path: string, id: string, target: string, opts: LoadModelsOptions): ModelEvaluator {
  const cal = opts.calibration;
  const { chip, warnings } = compile(graph, {
    target, timesteps: opts.timesteps, calibrate: cal?.dataset ?? 'mnist', samples: cal?.samples ?? 256, dataDir: cal?.dataDir,
  });
  const q = chip.placement.graph;
  return {
    id, path, type: 'snn', engine: 'simulator', target: q.target.name, timesteps: q.timesteps, encoding: q.input.encoding,
    inputShape: q.input.shape, warnings,
    async predict(images, count) {
      const shape = opts.sampleShape as [number, number, number];
      const batch: Dataset = { name: id, shape: [shape[0], shape[1], shape[2]], classes: 0, count, images, labels: new Uint8Array(count) };
      return (opts.pool ? await opts.pool.simulate(chip, batch) : simulate(chip, batch)).predictions;
    },
    async dispose() {},
  };
}
