/**
 * Data in NumPy's formats (`npz:FILE`, `npy:X,Y`): files written by NumPy itself read back exactly, samples with
 * a time axis drive `snnc verify` end to end (float SNN, quantized SNN and chip on spike frames), and bad files
 * or shapes end in one line with exit code 2 and nothing written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpz, fitToInput, loadDataset, loadNpyPair, loadNpz } from '../../src/data/index.js';
import { loadMnist } from '../../src/data/mnist.js';
import { createRng } from '../../src/data/rng.js';
import { runCliCaptured } from '../fixtures/capture.js';
import { buildTemplateStudent } from '../fixtures/template-student.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-numpy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Python with NumPy (Debian's, or the one on PATH), or undefined. */
function python(): string | undefined {
  for (const p of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0) return p;
  }
  return undefined;
}

/** MNIST test digits as spike frames: each pixel fires with its intensity at each of T steps (seeded). */
function spikeFrames(count: number, T: number): { x: Float32Array; y: Uint8Array } {
  const mnist = loadMnist('test');
  const rng = createRng(11);
  const x = new Float32Array(count * T * 784);
  for (let s = 0; s < count; s++) for (let t = 0; t < T; t++) for (let i = 0; i < 784; i++) x[(s * T + t) * 784 + i] = rng.next() < mnist.images[s * 784 + i] ? 1 : 0;
  return { x, y: mnist.labels.slice(0, count) };
}

describe('NumPy data sets', () => {
  const py = python();
  it.runIf(py !== undefined)('reads what NumPy wrote (np.savez and np.save), values and labels exactly', () => {
    execFileSync(py!, ['-c', [
      'import numpy as np',
      'x = (np.arange(5*4*3, dtype=np.float64) * 0.25).reshape(5, 4, 3)',
      'y = np.array([0, 1, 2, 1, 0], dtype=np.int64)',
      `np.savez("${join(dir, 'a.npz')}", x=x, y=y)`,
      `np.savez_compressed("${join(dir, 'c.npz')}", x=x.astype(np.float32), y=y.astype(np.uint8))`,
      `np.save("${join(dir, 'x.npy')}", x.astype(np.int16)); np.save("${join(dir, 'y.npy')}", y)`,
    ].join('\n')]);
    for (const ds of [loadNpz(join(dir, 'a.npz')), loadNpz(join(dir, 'c.npz')), loadNpyPair(join(dir, 'x.npy'), join(dir, 'y.npy'))]) {
      expect(ds.count).toBe(5);
      expect(ds.dims).toEqual([4, 3]);
      expect(Array.from(ds.labels)).toEqual([0, 1, 2, 1, 0]);
      expect(ds.classes).toBe(3);
      // x[0, 2, 1] = 7 · 0.25; saved as int16, NumPy truncated it to 1.
      expect(ds.images[7]).toBe(ds.name.startsWith('npy') ? 1 : 1.75);
    }
    // One axis more than the model's input is time.
    const timed = fitToInput(loadNpz(join(dir, 'a.npz')), [3]);
    expect(timed.steps).toBe(4);
    expect(() => fitToInput(loadNpz(join(dir, 'a.npz')), [5])).toThrow(/samples of shape \[4,3\], the model takes \[5\]/);
  });

  it('verify runs float SNN, quantized SNN and chip on spike frames from an npz file, bit-identical', async () => {
    const T = 6, N = 60;
    const { x, y } = spikeFrames(N, T);
    const file = join(dir, 'frames.npz');
    writeFileSync(file, encodeNpz({ x: { data: x, shape: [N, T, 1, 28, 28] }, y: { data: BigInt64Array.from(y, (v) => BigInt(v)), shape: [N] } }));
    const student = join(dir, 'student.onnx');
    writeFileSync(student, buildTemplateStudent({ relays: 1, timesteps: T }));
    const ds = loadDataset(`npz:${file}`, { split: 'test' });
    expect(ds.dims).toEqual([T, 1, 28, 28]);
    const out = join(dir, 'verify.json');
    const r = await runCliCaptured(['verify', student, '--dataset', `npz:${file}`, '--samples', String(N), '--workers', '1', '--json', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.rows.map((row: { stage: string }) => row.stage)).toEqual(['float-snn', 'quantized-snn', 'mapped-chip']);
    expect(report.timesteps).toBe(T);
    expect(report.bitIdentical.all).toBe(true);
    for (const row of report.rows) expect(row.accuracy, row.stage).toBeGreaterThan(0.5);
    expect(report.warnings.join(' ')).toMatch(/no ANN row/);
  });

  it('refuses bad files and shapes with one line, exit 2, nothing written', async () => {
    const out = join(dir, 'nothing.json');
    const student = join(dir, 'student.onnx');
    writeFileSync(student, buildTemplateStudent({ relays: 1, timesteps: 4 }));
    const f32 = (n: number) => new Float32Array(n);
    const i64 = (...v: number[]) => BigInt64Array.from(v, (k) => BigInt(k));
    const cases: [string, Uint8Array, RegExp][] = [
      ['mismatch.npz', encodeNpz({ x: { data: f32(3 * 784), shape: [3, 1, 28, 28] }, y: { data: i64(0, 1), shape: [2] } }), /x and y disagree: .* 3 samples, .* 2 labels/],
      ['noy.npz', encodeNpz({ x: { data: f32(784), shape: [1, 1, 28, 28] } }), /needs arrays named x and y/],
      ['shape.npz', encodeNpz({ x: { data: f32(2 * 5 * 10), shape: [2, 5, 10] }, y: { data: i64(0, 1), shape: [2] } }), /samples of shape \[5,10\], the model takes \[1,28,28\]/],
      ['labels.npz', encodeNpz({ x: { data: f32(784), shape: [1, 1, 28, 28] }, y: { data: i64(-1), shape: [1] } }), /label -1 at index 0/],
      ['notzip.npz', new TextEncoder().encode('not an archive'), /is not a ZIP archive/],
      ['truncated.npz', encodeNpz({ x: { data: f32(784), shape: [1, 1, 28, 28] }, y: { data: i64(0), shape: [1] } }).subarray(0, 200), /not a readable ZIP archive|truncated|not a readable/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await runCliCaptured(['verify', student, '--dataset', `npz:${file}`, '--samples', '5', '--workers', '1', '-o', out]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr, name).toMatch(message);
      expect(existsSync(out), name).toBe(false);
    }
  });
});
