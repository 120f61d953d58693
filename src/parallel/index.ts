/**
 * Parallel evaluation: `simulate`, `verify`, `robustness` and `compare` spread their samples over worker
 * threads (`--workers N`). An {@link EvalPool} runs the same per-sample work as the in-process path
 * (simulator/index.ts `ChipSampleRunner`, the float executor) on shards of samples and merges the results in
 * sample order, so a result is byte-identical whatever N. With one worker nothing is started: the work runs
 * in this thread, as `simulate()` and `runGraph()` do.
 *
 * What crosses to a worker, once per model: a mapped chip as a structured clone, a float graph as IR JSON
 * (protocol.ts says why). Per task: the shard's images and the run's options; back: per-sample records
 * (prediction, spike digest, the sample's counters and step latencies) or predicted classes.
 */
import { availableParallelism } from 'node:os';
import type { MappedChip } from '../../compiler/types.js';
import {
  ChipSimulator, SimulationMerge, simulate, simulationSize,
  type ChipRunOptions, type SimulateOptions, type SimulateResult,
} from '../../simulator/index.js';
import type { Dataset } from '../data/dataset.js';
import { runGraph, predict } from '../ir/execute.js';
import type { Graph } from '../ir/graph.js';
import { graphToJson } from '../ir/json.js';
import { UserError } from '../util/errors.js';
import { ThreadPool } from './pool.js';
import type { FloatRunOptions } from './protocol.js';

export { liveWorkerThreads } from './pool.js';
export type { FloatRunOptions } from './protocol.js';

/** The default worker count: every core this process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** `--workers` as every evaluating command declares it. */
export const WORKERS_OPTION = {
  type: 'number',
  describe: `worker threads sharing the samples (default: every core this process may use, ${defaultWorkers()} here); 1 runs them in this thread. Results are the same for any N`,
} as const;

/**
 * `--workers` as `train` and `train-teacher` declare it: the same flag and default, data-parallel (each batch
 * cut into N shards whose gradients are summed in a fixed order before one optimizer step).
 */
export const TRAIN_WORKERS_OPTION = {
  ...WORKERS_OPTION,
  describe: `worker threads sharing each batch, data-parallel (default: every core this process may use, ${defaultWorkers()} here); 1 trains in this thread. A run is reproducible for a given seed and N; another N changes the float summation order only`,
} as const;

/**
 * The most worker threads a command starts: four per core this process may use (at least 8). Each thread holds a
 * copy of the model (and, training, of tfjs), so a count far above the cores only costs memory.
 */
export function maxWorkers(): number {
  return Math.max(8, 4 * availableParallelism());
}

/** The worker count to use: `n` checked (a positive integer, at most maxWorkers()), or the default. */
export function resolveWorkers(n: number | undefined): number {
  if (n === undefined) return defaultWorkers();
  if (!(Number.isInteger(n) && n >= 1)) throw new UserError(`--workers must be a positive integer, got ${n}`);
  if (n > maxWorkers()) throw new UserError(`--workers must be at most ${maxWorkers()} (four per core this process may use), got ${n}`);
  return n;
}

/** Samples per chip task: small enough to balance the workers and move the progress bar, large enough to amortise a message. */
function chipShard(n: number, workers: number): number {
  return Math.max(1, Math.min(32, Math.ceil(n / (workers * 8))));
}

/** Samples per float task (the executor runs 128 at a time). */
function floatShard(n: number, workers: number): number {
  return Math.max(16, Math.min(128, Math.ceil(n / (workers * 4))));
}

/** The options of a chip run that cross to a worker (no callbacks). */
function chipRunOptions(o: SimulateOptions): ChipRunOptions {
  const out: ChipRunOptions = {};
  if (o.delay !== undefined) out.delay = o.delay;
  if (o.timesteps !== undefined) out.timesteps = o.timesteps;
  if (o.expandLimit !== undefined) out.expandLimit = o.expandLimit;
  if (o.checkReference) out.checkReference = true;
  return out;
}

