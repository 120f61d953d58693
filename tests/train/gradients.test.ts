/**
 * The dense-layer gradients the trainer registers (src/train/gradients.ts: BatchMatMul through explicit
 * transposes, a bias's broadcast Add summed by one GEMV) against the same derivatives written out as loops.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { initTrainingBackend, tf } from '../../src/train/backend.js';
import { mulberry32 } from '../../src/data/rng.js';

beforeAll(async () => {
  await initTrainingBackend({ quiet: true });
});

describe('dense layer gradients', () => {
  it('d/da, d/db and d/dbias of Σ r ⊙ (a·b + bias) are rᵀ-weighted sums, as loops give them', () => {
    const rand = mulberry32(9);
    const [m, k, n] = [37, 23, 11];
    const values = (len: number) => Float32Array.from({ length: len }, () => rand() * 2 - 1);
    const A = values(m * k), Bm = values(k * n), bias = values(n), R = values(m * n);
    const a = tf.variable(tf.tensor2d(A, [m, k])), b = tf.variable(tf.tensor2d(Bm, [k, n])), c = tf.variable(tf.tensor1d(bias));
    const r = tf.tensor2d(R, [m, n]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.add(tf.matMul(a, b), c), r)) as tf.Scalar, [a, b, c]);
    const da = grads[a.name].dataSync(), db = grads[b.name].dataSync(), dc = grads[c.name].dataSync();
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) {
      let s = 0;
      for (let q = 0; q < n; q++) s += R[i * n + q] * Bm[j * n + q];
      expect(da[i * k + j]).toBeCloseTo(s, 4);
    }
    for (let j = 0; j < k; j++) for (let q = 0; q < n; q++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += A[i * k + j] * R[i * n + q];
      expect(db[j * n + q]).toBeCloseTo(s, 4);
    }
    for (let q = 0; q < n; q++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += R[i * n + q];
      expect(dc[q]).toBeCloseTo(s, 4);
    }
  });
});
