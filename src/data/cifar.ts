import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { readMaybeGzip } from './idx.js';

/** One CIFAR-10 binary record: a label byte, then 3×32×32 pixel bytes (all red, then green, then blue). */
const CIFAR_PIXELS = 3 * 32 * 32;
const CIFAR_RECORD = 1 + CIFAR_PIXELS;

/** The batch files of each split, as the "CIFAR-10 binary version" archive names them. */
export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
} as const;

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/**
 * CIFAR-10 from its binary batches in `dir` (or in `dir/cifar-10-batches-bin`, the folder the archive
 * unpacks to). Pixels are scaled to [0, 1] and kept in the file's channel-major (C, H, W) layout.
 */
export function loadCifar10(dir: string, split: 'train' | 'test', limit?: number): Dataset {
  const nested = join(dir, 'cifar-10-batches-bin');
  const base = !existsSync(join(dir, CIFAR10_FILES[split][0])) && existsSync(join(nested, CIFAR10_FILES[split][0])) ? nested : dir;
  const chunks = CIFAR10_FILES[split].map((name) => {
    const path = join(base, name);
    if (!existsSync(path)) throw new DataError(`CIFAR-10 batch '${path}' does not exist (give the folder holding ${CIFAR10_FILES[split].join(', ')} with --data-dir)`);
    return { path, bytes: readMaybeGzip(path) };
  });
  let total = 0;
  for (const { path, bytes } of chunks) {
    if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
      throw new DataError(`CIFAR-10 batch '${path}' is truncated or malformed: ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD}-byte records`);
    }
    total += bytes.length / CIFAR_RECORD;
  }
  // Only the samples used are decoded to floats.
  if (limit !== undefined) total = Math.min(total, limit);
  const images = new Float32Array(total * CIFAR_PIXELS);
  const labels = new Uint8Array(total);
  let n = 0;
  for (const { path, bytes } of chunks) {
    const records = Math.min(bytes.length / CIFAR_RECORD, total - n);
    for (let r = 0; r < records; r++, n++) {
      const at = r * CIFAR_RECORD;
      const label = bytes[at];
      if (label >= 10) throw new DataError(`CIFAR-10 batch '${path}' record ${r} has label ${label}, out of range 0..9`);
      labels[n] = label;
      const out = n * CIFAR_PIXELS;
      for (let i = 0; i < CIFAR_PIXELS; i++) images[out + i] = bytes[at + 1 + i] / 255;
    }
  }
  return { name: `cifar10-${split}`, shape: [3, 32, 32], classes: 10, count: total, images, labels };
}
