import { tf } from './backend.js';

/** Mean cross-entropy of logits `[B, K]` against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** Mean over the batch of KL(softmax(teacher/τ) ‖ softmax(student/τ)). */
export function distillationKl(student: tf.Tensor2D, teacher: tf.Tensor2D, tau: number): tf.Scalar {
  const logPt = tf.logSoftmax(tf.div(teacher, tau));
  const logPs = tf.logSoftmax(tf.div(student, tau));
  return tf.mean(tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1)) as tf.Scalar;
}

/**
 * Z-scores each row of logits `[B, K]` (subtract the row mean, divide by the row standard deviation + ε):
 * "logit standardisation" (Sun et al., CVPR 2024), which lets the student match the shape of the teacher's
 * distribution without having to reach its logit magnitude.
 */
export function standardizeLogits(z: tf.Tensor2D): tf.Tensor2D {
  const { mean, variance } = tf.moments(z, 1, true);
  return tf.div(tf.sub(z, mean), tf.add(rowStd(variance), 1e-7)) as tf.Tensor2D;
}

/**
 * √variance whose gradient is 0 where the variance is 0: a row of equal logits (a student whose readout gets no
 * spike yet, e.g. a fresh vgg with reset to zero, zero biases) has z − mean = 0, so the gradient reaching its
 * standard deviation is 0, and d√x = dy / (2√x) made that 0/0 = NaN in every weight after the first step.
 * Elsewhere the same operations as the plain square root's gradient (the same floats).
 */
const rowStd = tf.customGrad(((variance: tf.Tensor, save: tf.GradSaveFunc) => {
  const s = tf.sqrt(variance);
  save([s]);
  return {
    value: s,
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.where(tf.greater(saved, 0), tf.div(dy, tf.mul(saved, 2)), tf.zerosLike(saved)),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (variance: tf.Tensor) => tf.Tensor;

/**
 * Response-based KD (Hinton et al.; the paper's Eq.): (1 − α)·CE(student, labels) + α·τ²·KL(pₜ ‖ pₛ).
 * τ² keeps the soft term's gradient scale independent of the temperature. `standardize`: both sides' logits
 * are z-scored per sample before the temperature (the CE term keeps the raw student logits).
 */
export function responseKdLoss(
  student: tf.Tensor2D, teacher: tf.Tensor2D, labels: tf.Tensor1D, alpha: number, tau: number, standardize = false,
): { total: tf.Scalar; ce: tf.Scalar; kd: tf.Scalar } {
  const ce = crossEntropy(student, labels);
  const [s, t] = standardize ? [standardizeLogits(student), standardizeLogits(teacher)] : [student, teacher];
  const kd = tf.mul(distillationKl(s, t, tau), tau * tau) as tf.Scalar;
  const total = tf.add(tf.mul(ce, 1 - alpha), tf.mul(kd, alpha)) as tf.Scalar;
  return { total, ce, kd };
}

/**
 * Brings a student map `[B, H, W, C]` to the teacher's spatial size: average pooling when the student is
 * an integer factor larger, bilinear resizing otherwise.
 */
export function matchSpatial(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h === height && w === width) return x;
  if (h % height === 0 && w % width === 0 && h / height === w / width) {
    const k = h / height;
    return tf.avgPool(x, k, k, 'valid');
  }
  return tf.image.resizeBilinear(x, [height, width]);
}

/**
 * Feature-based KD: a 1×1 convolution adapter `[1, 1, Cs, Ct]` (+ bias) maps the student's spike-rate map
 * to the teacher's channel count, spatial sizes are matched, and the loss is the mean squared difference
 * (L2) to the teacher's feature map `[B, Ht, Wt, Ct]`.
 */
export function featureKdLoss(
  rates: tf.Tensor4D, adapter: { w: tf.Tensor4D; b: tf.Tensor1D }, teacherFeature: tf.Tensor4D,
): tf.Scalar {
  const [, ht, wt] = teacherFeature.shape;
  const mapped = tf.add(tf.conv2d(matchSpatial(rates, ht, wt), adapter.w, 1, 'valid'), adapter.b) as tf.Tensor4D;
  return tf.mean(tf.squaredDifference(mapped, teacherFeature)) as tf.Scalar;
}
