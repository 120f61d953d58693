import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { readIdx, type IdxArray } from './idx.js';
import { take } from './dataset.js';
import { loadMnist } from './mnist.js';
import { loadCifar10, CIFAR10_FILES } from './cifar.js';
import { loadNpyPair, loadNpz } from './numpy.js';
import { saccadeEvents, SACCADE_DEFAULT_STEPS } from './saccades.js';

export type { Dataset } from './dataset.js';
export { take, sampleSize, sampleValues } from './dataset.js';
export { loadNpz, loadNpyPair, fitToInput, decodeNpy, encodeNpz } from './numpy.js';
export { DataError } from './errors.js';
export { loadMnist } from './mnist.js';
export { saccadeEvents } from './saccades.js';
export { loadCifar10, CIFAR10_CLASS_NAMES } from './cifar.js';
export { parseIdx, readIdx, encodeIdx, readMaybeGzip } from './idx.js';

/** Where Debian's `dataset-fashion-mnist` package installs the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The data sets `loadDataset` understands, for help texts and error messages. */
export const DATASET_SPECS = ['mnist', 'mnist-saccades[:T]', 'fashion-mnist', 'idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS]', 'cifar10', 'npz:FILE', 'npy:X,Y'];

export interface LoadDatasetOptions {
  split: 'train' | 'test';
  /** Folder of the data files (fashion-mnist, cifar10); relative `idx:` paths resolve against it. */
  dataDir?: string;
  /** Only the first `limit` samples are needed: files are read, decompressed and decoded only that far. */
  limit?: number;
}

/**
 * Loads a data set by name:
 * - `mnist`: the embedded 10,000 digits (fixed split, see loadMnist);
 * - `fashion-mnist`: the IDX files `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` from `dataDir`
 *   or /usr/share/datasets/fashion-mnist;
 * - `idx:IMAGES,LABELS`: any IDX pair (gzipped or not; images N×H×W or N×C×H×W unsigned bytes, scaled
 *   to [0, 1]; labels N unsigned bytes; classes = largest label + 1). With two paths both splits read
 *   the same pair; `idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS` gives each split its own;
 * - `cifar10`: the binary batches data_batch_1..5.bin / test_batch.bin from `dataDir`.
 * Missing or malformed files raise a DataError naming the file and the fault.
 */
export function loadDataset(spec: string, opts: LoadDatasetOptions): Dataset {
  const { split, dataDir, limit } = opts;
  if (split !== 'train' && split !== 'test') throw new DataError(`unknown split '${String(split)}' (train or test)`);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new Error(`internal: dataset limit ${limit}`);
  const limited = (ds: Dataset) => (limit !== undefined && ds.count > limit ? take(ds, limit) : ds);
  if (spec === 'mnist') return limited(loadMnist(split));
  if (spec === 'mnist-saccades' || spec.startsWith('mnist-saccades:')) {
    // Only the digits used are turned into events: [T, 2, 34, 34] frames are 70× an image's size.
    const steps = spec === 'mnist-saccades' ? SACCADE_DEFAULT_STEPS : Number(spec.slice('mnist-saccades:'.length));
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= 1000)) throw new DataError(`dataset '${spec}': write mnist-saccades or mnist-saccades:T with T steps from 1 to 1000`);
    return saccadeEvents(limited(loadMnist(split)), steps);
  }
  if (spec === 'fashion-mnist') return loadFashionMnist(dataDir ?? FASHION_MNIST_DIR, split, limit);
  if (spec === 'cifar10' || spec === 'cifar-10') {
    if (!dataDir) throw new DataError('cifar10 needs --data-dir: the folder holding data_batch_1..5.bin and test_batch.bin');
    return limited(loadCifar10(dataDir, split, limit));
  }
  if (spec.startsWith('idx:')) {
    const paths = spec.slice(4).split(',').map((p) => p.trim());
    if ((paths.length !== 2 && paths.length !== 4) || paths.some((p) => p === '')) {
      throw new DataError(`dataset '${spec}': write idx:IMAGES,LABELS or idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS`);
    }
    const at = (p: string) => (isAbsolute(p) || !dataDir ? resolve(p) : join(dataDir, p));
    const [img, lab] = paths.length === 2 || split === 'train' ? [paths[0], paths[1]] : [paths[2], paths[3]];
    return loadIdxPair(at(img), at(lab), { name: `idx-${split}`, limit });
  }
  if (spec.startsWith('npz:') || spec.startsWith('npy:')) {
    // NumPy data: one file (or pair) for every split; with a time axis per sample, see fitToInput.
    const at = (p: string) => (isAbsolute(p) || !dataDir ? resolve(p) : join(dataDir, p));
    const paths = spec.slice(4).split(',').map((p) => p.trim());
    if (spec.startsWith('npz:')) {
      if (paths.length !== 1 || paths[0] === '') throw new DataError(`dataset '${spec}': write npz:FILE (an np.savez archive with arrays x and y)`);
      return loadNpz(at(paths[0]));
    }
    if (paths.length !== 2 || paths.some((p) => p === '')) throw new DataError(`dataset '${spec}': write npy:X,Y (two np.save files)`);
    return loadNpyPair(at(paths[0]), at(paths[1]));
  }
  throw new DataError(`unknown dataset '${spec}' (known: ${DATASET_SPECS.join(', ')})`);
}

