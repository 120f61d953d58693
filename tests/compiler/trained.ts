/**
 * Small ANNs trained for real on the embedded MNIST training split, in plain TypeScript (mini-batch Adam
 * with hand-written backward passes), so the conversion accuracy test has trained networks
 * without any shipped weights. Seeded: the same networks every run.
 */
import { buildGraph, tensor, type Graph, type IRNode } from '../../src/ir/graph.js';
import { loadMnist } from '../../src/data/mnist.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function init(n: number, fanIn: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) a[i] = (r() + r() + r() - 1.5) * 2 * std;
  return a;
}

interface Param { w: Float32Array; g: Float32Array; m: Float32Array; v: Float32Array; t: number }
const param = (w: Float32Array): Param => ({ w, g: new Float32Array(w.length), m: new Float32Array(w.length), v: new Float32Array(w.length), t: 0 });
/** Adam (β1 0.9, β2 0.999) on the batch-mean gradient. */
function step(ps: Param[], lr: number, batch: number) {
  for (const p of ps) {
    p.t++;
    const c1 = 1 - 0.9 ** p.t;
    const c2 = 1 - 0.999 ** p.t;
    for (let i = 0; i < p.w.length; i++) {
      const g = p.g[i] / batch;
      p.m[i] = 0.9 * p.m[i] + 0.1 * g;
      p.v[i] = 0.999 * p.v[i] + 0.001 * g * g;
      p.w[i] -= (lr * (p.m[i] / c1)) / (Math.sqrt(p.v[i] / c2) + 1e-8);
      p.g[i] = 0;
    }
  }
}
/** Softmax cross-entropy gradient w.r.t. logits, written into dz. */
function softmaxGrad(z: Float32Array, label: number, dz: Float32Array) {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  let s = 0;
  for (let i = 0; i < z.length; i++) { dz[i] = Math.exp(z[i] - m); s += dz[i]; }
  for (let i = 0; i < z.length; i++) dz[i] = dz[i] / s - (i === label ? 1 : 0);
}

function dense(x: Float32Array, w: Float32Array, b: Float32Array, out: Float32Array) {
  const n = x.length;
  for (let o = 0; o < out.length; o++) { let s = b[o]; for (let i = 0; i < n; i++) s += w[o * n + i] * x[i]; out[o] = s; }
}
function denseBack(x: Float32Array, w: Param, b: Param, dy: Float32Array, dx: Float32Array | null) {
  const n = x.length;
  if (dx) dx.fill(0);
  for (let o = 0; o < dy.length; o++) {
    const d = dy[o];
    if (d === 0) continue;
    b.g[o] += d;
    for (let i = 0; i < n; i++) { w.g[o * n + i] += d * x[i]; if (dx) dx[i] += d * w.w[o * n + i]; }
  }
}

