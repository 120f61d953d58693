/**
 * The loss of one batch of a training step, and a network replica that computes the gradients of its shard
 * of a batch on a worker thread (data-parallel training, src/train/data-parallel.ts). The trainer's own
 * in-thread step and a worker's replica build the loss with the same function, so a shard's gradient is the
 * in-thread gradient of those samples.
 */
import { tf } from './backend.js';
import { createStudent, imagesToNhwc, runStudent, type Student, type StudentOutput, type StudentSpec } from './student.js';
import { createAnn, annVariables, runAnn, type AnnModel } from './teacher.js';
import { crossEntropy, featureKdLoss, responseKdLoss } from './losses.js';
import type { NeuronOptions } from './spiking.js';

/** The loss settings of a student run that do not change from step to step. */
export interface StudentLossSettings {
  useResponse: boolean;
  useFeature: boolean;
  alpha: number;
  tau: number;
  kdStandardize: boolean;
}

/** A feature-KD pairing as the loss needs it: the student tap, the adapter, the teacher map's per-sample shape [C, H, W]. */
export interface LossHint { tap: string; shape: number[]; adapter: { w: tf.Variable; b: tf.Variable } }

/** What one batch gives under `tf.variableGrads` / `optimizer.minimize`: the loss, its parts and the readout. */
export interface BatchLoss { total: tf.Scalar; ce: tf.Scalar; kd: tf.Scalar; feat: tf.Scalar; logits: tf.Tensor2D }

/**
 * The student's loss on one batch: CE, or response KD against the teacher's logits, plus β times the mean of
 * the feature-KD L2 losses. Every term is a mean over the batch's samples (the L2 over their equally many
 * values), so the gradient of a batch is the size-weighted sum of its shards' gradients.
 */
export function studentBatchLoss(
  student: Student, hints: readonly LossHint[], s: StudentLossSettings, x: tf.Tensor4D, labels: tf.Tensor1D,
  teacherT: tf.Tensor2D | undefined, featT: tf.Tensor4D[] | undefined, beta: number, seed: number,
  forward: (x: tf.Tensor4D, options: { rateTaps: string[]; seed: number }) => StudentOutput = (xx, o) => runStudent(student, xx, o),
): BatchLoss {
  const out = forward(x, { rateTaps: hints.map((h) => h.tap), seed });
  let total: tf.Scalar;
  let ce: tf.Scalar, kd: tf.Scalar = tf.scalar(0), feat: tf.Scalar = tf.scalar(0);
  if (s.useResponse) {
    const r = responseKdLoss(out.logits, teacherT!, labels, s.alpha, s.tau, s.kdStandardize);
    total = r.total; ce = r.ce; kd = r.kd;
  } else {
    ce = crossEntropy(out.logits, labels);
    total = ce;
  }
  if (s.useFeature) {
    // Several maps: the mean of their L2 losses, so that β weighs the feature term alike for one map or more.
    feat = tf.div(tf.addN(hints.map((h, i) => featureKdLoss(out.rates.get(h.tap)!, h.adapter as unknown as { w: tf.Tensor4D; b: tf.Tensor1D }, featT![i]))), hints.length) as tf.Scalar;
    total = tf.add(total, tf.mul(feat, beta)) as tf.Scalar;
  }
  return { total, ce, kd, feat, logits: out.logits };
}

/**
 * A training step's figures as numbers: [loss, ...its parts, correct predictions] from the loss, the parts and the
 * logits kept out of the step (the parts and logits are disposed). The trainers' in-thread steps and a replica's
 * shard report the same way.
 */
export function readBatchStats(total: tf.Scalar, parts: readonly tf.Scalar[], logits: tf.Tensor2D, labels: tf.Tensor1D): number[] {
  const ok = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32'));
  const values = [total.dataSync()[0], ...parts.map((p) => p.dataSync()[0]), ok.dataSync()[0]];
  for (const p of parts) p.dispose();
  logits.dispose();
  ok.dispose();
  return values;
}