/** Fashion-MNIST from the four IDX files in `dir`, gzipped (as Debian ships them) or not. */
export function loadFashionMnist(dir: string, split: 'train' | 'test', limit?: number): Dataset {
  const stem = split === 'train' ? 'train' : 't10k';
  const find = (kind: string) => {
    const plain = join(dir, `${stem}-${kind}-ubyte`);
    for (const p of [`${plain}.gz`, plain]) if (existsSync(p)) return p;
    throw new DataError(`Fashion-MNIST file '${plain}.gz' does not exist (install Debian's dataset-fashion-mnist or give --data-dir)`);
  };
  return loadIdxPair(find('images-idx3'), find('labels-idx1'), { name: `fashion-mnist-${split}`, classes: 10, limit });
}

/**
 * Loads an IDX image file and its label file. `classes`, when given, bounds the labels (a label ≥
 * classes is an error); otherwise the number of classes is the largest label + 1 (of the samples read:
 * with `limit`, only the first `limit` are).
 */
export function loadIdxPair(imagesPath: string, labelsPath: string, opts: { name: string; classes?: number; limit?: number }): Dataset {
  const images = readIdx(imagesPath, { limit: opts.limit });
  const labels = readIdx(labelsPath, { limit: opts.limit });
  return datasetFromIdx(images, labels, imagesPath, labelsPath, opts);
}

/** Builds a Dataset from parsed IDX arrays; exported for tests that check the validation directly. */
export function datasetFromIdx(
  images: IdxArray,
  labels: IdxArray,
  imagesPath: string,
  labelsPath: string,
  opts: { name: string; classes?: number },
): Dataset {
  let shape: [number, number, number];
  if (images.dims.length === 3) shape = [1, images.dims[1], images.dims[2]];
  else if (images.dims.length === 4) shape = [images.dims[1], images.dims[2], images.dims[3]];
  else throw new DataError(`IDX image file '${imagesPath}' has ${images.dims.length} dimensions; expected N×H×W or N×C×H×W`);
  if (labels.dims.length !== 1) {
    throw new DataError(`IDX label file '${labelsPath}' has ${labels.dims.length} dimensions (${labels.dims.join('×')}); expected 1`);
  }
  if (labels.dims[0] !== images.dims[0]) {
    throw new DataError(`count mismatch: '${imagesPath}' holds ${images.dims[0]} images but '${labelsPath}' holds ${labels.dims[0]} labels`);
  }
  if (images.dims[0] === 0) throw new DataError(`IDX image file '${imagesPath}' holds no images`);
  if (shape.some((d) => d === 0)) throw new DataError(`IDX image file '${imagesPath}' has an empty image shape ${shape.join('×')}`);
  // The samples actually read (all, or the first `limit`).
  const count = Math.min(images.data.length / (shape[0] * shape[1] * shape[2]), labels.data.length);
  let maxLabel = 0;
  for (let i = 0; i < count; i++) {
    const l = labels.data[i];
    if (opts.classes !== undefined && l >= opts.classes) {
      throw new DataError(`label file '${labelsPath}' has label ${l} at index ${i}, out of range 0..${opts.classes - 1}`);
    }
    if (l > maxLabel) maxLabel = l;
  }
  const pixels = new Float32Array(count * shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return {
    name: opts.name,
    shape,
    classes: opts.classes ?? maxLabel + 1,
    count,
    images: pixels,
    labels: Uint8Array.from(labels.data.subarray(0, count)),
  };
}
export { createRng, combineSeeds, mix32, type Rng } from './rng.js';
export {
  applyNoise, perturbImage, parseNoiseSpecs, perturbationLabel, sampleRng, gaussianKernel,
  DEFAULT_NOISE, NOISE_KINDS, type NoiseKind, type NoiseSpec, type Perturbation,
} from './noise.js';

/** The files a data set spec reads (for the output guard: no output may overwrite them). */
export function datasetFiles(spec: string, dataDir?: string): string[] {
  if (spec.startsWith('idx:')) {
    return spec.slice(4).split(',').map((p) => p.trim()).filter(Boolean).map((p) => (isAbsolute(p) || !dataDir ? resolve(p) : join(dataDir, p)));
  }
  if (spec === 'fashion-mnist') {
    const dir = dataDir ?? FASHION_MNIST_DIR;
    return ['train', 't10k'].flatMap((s) => ['images-idx3', 'labels-idx1'].flatMap((k) => [`${s}-${k}-ubyte`, `${s}-${k}-ubyte.gz`].map((f) => join(dir, f))));
  }
  if ((spec === 'cifar10' || spec === 'cifar-10') && dataDir) {
    return [...CIFAR10_FILES.train, ...CIFAR10_FILES.test].flatMap((f) => [join(dataDir, f), join(dataDir, 'cifar-10-batches-bin', f)]);
  }
  return [];
}
