import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { combineSeeds, createRng, type Rng } from './rng.js';

/**
 * Input perturbations for robustness evaluation. Every transform maps an image with values in [0, 1]
 * to another one, clipped to [0, 1]. Definitions (x a pixel value, per channel):
 *
 * - `gaussian:σ`   x + σ·z, z ~ N(0, 1) per pixel.
 * - `saltpepper:p` each pixel, with probability p, becomes 0 or 1 (equally likely).
 * - `background:b` x + b·u, u ~ U[0, 1) per pixel: a random background intensity of mean b/2 that lifts
 *                  the dark background (as sensor glare or a textured backdrop would).
 * - `rotation:θ`   rotation by θ degrees counter-clockwise (as displayed) about the image centre,
 *                  bilinear interpolation, 0 outside the source.
 * - `blur:σ`       Gaussian blur with standard deviation σ pixels (separable kernel of radius ⌈3σ⌉,
 *                  normalised, edges replicated).
 * - `occlusion:f`  a square of side round(√(f·H·W)) pixels, at a random position, set to 0 in every
 *                  channel (it covers the fraction f of the image, up to rounding).
 *
 * Randomness is seeded per sample from (seed, noise kind, sample index) and does not depend on the
 * level, so the levels of one kind use the same draws (common random numbers: a higher level perturbs
 * the same pixels more, giving smooth accuracy curves), and a prefix of a data set is perturbed
 * exactly as in the whole one.
 */
export type NoiseKind = 'gaussian' | 'saltpepper' | 'background' | 'rotation' | 'blur' | 'occlusion';

/** One noise kind with the levels to evaluate, as given by `--noise kind:l1,l2,...`. */
export interface NoiseSpec {
  kind: NoiseKind;
  levels: number[];
}

/** One noise kind at one level. */
export interface Perturbation {
  kind: NoiseKind;
  level: number;
}

interface KindInfo {
  /** What the level means, for help texts and report axes. */
  level: string;
  min: number;
  max: number;
  /** Stable tag mixed into per-sample seeds so that kinds draw independent streams. */
  tag: number;
}

export const NOISE_KINDS: Record<NoiseKind, KindInfo> = {
  gaussian: { level: 'σ (standard deviation, pixel units)', min: 0, max: 10, tag: 1 },
  saltpepper: { level: 'fraction of pixels set to 0 or 1', min: 0, max: 1, tag: 2 },
  background: { level: 'maximum added background intensity', min: 0, max: 1, tag: 3 },
  rotation: { level: 'angle in degrees (counter-clockwise)', min: -360, max: 360, tag: 4 },
  blur: { level: 'Gaussian σ in pixels', min: 0, max: 32, tag: 5 },
  occlusion: { level: 'fraction of the image covered by a square patch', min: 0, max: 1, tag: 6 },
};

const ALIASES: Record<string, NoiseKind> = {
  gaussian: 'gaussian', gauss: 'gaussian',
  saltpepper: 'saltpepper', 'salt-pepper': 'saltpepper', 'salt-and-pepper': 'saltpepper', sp: 'saltpepper',
  background: 'background',
  rotation: 'rotation', rotate: 'rotation',
  blur: 'blur',
  occlusion: 'occlusion', occlude: 'occlusion',
};

/** The default sweep of `snnc robustness` (the levels named in the product brief). */
export const DEFAULT_NOISE: NoiseSpec[] = [
  { kind: 'gaussian', levels: [0.05, 0.1, 0.2] },
  { kind: 'saltpepper', levels: [0.02, 0.05] },
  { kind: 'background', levels: [0.1, 0.2] },
  { kind: 'rotation', levels: [10, 20, 30] },
  { kind: 'blur', levels: [1, 2] },
  { kind: 'occlusion', levels: [0.1, 0.25] },
];

/**
 * Parses noise specs such as `['gaussian:0.05,0.1', 'saltpepper:0.02']` (entries may also be separated
 * by spaces inside one string). A kind named twice has its levels merged. Levels are kept in the order
 * given, duplicates removed. The word `none` alone gives no noise (clean inputs only).
 */
export function parseNoiseSpecs(args: string | string[]): NoiseSpec[] {
  const words = (Array.isArray(args) ? args : [args]).flatMap((a) => String(a).split(/\s+/)).filter((w) => w !== '');
  const byKind = new Map<NoiseKind, number[]>();
  for (const word of words) {
    // 'none' asks for the clean evaluation only
    if (word.toLowerCase() === 'none') continue;
    const colon = word.indexOf(':');
    if (colon < 0) throw new DataError(`noise '${word}': write KIND:LEVEL[,LEVEL...], e.g. gaussian:0.05,0.1`);
    const name = word.slice(0, colon).toLowerCase();
    const kind = ALIASES[name];
    if (!kind) throw new DataError(`unknown noise kind '${name}' (known: ${Object.keys(NOISE_KINDS).join(', ')})`);
    const info = NOISE_KINDS[kind];
    const levelText = word.slice(colon + 1).split(',').map((s) => s.trim());
    if (levelText.length === 0 || levelText.some((s) => s === '')) throw new DataError(`noise '${word}' has an empty level`);
    const levels = byKind.get(kind) ?? [];
    for (const s of levelText) {
      const v = Number(s);
      if (!Number.isFinite(v)) throw new DataError(`noise '${word}': level '${s}' is not a number`);
      if (v < info.min || v > info.max) throw new DataError(`noise ${kind} level ${v} is out of range ${info.min}..${info.max} (${info.level})`);
      if (!levels.includes(v)) levels.push(v);
    }
    byKind.set(kind, levels);
  }
  return [...byKind].map(([kind, levels]) => ({ kind, levels }));
}

