import { describe, it, expect, beforeAll } from 'vitest';
import { initTrainingBackend, tf } from '../../src/train/backend.js';
import { crossEntropy, distillationKl, featureKdLoss, responseKdLoss, matchSpatial, standardizeLogits } from '../../src/train/losses.js';

beforeAll(async () => { await initTrainingBackend({ quiet: true }); });

const softmax = (z: number[], tau = 1) => {
  const m = Math.max(...z.map((v) => v / tau));
  const e = z.map((v) => Math.exp(v / tau - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('response KD loss', () => {
  // Two samples, three classes, worked out by hand below.
  const student = [[2, 0.5, -1], [0, 1, 3]];
  const teacher = [[3, 1, 0], [-1, 2, 2.5]];
  const labels = [0, 2];

  it('CE and τ²·KL match values computed by hand', () => {
    const tau = 2, alpha = 0.3;
    let ce = 0, kl = 0;
    for (let b = 0; b < 2; b++) {
      ce += -Math.log(softmax(student[b])[labels[b]]);
      const pt = softmax(teacher[b], tau), ps = softmax(student[b], tau);
      kl += pt.reduce((a, p, i) => a + p * Math.log(p / ps[i]), 0);
    }
    ce /= 2; kl /= 2;
    // Sample 1 by hand: softmax([2, .5, −1]) = [.7856, .1753, .0391] → −ln .7856 = .2413.
    expect(-Math.log(softmax(student[0])[0])).toBeCloseTo(0.2413, 3);
    const s = tf.tensor2d(student), t = tf.tensor2d(teacher), y = tf.tensor1d(labels);
    const r = responseKdLoss(s, t, y, alpha, tau);
    expect(r.ce.dataSync()[0]).toBeCloseTo(ce, 5);
    expect(r.kd.dataSync()[0]).toBeCloseTo(tau * tau * kl, 5);
    expect(r.total.dataSync()[0]).toBeCloseTo((1 - alpha) * ce + alpha * tau * tau * kl, 5);
    expect(crossEntropy(s, y).dataSync()[0]).toBeCloseTo(ce, 5);
  });

  it('standardised KD: the KL of per-sample z-scored logits, invariant to the logits\' scale and offset', () => {
    const z = (row: number[]) => {
      const m = row.reduce((a, b) => a + b, 0) / row.length;
      const sd = Math.sqrt(row.reduce((a, b) => a + (b - m) ** 2, 0) / row.length);
      return row.map((v) => (v - m) / sd);
    };
    // Row 1 by hand: [2, .5, −1] has mean .5 and standard deviation √1.5 = 1.2247 → [1.2247, 0, −1.2247].
    const zs = standardizeLogits(tf.tensor2d(student)).arraySync() as number[][];
    expect(zs[0][0]).toBeCloseTo(1.2247, 4);
    expect(zs[0][1]).toBeCloseTo(0, 5);
    const tau = 2, alpha = 0.5;
    let kl = 0;
    for (let b = 0; b < 2; b++) {
      const pt = softmax(z(teacher[b]), tau), ps = softmax(z(student[b]), tau);
      kl += pt.reduce((a, p, i) => a + p * Math.log(p / ps[i]), 0);
    }
    kl /= 2;
    const y = tf.tensor1d(labels);
    const r = responseKdLoss(tf.tensor2d(student), tf.tensor2d(teacher), y, alpha, tau, true);
    expect(r.kd.dataSync()[0]).toBeCloseTo(tau * tau * kl, 4);
    // A student scaled by 5 and shifted by 3 has the same standardised KD term (but not the same CE).
    const scaled = tf.tensor2d(student.map((row) => row.map((v) => 5 * v + 3)));
    expect(responseKdLoss(scaled, tf.tensor2d(teacher), y, alpha, tau, true).kd.dataSync()[0]).toBeCloseTo(tau * tau * kl, 4);
    expect(responseKdLoss(scaled, tf.tensor2d(teacher), y, alpha, tau, false).kd.dataSync()[0]).not.toBeCloseTo(responseKdLoss(tf.tensor2d(student), tf.tensor2d(teacher), y, alpha, tau, false).kd.dataSync()[0], 2);
  });

  it('standardised KD: the gradient matches finite differences', () => {
    const t = tf.tensor2d(teacher), y = tf.tensor1d(labels);
    const f = (z: number[][]) => responseKdLoss(tf.tensor2d(z), t, y, 0.5, 2, true).total.dataSync()[0];
    const g = tf.grad((s: tf.Tensor) => responseKdLoss(s as tf.Tensor2D, t, y, 0.5, 2, true).total)(tf.tensor2d(student)).arraySync() as number[][];
    const h = 1e-2;
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 3; i++) {
        const up = student.map((r) => r.slice()), down = student.map((r) => r.slice());
        up[b][i] += h; down[b][i] -= h;
        expect(g[b][i]).toBeCloseTo((f(up) - f(down)) / (2 * h), 2);
      }
    }
  });

  it('standardised KD: a row of equal student logits (no spike at the readout yet) has a finite gradient, the other rows the plain one', () => {
    // A fresh student whose readout gets no spike gives T·bias = 0 in every class: variance 0, and d√x at 0 was NaN.
    const t = tf.tensor2d(teacher), y = tf.tensor1d(labels);
    const grad = (z: number[][]) => tf.grad((s: tf.Tensor) => responseKdLoss(s as tf.Tensor2D, t, y, 0.5, 2, true).total)(tf.tensor2d(z)).arraySync() as number[][];
    const g = grad([[0, 0, 0], student[1]]);
    expect(g.flat().every(Number.isFinite)).toBe(true);
    // The row with spread-out logits gets what the plain square root's gradient gives it, bit for bit.
    const plain = tf.grad((s: tf.Tensor) => {
      // In responseKdLoss's order (CE first): the gradients reaching a tensor are summed in the order they were recorded.
      const ce = crossEntropy(s as tf.Tensor2D, y);
      const { mean, variance } = tf.moments(s, 1, true);
      const zs = tf.div(tf.sub(s, mean), tf.add(tf.sqrt(variance), 1e-7)) as tf.Tensor2D;
      const { mean: mt, variance: vt } = tf.moments(t, 1, true);
      const zt = tf.div(tf.sub(t, mt), tf.add(tf.sqrt(vt), 1e-7)) as tf.Tensor2D;
      return tf.add(tf.mul(ce, 0.5), tf.mul(tf.mul(distillationKl(zs, zt, 2), 4), 0.5));
    })(tf.tensor2d(student)).arraySync() as number[][];
    expect(grad(student)).toEqual(plain);
  });

  it('KL is zero when student and teacher agree, and its gradient is (pₛ − pₜ)/τ per logit', () => {
    const t = tf.tensor2d(teacher);
    expect(distillationKl(t, t, 3).dataSync()[0]).toBeCloseTo(0, 6);
    const tau = 2;
    const g = tf.grad((s: tf.Tensor) => distillationKl(s as tf.Tensor2D, t, tau))(tf.tensor2d(student)).arraySync() as number[][];
    for (let b = 0; b < 2; b++) {
      const ps = softmax(student[b], tau), pt = softmax(teacher[b], tau);
      for (let i = 0; i < 3; i++) expect(g[b][i]).toBeCloseTo((ps[i] - pt[i]) / tau / 2, 5);
    }
  });
});

describe('feature KD loss', () => {
  it('1×1 adapter, spatial matching and L2 match a hand computation', () => {
    // Student rates [1, 4, 4, 2] (NHWC), teacher map [1, 2, 2, 3]: the student is average-pooled 2×2.
    const rates = Array.from({ length: 32 }, (_, i) => (i % 5) / 4);
    const w = [[0.5, -1, 2], [1, 0.25, -0.5]]; // [Cs=2][Ct=3]
    const bias = [0.1, -0.2, 0.3];
    const teacher = Array.from({ length: 12 }, (_, i) => i / 6 - 0.5);
    let expected = 0;
    for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) {
      const pooled = [0, 1].map((c) => {
        let s = 0;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) s += rates[((2 * y + dy) * 4 + (2 * x + dx)) * 2 + c];
        return s / 4;
      });
      for (let o = 0; o < 3; o++) {
        const mapped = pooled[0] * w[0][o] + pooled[1] * w[1][o] + bias[o];
        expected += (mapped - teacher[(y * 2 + x) * 3 + o]) ** 2;
      }
    }
    expected /= 12;
    const loss = featureKdLoss(
      tf.tensor4d(rates, [1, 4, 4, 2]),
      { w: tf.tensor4d(w.flat(), [1, 1, 2, 3]), b: tf.tensor1d(bias) },
      tf.tensor4d(teacher, [1, 2, 2, 3]),
    );
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it('non-integer size ratios are resized bilinearly to the teacher size', () => {
    expect(matchSpatial(tf.zeros([1, 5, 5, 2]) as tf.Tensor4D, 3, 3).shape).toEqual([1, 3, 3, 2]);
    expect(matchSpatial(tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, 4, 4).shape).toEqual([1, 4, 4, 2]);
  });
});