/**
 * Evaluation over `workers` threads (started on first use, one model load per worker and model). Close it
 * when done ({@link withEvalPool} does): a pool that is not closed keeps its threads, and the process, alive.
 */
export class EvalPool {
  readonly workers: number;
  private threads: ThreadPool | undefined;

  /** `threadsForOne`: run even one worker on a thread of its own (benchmarks: thread scaling apart from the main thread's state). */
  constructor(workers?: number, private readonly opts: { threadsForOne?: boolean } = {}) {
    this.workers = resolveWorkers(workers);
  }

  /** Whether the work runs in this thread (one worker, no thread started). */
  private get inThread(): boolean {
    return this.workers === 1 && !this.opts.threadsForOne;
  }

  private pool(): ThreadPool {
    this.threads ??= new ThreadPool(this.workers);
    return this.threads;
  }

  /** {@link simulate} with the samples spread over the workers; the same result for any worker count. */
  async simulate(mapped: MappedChip, dataset: Dataset, opts: SimulateOptions = {}): Promise<SimulateResult> {
    if (this.inThread) return simulate(mapped, dataset, opts);
    const { n, sampleSize, frames } = simulationSize(mapped, dataset, opts.samples, opts.timesteps);
    const run = { ...chipRunOptions(opts), ...(frames > 1 ? { frames } : {}) };
    const pool = this.pool();
    const model = pool.model(mapped, () => ({ kind: 'chip', chip: mapped }));
    const shard = chipShard(n, this.workers);
    const tasks = [];
    let done = 0;
    for (let start = 0; start < n; start += shard) {
      const count = Math.min(shard, n - start);
      const task = pool.run(model, () => ({ job: { kind: 'chip', opts: run, start, count, images: dataset.images.slice(start * sampleSize, (start + count) * sampleSize) } }));
      if (opts.onProgress) void task.then(() => opts.onProgress!((done += count), n), () => {});
      tasks.push(task);
    }
    // Built while the workers start: a simulator of the same chip to hold the totals and build the report.
    const merge = new SimulationMerge(new ChipSimulator(mapped, run), dataset, n, !!run.checkReference);
    for (const task of tasks) for (const r of (await task).records!) merge.add(r);
    return merge.result();
  }

  /**
   * The predicted class of each of `count` samples under the float executor (`runGraph` + `predict`), shards
   * spread over the workers. Samples are independent: under rate encoding sample k draws from the stream of
   * (seed, firstSample + k), and each shard says where it starts.
   */
  async predictFloat(graph: Graph, images: Float32Array, count: number, opts: FloatRunOptions = {}): Promise<Int32Array> {
    if (this.inThread || count === 0) return predict(runGraph(graph, images, count, opts), count);
    const size = images.length / count;
    const shard = floatShard(count, this.workers);
    const first = opts.firstSample ?? 0;
    const pool = this.pool();
    const model = pool.model(graph, () => ({ kind: 'float', ir: graphToJson(graph) }));
    const tasks = [];
    for (let start = 0; start < count; start += shard) {
      const n = Math.min(shard, count - start);
      const shardOpts = { ...opts, firstSample: first + start };
      tasks.push(pool.run(model, () => ({ job: { kind: 'float', opts: shardOpts, count: n, images: images.slice(start * size, (start + n) * size) } })));
    }
    const out = new Int32Array(count);
    let at = 0;
    for (const task of tasks) {
      const p = (await task).predictions!;
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Terminates the workers, if any were started. */
  async close(): Promise<void> {
    await this.threads?.close();
  }
}

/** Runs `fn` with a pool of `workers` threads and closes the pool however `fn` ends. */
export async function withEvalPool<T>(workers: number | undefined, fn: (pool: EvalPool) => Promise<T>): Promise<T> {
  const pool = new EvalPool(workers);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}