/** Trains a 784-hidden-10 ReLU MLP; returns its IR graph. */
export function trainMlp(hidden = 64, epochs = 2, seed = 1, lr = 0.005, batch = 32): Graph {
  const r = rng(seed);
  const ds = loadMnist('train');
  const w1 = param(init(hidden * 784, 784, r)); const b1 = param(new Float32Array(hidden));
  const w2 = param(init(10 * hidden, hidden, r)); const b2 = param(new Float32Array(10));
  const h = new Float32Array(hidden); const z = new Float32Array(10); const dz = new Float32Array(10); const dh = new Float32Array(hidden);
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < ds.count; s++) {
      const x = ds.images.subarray(s * 784, (s + 1) * 784);
      dense(x, w1.w, b1.w, h);
      for (let i = 0; i < hidden; i++) if (h[i] < 0) h[i] = 0;
      dense(h, w2.w, b2.w, z);
      softmaxGrad(z, ds.labels[s], dz);
      denseBack(h, w2, b2, dz, dh);
      for (let i = 0; i < hidden; i++) if (h[i] <= 0) dh[i] = 0;
      denseBack(x, w1, b1, dh, null);
      if ((s + 1) % batch === 0) step([w1, b1, w2, b2], lr, batch);
    }
  }
  if (process.env.SNNC_DEBUG_TRAIN) {
    const te = loadMnist('test'); let ok = 0;
    for (let s = 0; s < te.count; s++) {
      const x = te.images.subarray(s * 784, (s + 1) * 784);
      dense(x, w1.w, b1.w, h); for (let i = 0; i < hidden; i++) if (h[i] < 0) h[i] = 0; dense(h, w2.w, b2.w, z);
      let best = 0; for (let c = 1; c < 10; c++) if (z[c] > z[best]) best = c; if (best === te.labels[s]) ok++;
    }
    console.log('own forward test acc', ok / te.count);
  }
  return buildGraph([
    ['input', { kind: 'Input', shape: [1, 28, 28] }],
    ['flatten', { kind: 'Flatten' }],
    ['fc1', { kind: 'Affine', weight: tensor([hidden, 784], w1.w), bias: tensor([hidden], b1.w) }],
    ['relu1', { kind: 'ReLU' }],
    ['fc2', { kind: 'Affine', weight: tensor([10, hidden], w2.w), bias: tensor([10], b2.w) }],
    ['output', { kind: 'Output' }],
  ] as [string, IRNode][], [['input', 'flatten'], ['flatten', 'fc1'], ['fc1', 'relu1'], ['relu1', 'fc2'], ['fc2', 'output']], { name: 'mlp' });
}

interface Conv { cout: number; cin: number; k: number; w: Param; b: Param }
function convFwd(c: Conv, x: Float32Array, h: number, out: Float32Array) {
  const o = h - c.k + 1;
  for (let co = 0; co < c.cout; co++) for (let y = 0; y < o; y++) for (let xx = 0; xx < o; xx++) {
    let s = c.b.w[co];
    for (let ci = 0; ci < c.cin; ci++) for (let ky = 0; ky < c.k; ky++) {
      const xr = (ci * h + y + ky) * h + xx;
      const wr = ((co * c.cin + ci) * c.k + ky) * c.k;
      for (let kx = 0; kx < c.k; kx++) s += c.w.w[wr + kx] * x[xr + kx];
    }
    out[(co * o + y) * o + xx] = s;
  }
}
function convBack(c: Conv, x: Float32Array, h: number, dy: Float32Array, dx: Float32Array | null) {
  const o = h - c.k + 1;
  if (dx) dx.fill(0);
  for (let co = 0; co < c.cout; co++) for (let y = 0; y < o; y++) for (let xx = 0; xx < o; xx++) {
    const d = dy[(co * o + y) * o + xx];
    if (d === 0) continue;
    c.b.g[co] += d;
    for (let ci = 0; ci < c.cin; ci++) for (let ky = 0; ky < c.k; ky++) {
      const xr = (ci * h + y + ky) * h + xx;
      const wr = ((co * c.cin + ci) * c.k + ky) * c.k;
      for (let kx = 0; kx < c.k; kx++) { c.w.g[wr + kx] += d * x[xr + kx]; if (dx) dx[xr + kx] += d * c.w.w[wr + kx]; }
    }
  }
}
function pool(x: Float32Array, c: number, h: number, out: Float32Array) {
  const o = h / 2;
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < o; y++) for (let xx = 0; xx < o; xx++) {
    const b = (ch * h + 2 * y) * h + 2 * xx;
    out[(ch * o + y) * o + xx] = (x[b] + x[b + 1] + x[b + h] + x[b + h + 1]) / 4;
  }
}
function poolBack(dy: Float32Array, c: number, h: number, dx: Float32Array) {
  const o = h / 2;
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < o; y++) for (let xx = 0; xx < o; xx++) {
    const d = dy[(ch * o + y) * o + xx] / 4;
    const b = (ch * h + 2 * y) * h + 2 * xx;
    dx[b] = d; dx[b + 1] = d; dx[b + h] = d; dx[b + h + 1] = d;
  }
}

