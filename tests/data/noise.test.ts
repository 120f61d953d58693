import { describe, expect, it } from 'vitest';
import { applyNoise, parseNoiseSpecs, gaussianKernel, perturbImage, sampleRng, DEFAULT_NOISE, type Perturbation } from '../../src/data/noise.js';
import { createRng, combineSeeds } from '../../src/data/rng.js';
import { DataError, take, loadMnist, type Dataset } from '../../src/data/index.js';

/** A data set of `count` constant images (value v) of shape C×H×W. */
function constant(count: number, v: number, shape: [number, number, number] = [1, 28, 28]): Dataset {
  const size = shape[0] * shape[1] * shape[2];
  return { name: 'const', shape, classes: 10, count, images: new Float32Array(count * size).fill(v), labels: new Uint8Array(count) };
}

function meanVar(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, variance: v / xs.length };
}

/** Orientation (degrees, counter-clockwise on screen) of an image's principal axis from its second moments. */
function orientation(img: Float32Array, H: number, W: number): number {
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { const v = img[y * W + x]; m += v; mx += v * x; my += v * y; }
  const cx = mx / m, cy = my / m;
  let mu20 = 0, mu02 = 0, mu11 = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const v = img[y * W + x];
    mu20 += v * (x - cx) ** 2; mu02 += v * (y - cy) ** 2; mu11 += v * (x - cx) * (y - cy);
  }
  // y points down in the image, so the on-screen angle is the negative of the image-coordinate one.
  return -(0.5 * Math.atan2(2 * mu11, mu20 - mu02) * 180) / Math.PI;
}

describe('seeded rng', () => {
  it('is deterministic, uniform and normal', () => {
    const a = createRng(42), b = createRng(42), c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    const r = createRng(7);
    const u = Array.from({ length: 200_000 }, () => r.next());
    const su = meanVar(u);
    expect(Math.min(...u.slice(0, 1000))).toBeGreaterThanOrEqual(0);
    expect(su.mean).toBeCloseTo(0.5, 2);
    expect(su.variance).toBeCloseTo(1 / 12, 3);
    const z = Array.from({ length: 200_000 }, () => r.normal());
    const sz = meanVar(z);
    expect(Math.abs(sz.mean)).toBeLessThan(0.01);
    expect(sz.variance).toBeGreaterThan(0.98);
    expect(sz.variance).toBeLessThan(1.02);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    for (const k of counts) expect(Math.abs(k - 10_000)).toBeLessThan(400);
    expect(combineSeeds(1, 2)).not.toBe(combineSeeds(2, 1));
    expect(combineSeeds(2 ** 40)).not.toBe(combineSeeds(0));
  });
});

describe('noise specs', () => {
  it('parses kinds and levels, merges repeats, refuses bad input', () => {
    expect(parseNoiseSpecs(['gaussian:0.05,0.1', 'saltpepper:0.02'])).toEqual([
      { kind: 'gaussian', levels: [0.05, 0.1] },
      { kind: 'saltpepper', levels: [0.02] },
    ]);
    expect(parseNoiseSpecs('gaussian:0.1 rotation:10,20 gaussian:0.2,0.1')).toEqual([
      { kind: 'gaussian', levels: [0.1, 0.2] },
      { kind: 'rotation', levels: [10, 20] },
    ]);
    expect(parseNoiseSpecs(['none'])).toEqual([]);
    expect(() => parseNoiseSpecs('snow:0.1')).toThrow(/unknown noise kind 'snow'/);
    expect(() => parseNoiseSpecs('gaussian')).toThrow(DataError);
    expect(() => parseNoiseSpecs('gaussian:abc')).toThrow(/'abc' is not a number/);
    expect(() => parseNoiseSpecs('saltpepper:1.5')).toThrow(/out of range 0\.\.1/);
    expect(() => parseNoiseSpecs('gaussian:0.1,')).toThrow(/empty level/);
    expect(DEFAULT_NOISE.map((s) => s.kind)).toEqual(['gaussian', 'saltpepper', 'background', 'rotation', 'blur', 'occlusion']);
  });
});

