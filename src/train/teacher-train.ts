import { tf } from './backend.js';
import type { Dataset } from '../data/dataset.js';
import { checkRange } from '../util/ranges.js';
import { UserError } from '../util/errors.js';
import { mulberry32, permutation } from '../data/rng.js';
import { crossEntropy } from './losses.js';
import { annVariables, createAnn, runAnn, type AnnModel } from './teacher.js';
import { accuracyOf, argmaxRows, gatherBatch } from './trainer.js';
import { readBatchStats } from './replica.js';
import { imagesToNhwc } from './student.js';
import { GradientPool } from './data-parallel.js';
import { resolveWorkers } from '../parallel/index.js';

export interface TeacherTrainConfig { arch: string; epochs: number; batchSize: number; learningRate: number; seed: number }

export interface TeacherEpochLog { epoch: number; loss: number; trainAccuracy: number; testAccuracy: number; seconds: number; peakRssMB: number }

/** ANN logits on a whole data set (no gradients). */
export function annLogits(m: AnnModel, ds: Dataset, batch = 256): Float32Array {
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const out = new Float32Array(ds.count * m.classes);
  for (let start = 0; start < ds.count; start += batch) {
    const n = Math.min(batch, ds.count - start);
    const l = tf.tidy(() => runAnn(m, imagesToNhwc(ds.images.subarray(start * size, (start + n) * size), n, ds.shape)));
    out.set(l.dataSync() as Float32Array, start * m.classes);
    l.dispose();
  }
  return out;
}

/** Checks the settings a user gives (flags), before any work starts. */
export function validateTeacherConfig(config: TeacherTrainConfig): void {
  // The same ranges as `snnc train` (src/util/ranges.ts).
  checkRange('--epochs', 'epochs', config.epochs);
  checkRange('--batch-size', 'batchSize', config.batchSize);
  checkRange('--lr', 'learningRate', config.learningRate);
  checkRange('--seed', 'seed', config.seed);
}

/**
 * Trains an ANN teacher of the zoo with cross-entropy, Adam and a cosine learning-rate decay. `run.workers`
 * > 1: data-parallel over that many worker threads (src/train/data-parallel.ts; default 1, in this thread).
 */
export async function trainTeacher(
  train: Dataset, test: Dataset, config: TeacherTrainConfig,
  hooks: { onBatch?: (epoch: number, done: number, total: number, loss: number) => void; onEpoch?: (l: TeacherEpochLog) => void; shouldStop?: () => boolean } = {},
  run: { workers?: number } = {},
): Promise<{ model: AnnModel; history: TeacherEpochLog[]; testAccuracy: number; stopped: boolean }> {
  validateTeacherConfig(config);
  const classes = Math.max(train.classes, test.classes);
  const model = createAnn(config.arch, train.shape, classes, config.seed);
  const vars = annVariables(model);
  const optimizer = tf.train.adam(config.learningRate);
  const steps = Math.ceil(train.count / config.batchSize);
  const total = steps * config.epochs;
  const history: TeacherEpochLog[] = [];
  let stopped = false;
  const workers = resolveWorkers(run.workers ?? 1);
  const parallel = workers > 1 ? new GradientPool(workers, { kind: 'ann', arch: config.arch, inputShape: train.shape, classes }, vars) : undefined;
  const imageSize = train.shape[0] * train.shape[1] * train.shape[2];
  try {
    for (let epoch = 0; epoch < config.epochs && !stopped; epoch++) {
      const t0 = performance.now();
      const order = permutation(train.count, mulberry32((config.seed * 1000003 + epoch) >>> 0));
      let lossSum = 0, correct = 0, seen = 0;
      for (let step = 0; step < steps; step++) {
        // Let the event loop run (SIGINT, progress output): the step itself is synchronous.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (hooks.shouldStop?.()) { stopped = true; break; }
        const from = step * config.batchSize;
        const to = Math.min(train.count, from + config.batchSize);
        const b = gatherBatch(train, order, from, to);
        (optimizer as unknown as { learningRate: number }).learningRate = config.learningRate * 0.5 * (1 + Math.cos(Math.PI * (epoch * steps + step) / total));
        const [loss, ok] = parallel ? await parallel.step(optimizer, { samples: Int32Array.from(order.subarray(from, to)), images: b.images, labels: b.labels }, { image: imageSize, classes, features: [] }, 0, 0)
          .then((s) => [s.loss, s.correct]) : tf.tidy(() => {
          const x = imagesToNhwc(b.images, to - from, train.shape);
          const labels = tf.tensor1d(b.labels);
          let logits: tf.Tensor2D | undefined;
          const cost = optimizer.minimize(() => {
            const l = runAnn(model, x);
            logits = tf.keep(l);
            return crossEntropy(l, labels);
          }, true, vars)!;
          return readBatchStats(cost, [], logits!, labels); // [loss, correct]
        });
        if (!Number.isFinite(loss)) throw new UserError(`teacher training diverged (loss ${loss}); lower --lr`);
        lossSum += loss * (to - from); correct += ok; seen += to - from;
        hooks.onBatch?.(epoch, step + 1, steps, loss);
      }
      if (stopped) break;
      const entry = {
        epoch: epoch + 1, loss: lossSum / seen, trainAccuracy: correct / seen, testAccuracy: accuracyOf(argmaxRows(annLogits(model, test), classes), test.labels),
        seconds: (performance.now() - t0) / 1000, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      };
      history.push(entry);
      hooks.onEpoch?.(entry);
    }
  } finally {
    await parallel?.close();
  }
  optimizer.dispose();
  return { model, history, testAccuracy: history.at(-1)?.testAccuracy ?? 0, stopped };
}