/** Trains a LeNet-style CNN with average pooling: conv5(c1)-relu-avgpool-conv5(c2)-relu-avgpool-fc10. */
export function trainAvgPoolCnn(c1 = 4, c2 = 8, samples = 8004, seed = 2, lr = 0.003): Graph {
  const r = rng(seed);
  const ds = loadMnist('train');
  const conv1: Conv = { cout: c1, cin: 1, k: 5, w: param(init(c1 * 25, 25, r)), b: param(new Float32Array(c1)) };
  const conv2: Conv = { cout: c2, cin: c1, k: 5, w: param(init(c2 * c1 * 25, c1 * 25, r)), b: param(new Float32Array(c2)) };
  const flat = c2 * 16;
  const fw = param(init(10 * flat, flat, r)); const fb = param(new Float32Array(10));
  const a1 = new Float32Array(c1 * 576); const p1 = new Float32Array(c1 * 144);
  const a2 = new Float32Array(c2 * 64); const p2 = new Float32Array(flat);
  const z = new Float32Array(10); const dz = new Float32Array(10);
  const dp2 = new Float32Array(flat); const da2 = new Float32Array(c2 * 64); const dp1 = new Float32Array(c1 * 144); const da1 = new Float32Array(c1 * 576);
  const batch = 16;
  for (let s = 0; s < samples; s++) {
    const i = s % ds.count;
    const x = ds.images.subarray(i * 784, (i + 1) * 784);
    convFwd(conv1, x, 28, a1); for (let k = 0; k < a1.length; k++) if (a1[k] < 0) a1[k] = 0;
    pool(a1, c1, 24, p1);
    convFwd(conv2, p1, 12, a2); for (let k = 0; k < a2.length; k++) if (a2[k] < 0) a2[k] = 0;
    pool(a2, c2, 8, p2);
    dense(p2, fw.w, fb.w, z);
    softmaxGrad(z, ds.labels[i], dz);
    denseBack(p2, fw, fb, dz, dp2);
    poolBack(dp2, c2, 8, da2); for (let k = 0; k < a2.length; k++) if (a2[k] <= 0) da2[k] = 0;
    convBack(conv2, p1, 12, da2, dp1);
    poolBack(dp1, c1, 24, da1); for (let k = 0; k < a1.length; k++) if (a1[k] <= 0) da1[k] = 0;
    convBack(conv1, x, 28, da1, null);
    if ((s + 1) % batch === 0) step([conv1.w, conv1.b, conv2.w, conv2.b, fw, fb], lr, batch);
  }
  const conv = (w: Conv): IRNode => ({ kind: 'Conv2d', weight: tensor([w.cout, w.cin, 5, 5], w.w.w), bias: tensor([w.cout], w.b.w), stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 });
  const avg: IRNode = { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] };
  return buildGraph([
    ['input', { kind: 'Input', shape: [1, 28, 28] }],
    ['conv1', conv(conv1)], ['relu1', { kind: 'ReLU' }], ['pool1', avg],
    ['conv2', conv(conv2)], ['relu2', { kind: 'ReLU' }], ['pool2', { ...avg }],
    ['flatten', { kind: 'Flatten' }],
    ['fc', { kind: 'Affine', weight: tensor([10, flat], fw.w), bias: tensor([10], fb.w) }],
    ['output', { kind: 'Output' }],
  ] as [string, IRNode][], [
    ['input', 'conv1'], ['conv1', 'relu1'], ['relu1', 'pool1'], ['pool1', 'conv2'], ['conv2', 'relu2'], ['relu2', 'pool2'],
    ['pool2', 'flatten'], ['flatten', 'fc'], ['fc', 'output'],
  ], { name: 'cnn' });
}

/**
 * Trains a network with a dense layer wider than a Loihi core's 4,096 input axons: conv3(c)-relu-avgpool-fc10
 * over the c × 13 × 13 pooled map (c = 32: 5,408 inputs per output neuron).
 */
