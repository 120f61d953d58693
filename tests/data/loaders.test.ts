import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset, DataError, encodeIdx, parseIdx, FASHION_MNIST_DIR } from '../../src/data/index.js';
import { UserError } from '../../src/util/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'snnc-data-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Five 2×3 images whose pixel i of image n is (n * 6 + i) * 8, labels n % 3. */
function smallIdx(): { images: Uint8Array; labels: Uint8Array } {
  const px = new Uint8Array(5 * 6);
  for (let i = 0; i < px.length; i++) px[i] = i * 8;
  return { images: encodeIdx([5, 2, 3], px), labels: encodeIdx([5], Uint8Array.from([0, 1, 2, 0, 1])) };
}

function expectDataError(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataError);
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(pattern);
}

describe('embedded mnist through loadDataset', () => {
  it('returns the fixed split', () => {
    const test = loadDataset('mnist', { split: 'test' });
    expect(test.count).toBe(1996);
    expect(test.shape).toEqual([1, 28, 28]);
  });
});

describe('fashion-mnist (real Debian files)', () => {
  it('loads the 10,000 test images with balanced labels and pixels in [0, 1]', () => {
    const ds = loadDataset('fashion-mnist', { split: 'test' });
    expect(ds.count).toBe(10000);
    expect(ds.shape).toEqual([1, 28, 28]);
    expect(ds.classes).toBe(10);
    expect(ds.images.length).toBe(10000 * 784);
    const perClass = new Array(10).fill(0);
    for (const l of ds.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
    let min = Infinity, max = -Infinity, sum = 0;
    for (const v of ds.images) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // Fashion-MNIST's mean pixel is about 0.286 (a widely quoted figure for its normalisation).
    expect(sum / ds.images.length).toBeGreaterThan(0.27);
    expect(sum / ds.images.length).toBeLessThan(0.30);
    // The first test label of Fashion-MNIST is 9 (ankle boot), the second 2 (pullover).
    expect(Array.from(ds.labels.slice(0, 2))).toEqual([9, 2]);
  });

  it('loads the 60,000 training images', () => {
    const ds = loadDataset('fashion-mnist', { split: 'train' });
    expect(ds.count).toBe(60000);
    const perClass = new Array(10).fill(0);
    for (const l of ds.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(6000));
    expect(ds.images.length).toBe(60000 * 784);
  });

  it('names the missing file when the folder lacks it', () => {
    expectDataError(() => loadDataset('fashion-mnist', { split: 'train', dataDir: dir }), /train-images-idx3-ubyte.*does not exist/);
    expect(FASHION_MNIST_DIR).toBe('/usr/share/datasets/fashion-mnist');
  });
});

describe('idx pairs', () => {
  it('reads plain and gzipped files and scales pixels to [0, 1]', () => {
    const { images, labels } = smallIdx();
    writeFileSync(join(dir, 'a-images'), images);
    writeFileSync(join(dir, 'a-labels.gz'), gzipSync(labels));
    const ds = loadDataset(`idx:${join(dir, 'a-images')},${join(dir, 'a-labels.gz')}`, { split: 'train' });
    expect(ds.count).toBe(5);
    expect(ds.shape).toEqual([1, 2, 3]);
    expect(ds.classes).toBe(3);
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 0, 1]);
    expect(ds.images[7]).toBeCloseTo(56 / 255, 6);
    // relative paths resolve against dataDir
    const rel = loadDataset('idx:a-images,a-labels.gz', { split: 'test', dataDir: dir });
    expect(Array.from(rel.images)).toEqual(Array.from(ds.images));
  });

  it('gives each split its own pair when four paths are given', () => {
    const { images, labels } = smallIdx();
    writeFileSync(join(dir, 'tr-i'), images);
    writeFileSync(join(dir, 'tr-l'), labels);
    writeFileSync(join(dir, 'te-i'), encodeIdx([2, 2, 3], new Uint8Array(12).fill(255)));
    writeFileSync(join(dir, 'te-l'), encodeIdx([2], Uint8Array.from([1, 0])));
    const spec = 'idx:tr-i,tr-l,te-i,te-l';
    expect(loadDataset(spec, { split: 'train', dataDir: dir }).count).toBe(5);
    const test = loadDataset(spec, { split: 'test', dataDir: dir });
    expect(test.count).toBe(2);
    expect(test.images.every((v) => v === 1)).toBe(true);
  });

  it('refuses malformed files with the file and fault named', () => {
    const { images, labels } = smallIdx();
    const write = (name: string, data: Uint8Array) => {
      writeFileSync(join(dir, name), data);
      return join(dir, name);
    };
    const goodImages = write('g-images', images);
    const goodLabels = write('g-labels', labels);

    const badMagic = images.slice();
    badMagic[0] = 0x50;
    expectDataError(() => loadDataset(`idx:${write('m', badMagic)},${goodLabels}`, { split: 'train' }), /'.*\/m' has a bad magic number/);

    expectDataError(() => loadDataset(`idx:${write('t', images.slice(0, images.length - 3))},${goodLabels}`, { split: 'train' }), /'.*\/t' is truncated/);
    expectDataError(() => loadDataset(`idx:${write('h', images.slice(0, 6))},${goodLabels}`, { split: 'train' }), /'.*\/h' is truncated: its header/);
    expectDataError(() => loadDataset(`idx:${write('x', Uint8Array.from([...images, 1, 2]))},${goodLabels}`, { split: 'train' }), /2 bytes beyond/);

    const fourLabels = write('l4', encodeIdx([4], Uint8Array.from([0, 1, 2, 3])));
    expectDataError(() => loadDataset(`idx:${goodImages},${fourLabels}`, { split: 'train' }), /count mismatch: .* 5 images .* 4 labels/);

    const floatType = images.slice();
    floatType[2] = 0x0d;
    expectDataError(() => loadDataset(`idx:${write('f', floatType)},${goodLabels}`, { split: 'train' }), /float data .* only unsigned bytes/);

    // a hostile header claiming 2^32-1 × 2^32-1 images must fail on the length check, not on allocation
    const hostile = new Uint8Array(16);
    hostile.set([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
    expectDataError(() => loadDataset(`idx:${write('hostile', hostile)},${goodLabels}`, { split: 'train' }), /truncated/);

    const notGzip = Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4, 5]);
    expectDataError(() => loadDataset(`idx:${write('ng.gz', notGzip)},${goodLabels}`, { split: 'train' }), /not valid gzip/);

    expectDataError(() => loadDataset(`idx:${join(dir, 'nope')},${goodLabels}`, { split: 'train' }), /'.*\/nope' does not exist/);
    expectDataError(() => loadDataset(`idx:${goodImages}`, { split: 'train' }), /idx:IMAGES,LABELS/);
    expectDataError(() => loadDataset('imagenet', { split: 'train' }), /unknown dataset 'imagenet'/);
  });

  it('checks the labels of a fixed-class data set', () => {
    const fm = join(dir, 'fm');
    mkdirSync(fm);
    const { images } = smallIdx();
    writeFileSync(join(fm, 't10k-images-idx3-ubyte'), images);
    writeFileSync(join(fm, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([5], Uint8Array.from([0, 1, 12, 0, 1]))));
    expectDataError(() => loadDataset('fashion-mnist', { split: 'test', dataDir: fm }), /label 12 at index 2, out of range 0\.\.9/);
  });

  it('parseIdx round-trips encodeIdx', () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i);
    const back = parseIdx(encodeIdx([2, 3, 4], data), 'mem');
    expect(back.dims).toEqual([2, 3, 4]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });
});

