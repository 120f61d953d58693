/**
 * Data-parallel training (`snnc train --workers N`, `snnc train-teacher --workers N`): every worker thread of
 * the pool (src/parallel/pool.ts, the evaluation pool's machinery) holds a replica of the network
 * (src/train/replica.ts). For each step the main thread writes the current weights into a buffer the workers
 * share, cuts the batch into N contiguous shards, sends each its images, labels and teacher outputs (the
 * teacher runs on the main thread, or its outputs are cached), and the workers return their shards' loss
 * gradients. The main thread sums them in shard order, each weighted by its share of the batch, and makes one
 * optimizer step.
 *
 * What changes with N: only the order in which floats are summed (each shard's gradient is reduced over its own
 * samples, then the shards are added) and, under rate encoding, the input spikes (each shard draws from the
 * step's seed and its shard number). A run is reproducible for a given seed and N; N = 1 never starts a
 * thread and is the in-thread step.
 */
import { tf } from './backend.js';
import { ThreadPool } from '../parallel/pool.js';
import type { GradJob, ReplicaSpec } from './replica.js';
import { weightCount } from './replica.js';

/** The combined result of one data-parallel step. */
export interface StepStats { loss: number; ce: number; kd: number; feat: number; correct: number }

/** Rows [from, to) of shard k of n rows cut into `parts` contiguous shards (sizes differ by at most one). */
export function shardBounds(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < parts; k++) {
    const from = Math.floor((k * n) / parts), to = Math.floor(((k + 1) * n) / parts);
    if (to > from) out.push([from, to]);
  }
  return out;
}

/** Rows [from, to) of a flat array of rows of `rowSize` values. */
function rows(a: Float32Array, rowSize: number, from: number, to: number): Float32Array {
  return a.slice(from * rowSize, to * rowSize);
}

/**
 * The replicas of one network on `workers` threads; `vars` are the main thread's variables, in the order the
 * replica lists its own (replica.ts `createReplica`). Close it when done: its threads keep the process alive.
 */
export class GradientPool {
  private readonly pool: ThreadPool;
  private readonly shared: SharedArrayBuffer;
  private readonly weights: Float32Array;
  private readonly model: number;
  private readonly key = {};

  constructor(readonly workers: number, spec: ReplicaSpec, private readonly vars: tf.Variable[]) {
    // Ctrl-C is the trainer's: it stops after the running step and closes this pool.
    this.pool = new ThreadPool(workers, { sigint: false });
    this.shared = new SharedArrayBuffer(weightCount(vars) * 4);
    this.weights = new Float32Array(this.shared);
    this.model = this.pool.model(this.key, () => ({ kind: 'replica', spec, weights: this.shared }));
  }

  /**
   * One step: the gradients of the batch (images flat NCHW, `imageSize` values a sample; teacher logits and
   * feature maps per sample) at the current weights, combined over the shards and applied by `optimizer`.
   * Returns the batch's loss terms (size-weighted means) and its correct predictions.
   */
  async step(
    optimizer: tf.Optimizer,
    batch: { samples: Int32Array; images: Float32Array; labels: Float32Array; teacherLogits?: Float32Array; features?: Float32Array[] },
    sizes: { image: number; classes: number; features: number[] },
    seed: number, beta: number,
  ): Promise<StepStats> {
    // The workers read the weights only while this step's tasks run, and the step waits for all of them.
    let offset = 0;
    for (const v of this.vars) {
      this.weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const n = batch.labels.length;
    const shards = shardBounds(n, this.workers);
    const tasks = shards.map(([from, to], k) => this.pool.run(this.model, () => {
      const job: GradJob = {
        kind: 'grad', samples: batch.samples.slice(from, to), images: rows(batch.images, sizes.image, from, to), labels: batch.labels.slice(from, to),
        // Shard 0 draws the rate-encoding spikes from the step's seed, as one worker does.
        seed: seed + k * 7919, beta,
      };
      if (batch.teacherLogits) job.teacherLogits = rows(batch.teacherLogits, sizes.classes, from, to);
      if (batch.features) job.features = batch.features.map((f, i) => rows(f, sizes.features[i], from, to));
      const transfer = [job.images.buffer, job.labels.buffer, job.samples.buffer, ...(job.teacherLogits ? [job.teacherLogits.buffer] : []), ...(job.features ?? []).map((f) => f.buffer)] as ArrayBuffer[];
      return { job, transfer };
    }));
    // Summed in shard order whatever order the workers finish in: the same floats for a given N.
    const sum = new Float64Array(offset);
    const stats: StepStats = { loss: 0, ce: 0, kd: 0, feat: 0, correct: 0 };
    for (let k = 0; k < shards.length; k++) {
      const done = await tasks[k];
      const g = done.gradients!, s = done.stats!;
      const share = (shards[k][1] - shards[k][0]) / n;
      for (let i = 0; i < g.length; i++) sum[i] += share * g[i];
      stats.loss += share * s[0]; stats.ce += share * s[1]; stats.kd += share * s[2]; stats.feat += share * s[3]; stats.correct += s[4];
    }
    const grads: tf.NamedTensorMap = {};
    offset = 0;
    for (const v of this.vars) {
      grads[v.name] = tf.tensor(Float32Array.from(sum.subarray(offset, offset + v.size)), v.shape, 'float32');
      offset += v.size;
    }
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    return stats;
  }

  /** Terminates the workers (waiting until they are gone). */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