export function trainWide(c = 32, samples = 4000, seed = 3, lr = 0.002): Graph {
  const r = rng(seed);
  const ds = loadMnist('train');
  const conv1: Conv = { cout: c, cin: 1, k: 3, w: param(init(c * 9, 9, r)), b: param(new Float32Array(c)) };
  const flat = c * 169;
  const fw = param(init(10 * flat, flat, r)); const fb = param(new Float32Array(10));
  const a1 = new Float32Array(c * 676); const p1 = new Float32Array(flat);
  const z = new Float32Array(10); const dz = new Float32Array(10);
  const dp1 = new Float32Array(flat); const da1 = new Float32Array(c * 676);
  const batch = 16;
  for (let s = 0; s < samples; s++) {
    const i = s % ds.count;
    const x = ds.images.subarray(i * 784, (i + 1) * 784);
    convFwd(conv1, x, 28, a1); for (let k = 0; k < a1.length; k++) if (a1[k] < 0) a1[k] = 0;
    pool(a1, c, 26, p1);
    dense(p1, fw.w, fb.w, z);
    softmaxGrad(z, ds.labels[i], dz);
    denseBack(p1, fw, fb, dz, dp1);
    poolBack(dp1, c, 26, da1); for (let k = 0; k < a1.length; k++) if (a1[k] <= 0) da1[k] = 0;
    convBack(conv1, x, 28, da1, null);
    if ((s + 1) % batch === 0) step([conv1.w, conv1.b, fw, fb], lr, batch);
  }
  return buildGraph([
    ['input', { kind: 'Input', shape: [1, 28, 28] }],
    ['conv', { kind: 'Conv2d', weight: tensor([c, 1, 3, 3], conv1.w.w), bias: tensor([c], conv1.b.w), stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }],
    ['relu', { kind: 'ReLU' }],
    ['pool', { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }],
    ['flatten', { kind: 'Flatten' }],
    ['fc', { kind: 'Affine', weight: tensor([10, flat], fw.w), bias: tensor([10], fb.w) }],
    ['output', { kind: 'Output' }],
  ] as [string, IRNode][], [['input', 'conv'], ['conv', 'relu'], ['relu', 'pool'], ['pool', 'flatten'], ['flatten', 'fc'], ['fc', 'output']], { name: 'wide' });
}

/** x ([c, h, h]) with p zeros around each map. */
function padMap(x: Float32Array, c: number, h: number, p: number, out: Float32Array) {
  const hp = h + 2 * p;
  out.fill(0);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) out.set(x.subarray((ch * h + y) * h, (ch * h + y + 1) * h), (ch * hp + y + p) * hp + p);
}
/** The inner h × h of each padded map (the gradient of padMap). */
function cropMap(xp: Float32Array, c: number, h: number, p: number, out: Float32Array) {
  const hp = h + 2 * p;
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) out.set(xp.subarray((ch * hp + y + p) * hp + p, (ch * hp + y + p) * hp + p + h), (ch * h + y) * h);
}

/** The trained weights of {@link trainConcatMean}'s network. */
export interface ConcatMeanWeights {
  c1: number; a: number; c3: number;
  conv1: { w: Float32Array; b: Float32Array }; convA: { w: Float32Array; b: Float32Array }; conv3: { w: Float32Array; b: Float32Array }; fc: { w: Float32Array; b: Float32Array };
}

/**
 * Trains a network built on the ops of issue 21: a DenseNet-style Concat of a layer's input with its output, and a
 * ReduceMean head. conv5(c1)-relu-avgpool → h [c1, 12, 12]; a = relu(conv3 pad 1 (h)) [a, 12, 12];
 * cat([h, a]) → avgpool → conv5(c3)-relu [c3, 2, 2] → mean over H, W → fc10.
 */