/** Teacher feature maps of a batch, `[n, C, H, W]` flat each, as the NHWC tensors the feature loss compares with. */
export function featureTensors(features: Float32Array[], hints: readonly { shape: number[] }[], n: number): tf.Tensor4D[] {
  return features.map((f, i) => tf.transpose(tf.tensor4d(f, [n, ...hints[i].shape] as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D);
}

/** A network as it crosses to a worker: enough to rebuild it there (its weights come with every step). */
export type ReplicaSpec =
  | {
    kind: 'student'; spec: StudentSpec; inputShape: [number, number, number]; classes: number; neuron: NeuronOptions;
    timesteps: number; encoding: 'direct' | 'rate'; loss: StudentLossSettings;
    /** Feature-KD adapters, in the trainer's order: student tap, teacher map shape [C, H, W], student channels. */
    adapters: { tap: string; shape: number[]; channels: number }[];
  }
  | { kind: 'ann'; arch: string; inputShape: [number, number, number]; classes: number };

/**
 * The gradient of one shard: its images (flat NCHW), labels, the teacher's outputs for them (computed on the
 * main thread), and the step's seed (rate encoding) and feature weight β. `samples`: the training-set indices
 * of the shard (error messages and the fault-injection test hook name them).
 */
export interface GradJob {
  kind: 'grad';
  samples: Int32Array;
  images: Float32Array;
  labels: Float32Array;
  teacherLogits?: Float32Array;
  features?: Float32Array[];
  seed: number;
  beta: number;
}

/** A network rebuilt on a worker, and its variables in the order of the main thread's flat weight vector. */
export interface Replica {
  spec: ReplicaSpec;
  vars: tf.Variable[];
  student?: Student;
  ann?: AnnModel;
  hints: LossHint[];
  weights: Float32Array;
}

/** Rebuilds a network of `spec` (initial values are overwritten by every job's weights). */
export function createReplica(spec: ReplicaSpec, weights: SharedArrayBuffer): Replica {
  if (spec.kind === 'ann') {
    const ann = createAnn(spec.arch, spec.inputShape, spec.classes, 1);
    return { spec, vars: annVariables(ann), ann, hints: [], weights: new Float32Array(weights) };
  }
  const student = createStudent(spec.spec, spec.inputShape, spec.classes, spec.neuron, spec.timesteps, spec.encoding, 1);
  const hints: LossHint[] = spec.adapters.map((a) => ({
    tap: a.tap, shape: a.shape,
    adapter: { w: tf.variable(tf.zeros([1, 1, a.channels, a.shape[0]])), b: tf.variable(tf.zeros([a.shape[0]])) },
  }));
  const vars = [...student.weights.values()].flatMap((p) => [p.w, p.b]).concat(hints.flatMap((h) => [h.adapter.w, h.adapter.b]));
  return { spec, vars, student, hints, weights: new Float32Array(weights) };
}

/** The number of float32 values of the flat weight vector of `vars`. */
export function weightCount(vars: readonly tf.Variable[]): number {
  return vars.reduce((n, v) => n + v.size, 0);
}

/**
 * The loss gradients of one shard at the weights the main thread wrote into the shared buffer, flat in
 * variable order, and the shard's [loss, ce, kd, feature, correct].
 */
export function replicaGradients(r: Replica, job: GradJob): { gradients: Float32Array; stats: number[] } {
  let offset = 0;
  for (const v of r.vars) {
    v.assign(tf.tensor(r.weights.slice(offset, offset + v.size), v.shape, 'float32'));
    offset += v.size;
  }
  const n = job.labels.length;
  const gradients = new Float32Array(offset);
  const stats = tf.tidy(() => {
    const x = imagesToNhwc(job.images, n, r.spec.inputShape);
    const labels = tf.tensor1d(job.labels);
    let parts: tf.Scalar[] = [];
    let logits: tf.Tensor2D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      if (r.spec.kind === 'ann') {
        const l = runAnn(r.ann!, x);
        logits = tf.keep(l);
        const ce = crossEntropy(l, labels);
        parts = [tf.keep(ce), tf.keep(tf.scalar(0)), tf.keep(tf.scalar(0))];
        return ce;
      }
      const teacherT = job.teacherLogits ? tf.tensor2d(job.teacherLogits, [n, r.spec.classes]) : undefined;
      const featT = job.features ? featureTensors(job.features, r.hints, n) : undefined;
      const b = studentBatchLoss(r.student!, r.hints, r.spec.loss, x, labels, teacherT, featT, job.beta, job.seed);
      logits = tf.keep(b.logits);
      parts = [tf.keep(b.ce), tf.keep(b.kd), tf.keep(b.feat)];
      return b.total;
    }, r.vars);
    let at = 0;
    for (const v of r.vars) {
      const g = grads[v.name];
      if (g) gradients.set(g.dataSync() as Float32Array, at);
      at += v.size;
    }
    return readBatchStats(value, parts, logits!, labels);
  });
  return { gradients, stats };
}