/** A short label such as `gaussian:0.1`. */
export function perturbationLabel(p: Perturbation): string {
  return `${p.kind}:${p.level}`;
}

/** The random stream of one sample under one noise kind (independent of the level). */
export function sampleRng(seed: number, kind: NoiseKind, sampleIndex: number): Rng {
  return createRng(combineSeeds(seed, NOISE_KINDS[kind].tag, sampleIndex));
}

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Perturbs one image `[C, H, W]` in place of a copy and returns the copy. `rng` is the sample's stream
 * (see sampleRng); deterministic transforms (rotation, blur) do not use it.
 */
export function perturbImage(image: Float32Array, shape: readonly [number, number, number], p: Perturbation, rng: Rng): Float32Array {
  const [C, H, W] = shape;
  const out = new Float32Array(image.length);
  switch (p.kind) {
    case 'gaussian':
      for (let i = 0; i < image.length; i++) out[i] = clip01(image[i] + p.level * rng.normal());
      return out;
    case 'saltpepper':
      for (let i = 0; i < image.length; i++) {
        const hit = rng.next() < p.level;
        const salt = rng.next() < 0.5;
        out[i] = hit ? (salt ? 1 : 0) : image[i];
      }
      return out;
    case 'background':
      for (let i = 0; i < image.length; i++) out[i] = clip01(image[i] + p.level * rng.next());
      return out;
    case 'rotation':
      for (let c = 0; c < C; c++) rotatePlane(image, out, c * H * W, H, W, p.level);
      return out;
    case 'blur':
      for (let c = 0; c < C; c++) blurPlane(image, out, c * H * W, H, W, p.level);
      return out;
    case 'occlusion': {
      out.set(image);
      const side = Math.min(H, W, Math.round(Math.sqrt(p.level * H * W)));
      const top = rng.int(H - side + 1);
      const left = rng.int(W - side + 1);
      for (let c = 0; c < C; c++) {
        for (let y = top; y < top + side; y++) out.fill(0, c * H * W + y * W + left, c * H * W + y * W + left + side);
      }
      return out;
    }
    default: {
      const never: never = p.kind;
      throw new DataError(`unknown noise kind '${String(never)}'`);
    }
  }
}

/** Bilinear rotation of one H×W plane about its centre; samples outside the source read 0. */
function rotatePlane(src: Float32Array, dst: Float32Array, base: number, H: number, W: number, degrees: number): void {
  const theta = (degrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const at = (y: number, x: number) => (y >= 0 && y < H && x >= 0 && x < W ? src[base + y * W + x] : 0);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Inverse mapping with the y axis pointing down, so that positive angles turn counter-clockwise on screen.
      const dx = x - cx;
      const dy = y - cy;
      const sx = cx + dx * cos - dy * sin;
      const sy = cy + dx * sin + dy * cos;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      dst[base + y * W + x] = clip01(v);
    }
  }
}

/** The normalised 1-D Gaussian kernel of standard deviation sigma, radius ⌈3σ⌉. */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(0, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * radius + 1);
  if (sigma === 0) {
    k[0] = 1;
    return k;
  }
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable Gaussian blur of one H×W plane, edges replicated. */
function blurPlane(src: Float32Array, dst: Float32Array, base: number, H: number, W: number, sigma: number): void {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * src[base + y * W + Math.min(W - 1, Math.max(0, x + i))];
      tmp[y * W + x] = s;
    }
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * tmp[Math.min(H - 1, Math.max(0, y + i)) * W + x];
      dst[base + y * W + x] = clip01(s);
    }
  }
}

/**
 * The data set with every image perturbed. `indexOffset` is the position of the first sample in the
 * original data set, so that a slice is perturbed exactly as inside the whole.
 */
export function applyNoise(ds: Dataset, p: Perturbation, seed: number, indexOffset = 0): Dataset {
  const info = NOISE_KINDS[p.kind];
  if (!info) throw new DataError(`unknown noise kind '${String(p.kind)}'`);
  if (!Number.isFinite(p.level) || p.level < info.min || p.level > info.max) {
    throw new DataError(`noise ${p.kind} level ${p.level} is out of range ${info.min}..${info.max}`);
  }
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const images = new Float32Array(ds.count * size);
  for (let n = 0; n < ds.count; n++) {
    const img = ds.images.subarray(n * size, (n + 1) * size);
    images.set(perturbImage(img, ds.shape, p, sampleRng(seed, p.kind, indexOffset + n)), n * size);
  }
  return { ...ds, name: `${ds.name}+${perturbationLabel(p)}`, images, labels: ds.labels.slice() };
}