export function trainConcatMean(c1 = 8, a = 8, c3 = 24, samples = 6000, seed = 4, lr = 0.006): ConcatMeanWeights {
  const r = rng(seed);
  const ds = loadMnist('train');
  const conv1: Conv = { cout: c1, cin: 1, k: 5, w: param(init(c1 * 25, 25, r)), b: param(new Float32Array(c1)) };
  const convA: Conv = { cout: a, cin: c1, k: 3, w: param(init(a * c1 * 9, c1 * 9, r)), b: param(new Float32Array(a)) };
  const cc = c1 + a;
  const conv3: Conv = { cout: c3, cin: cc, k: 5, w: param(init(c3 * cc * 25, cc * 25, r)), b: param(new Float32Array(c3)) };
  const fw = param(init(10 * c3, c3, r)); const fb = param(new Float32Array(10));
  const a1 = new Float32Array(c1 * 576); const h = new Float32Array(c1 * 144); const hp = new Float32Array(c1 * 196);
  const aa = new Float32Array(a * 144); const cat = new Float32Array(cc * 144); const p2 = new Float32Array(cc * 36);
  const a3 = new Float32Array(c3 * 4); const m = new Float32Array(c3);
  const z = new Float32Array(10); const dz = new Float32Array(10);
  const dm = new Float32Array(c3); const da3 = new Float32Array(c3 * 4); const dp2 = new Float32Array(cc * 36); const dcat = new Float32Array(cc * 144);
  const dhp = new Float32Array(c1 * 196); const dh = new Float32Array(c1 * 144); const dh2 = new Float32Array(c1 * 144); const da1 = new Float32Array(c1 * 576);
  const batch = 16;
  for (let s = 0; s < samples; s++) {
    const i = s % ds.count;
    const x = ds.images.subarray(i * 784, (i + 1) * 784);
    convFwd(conv1, x, 28, a1); for (let k = 0; k < a1.length; k++) if (a1[k] < 0) a1[k] = 0;
    pool(a1, c1, 24, h);
    padMap(h, c1, 12, 1, hp);
    convFwd(convA, hp, 14, aa); for (let k = 0; k < aa.length; k++) if (aa[k] < 0) aa[k] = 0;
    cat.set(h, 0); cat.set(aa, c1 * 144);
    pool(cat, cc, 12, p2);
    convFwd(conv3, p2, 6, a3); for (let k = 0; k < a3.length; k++) if (a3[k] < 0) a3[k] = 0;
    for (let c = 0; c < c3; c++) { let t = 0; for (let k = 0; k < 4; k++) t += a3[c * 4 + k]; m[c] = t / 4; }
    dense(m, fw.w, fb.w, z);
    softmaxGrad(z, ds.labels[i], dz);
    denseBack(m, fw, fb, dz, dm);
    for (let c = 0; c < c3; c++) for (let k = 0; k < 4; k++) da3[c * 4 + k] = a3[c * 4 + k] > 0 ? dm[c] / 4 : 0;
    convBack(conv3, p2, 6, da3, dp2);
    poolBack(dp2, cc, 12, dcat);
    // The concatenated gradient splits back: the first c1 maps go to h directly, the rest through convA.
    const dA = dcat.subarray(c1 * 144);
    for (let k = 0; k < aa.length; k++) if (aa[k] <= 0) dA[k] = 0;
    convBack(convA, hp, 14, dA, dhp);
    cropMap(dhp, c1, 12, 1, dh2);
    for (let k = 0; k < dh.length; k++) dh[k] = dcat[k] + dh2[k];
    poolBack(dh, c1, 24, da1); for (let k = 0; k < a1.length; k++) if (a1[k] <= 0) da1[k] = 0;
    convBack(conv1, x, 28, da1, null);
    if ((s + 1) % batch === 0) step([conv1.w, conv1.b, convA.w, convA.b, conv3.w, conv3.b, fw, fb], lr, batch);
  }
  return { c1, a, c3, conv1: { w: conv1.w.w, b: conv1.b.w }, convA: { w: convA.w.w, b: convA.b.w }, conv3: { w: conv3.w.w, b: conv3.b.w }, fc: { w: fw.w, b: fb.w } };
}
