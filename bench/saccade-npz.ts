/**
 * Writes embedded MNIST test digits as N-MNIST-style saccade events into an np.savez archive, the format the
 * Python SNN world saves timed data in: `x` [N, T, 2, 34, 34] uint8 spike frames, `y` [N] int64 labels.
 *   node dist/bench/saccade-npz.js OUT.npz [N=200]
 * then, e.g.: snnc verify ../shared/nir/sinabs-cnn_sinabs.nir --dataset npz:OUT.npz --target loihi-like
 */
import { loadDataset } from '../src/data/index.js';
import { encodeNpz } from '../src/data/numpy.js';
import { writeFileAtomic } from '../src/util/fs.js';

const [out, count = '200'] = process.argv.slice(2);
const n = Number(count);
if (!out || !(Number.isInteger(n) && n >= 1 && n <= 10000)) {
  process.stderr.write('usage: node dist/bench/saccade-npz.js OUT.npz [N from 1 to 10000]\n');
  process.exit(2);
}
const ds = loadDataset('mnist-saccades', { split: 'test', limit: n });
const x = Uint8Array.from(ds.images, (v) => (v > 0 ? 1 : 0));
const y = BigInt64Array.from(ds.labels, (l) => BigInt(l));
try {
  writeFileAtomic(out, encodeNpz({ x: { data: x, shape: [ds.count, ds.steps ?? 1, ...ds.shape] }, y: { data: y, shape: [ds.count] } }));
} catch (e) {
  process.stderr.write(`saccade-npz: cannot write '${out}': ${(e as Error).message}\n`);
  process.exit(2);
}
process.stdout.write(`wrote ${out}: ${ds.count} samples of ${ds.steps} steps × [${ds.shape.join(', ')}]\n`);