describe('noise statistics', () => {
  const mid = constant(40, 0.5);

  it('gaussian: mean kept, variance σ² (away from the clip)', () => {
    const out = applyNoise(mid, { kind: 'gaussian', level: 0.1 }, 1);
    const s = meanVar(out.images);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.003);
    expect(s.variance).toBeGreaterThan(0.0097);
    expect(s.variance).toBeLessThan(0.0103);
  });

  it('gaussian: values clipped to [0, 1]', () => {
    const out = applyNoise(constant(5, 0), { kind: 'gaussian', level: 0.5 }, 1);
    let below = 0, zeros = 0;
    for (const v of out.images) { if (v < 0 || v > 1) below++; if (v === 0) zeros++; }
    expect(below).toBe(0);
    // half the draws are negative and clip to 0
    expect(zeros / out.images.length).toBeGreaterThan(0.47);
    expect(zeros / out.images.length).toBeLessThan(0.53);
  });

  it('saltpepper: the fraction p of pixels changes, half to 0 and half to 1', () => {
    const out = applyNoise(mid, { kind: 'saltpepper', level: 0.05 }, 3);
    let salt = 0, pepper = 0, other = 0;
    for (const v of out.images) { if (v === 1) salt++; else if (v === 0) pepper++; else if (v !== 0.5) other++; }
    const n = out.images.length;
    expect(other).toBe(0);
    expect(Math.abs((salt + pepper) / n - 0.05)).toBeLessThan(0.004);
    expect(Math.abs(salt / (salt + pepper) - 0.5)).toBeLessThan(0.05);
  });

  it('background: adds U[0, b): mean b/2, variance b²/12', () => {
    const out = applyNoise(constant(40, 0), { kind: 'background', level: 0.2 }, 5);
    const s = meanVar(out.images);
    expect(Math.abs(s.mean - 0.1)).toBeLessThan(0.002);
    expect(Math.abs(s.variance - 0.04 / 12)).toBeLessThan(0.0001);
    expect(Math.max(...out.images)).toBeLessThan(0.2);
  });

  it('rotation: the principal axis of a bar turns by the requested angle', () => {
    const H = 41, W = 41;
    const bar = new Float32Array(H * W);
    for (let y = 18; y <= 22; y++) for (let x = 6; x <= 34; x++) bar[y * W + x] = 1;
    expect(Math.abs(orientation(bar, H, W))).toBeLessThan(0.01);
    for (const angle of [10, 20, 30, -25]) {
      const rotated = perturbImage(bar, [1, H, W], { kind: 'rotation', level: angle }, createRng(0));
      expect(Math.abs(orientation(rotated, H, W) - angle)).toBeLessThan(0.5);
      // mass approximately preserved (the bar stays inside the frame)
      const before = bar.reduce((a, b) => a + b, 0), after = rotated.reduce((a, b) => a + b, 0);
      expect(Math.abs(after / before - 1)).toBeLessThan(0.02);
    }
    // 0 degrees is the identity
    expect(Array.from(perturbImage(bar, [1, H, W], { kind: 'rotation', level: 0 }, createRng(0)))).toEqual(Array.from(bar));
  });

  it('blur: a point spreads to a Gaussian of variance σ² with its mass kept', () => {
    const H = 41, W = 41;
    const point = new Float32Array(H * W);
    point[20 * W + 20] = 1;
    for (const sigma of [1, 2]) {
      const out = perturbImage(point, [1, H, W], { kind: 'blur', level: sigma }, createRng(0));
      let m = 0, vx = 0, vy = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { const v = out[y * W + x]; m += v; vx += v * (x - 20) ** 2; vy += v * (y - 20) ** 2; }
      expect(m).toBeCloseTo(1, 5);
      expect(Math.abs(vx / m - sigma * sigma) / (sigma * sigma)).toBeLessThan(0.02);
      expect(Math.abs(vy / m - sigma * sigma) / (sigma * sigma)).toBeLessThan(0.02);
    }
    const k = gaussianKernel(1.5);
    expect(k.length).toBe(11);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // a constant image stays constant (edges replicated, not darkened)
    const flat = applyNoise(constant(1, 0.7, [3, 8, 8]), { kind: 'blur', level: 2 }, 0);
    for (const v of flat.images) expect(v).toBeCloseTo(0.7, 5);
  });

  it('occlusion: a square of area ≈ f·H·W is zeroed in every channel, at varying positions', () => {
    const ds = constant(50, 1, [3, 28, 28]);
    const out = applyNoise(ds, { kind: 'occlusion', level: 0.25 }, 9);
    const tops = new Set<number>();
    for (let n = 0; n < ds.count; n++) {
      const base = n * 3 * 784;
      let zeros = 0;
      for (let i = 0; i < 3 * 784; i++) if (out.images[base + i] === 0) zeros++;
      expect(zeros).toBe(3 * 14 * 14);
      let firstZero = 0;
      while (out.images[base + firstZero] !== 0) firstZero++;
      tops.add(firstZero);
      // the same pixels are zero in each channel
      for (let i = 0; i < 784; i++) expect(out.images[base + i]).toBe(out.images[base + 784 + i]);
    }
    expect(tops.size).toBeGreaterThan(20);
  });

  it('is deterministic for a seed, level-coupled, and a prefix is perturbed as in the whole', () => {
    const digits = take(loadMnist('test'), 20);
    const p: Perturbation = { kind: 'gaussian', level: 0.1 };
    const a = applyNoise(digits, p, 11), b = applyNoise(digits, p, 11), c = applyNoise(digits, p, 12);
    expect(Array.from(a.images)).toEqual(Array.from(b.images));
    expect(Array.from(a.images)).not.toEqual(Array.from(c.images));
    const prefix = applyNoise(take(digits, 5), p, 11);
    expect(Array.from(prefix.images)).toEqual(Array.from(a.images.slice(0, 5 * 784)));
    const slice = applyNoise(take(digits, 5, 10), p, 11, 10);
    expect(Array.from(slice.images)).toEqual(Array.from(a.images.slice(10 * 784, 15 * 784)));
    // salt-and-pepper: the pixels hit at 2 % are a subset of those hit at 5 %
    const sp2 = applyNoise(constant(3, 0.5), { kind: 'saltpepper', level: 0.02 }, 4);
    const sp5 = applyNoise(constant(3, 0.5), { kind: 'saltpepper', level: 0.05 }, 4);
    for (let i = 0; i < sp2.images.length; i++) if (sp2.images[i] !== 0.5) expect(sp5.images[i]).toBe(sp2.images[i]);
    // the original is untouched
    expect(digits.images).toEqual(take(loadMnist('test'), 20).images);
    expect(sampleRng(1, 'gaussian', 0).next()).not.toBe(sampleRng(1, 'blur', 0).next());
  });
});