describe('cifar10 binary batches', () => {
  function record(label: number, fill: (i: number) => number): Uint8Array {
    const r = new Uint8Array(3073);
    r[0] = label;
    for (let i = 0; i < 3072; i++) r[1 + i] = fill(i);
    return r;
  }

  it('reads all five training batches and the test batch from the unpacked folder', () => {
    const root = join(dir, 'cifar');
    const batches = join(root, 'cifar-10-batches-bin');
    mkdirSync(batches, { recursive: true });
    for (let b = 1; b <= 5; b++) {
      writeFileSync(join(batches, `data_batch_${b}.bin`), Buffer.concat([record(b, () => b), record(9, (i) => i % 256)]));
    }
    writeFileSync(join(batches, 'test_batch.bin'), record(3, (i) => (i < 1024 ? 255 : 0)));
    const train = loadDataset('cifar10', { split: 'train', dataDir: root });
    expect(train.count).toBe(10);
    expect(train.shape).toEqual([3, 32, 32]);
    expect(Array.from(train.labels)).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    expect(train.images[3072 * 2]).toBeCloseTo(2 / 255, 6);
    expect(train.images[3072 + 300]).toBeCloseTo((300 % 256) / 255, 6);
    const test = loadDataset('cifar10', { split: 'test', dataDir: batches });
    expect(test.count).toBe(1);
    // channel-major: the red plane (first 1024 values) is 1, green and blue 0
    expect(test.images[1023]).toBe(1);
    expect(test.images[1024]).toBe(0);
  });

  it('refuses missing, truncated and mislabelled batches', () => {
    const bad = join(dir, 'cifar-bad');
    mkdirSync(bad);
    expectDataError(() => loadDataset('cifar10', { split: 'test', dataDir: bad }), /test_batch\.bin' does not exist/);
    expectDataError(() => loadDataset('cifar10', { split: 'test' }), /needs --data-dir/);
    writeFileSync(join(bad, 'test_batch.bin'), record(1, () => 0).slice(0, 3000));
    expectDataError(() => loadDataset('cifar10', { split: 'test', dataDir: bad }), /test_batch\.bin' is truncated/);
    writeFileSync(join(bad, 'test_batch.bin'), Buffer.concat([record(1, () => 0), record(10, () => 0)]));
    expectDataError(() => loadDataset('cifar10', { split: 'test', dataDir: bad }), /record 1 has label 10, out of range/);
  });
});
