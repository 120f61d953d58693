/**
 * `npm run bench:compile`: builds a ResNet-18 for 32×32×3 inputs (CIFAR layout: 3×3 stem, four stages of
 * two basic blocks, 64-128-256-512 channels, BatchNorm, global average pooling; ≈ 11.2 M weights, ≈ 0.56 M
 * neurons) as ONNX with protobufjs and seeded random weights, compiles it for loihi-like and prints wall
 * time, peak memory, cores, and the placement cost against row-major placement. Then the same figures for
 * the MNIST networks (an MLP and an average-pooling LeNet) on every shipped target. Targets: ≤ 10 s and
 * ≤ 2 GB for the ResNet; placement ≥ 20 % below row-major.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxBuilder, attr } from '../src/onnx/builder.js';
import { compile, FitError } from '../compiler/index.js';
import { listTargets } from '../targets/load.js';

class Seeded {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), this.s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** He-scaled uniform weights. */
  weights(n: number, fanIn: number): Float32Array {
    const a = new Float32Array(n);
    const bound = Math.sqrt(6 / fanIn);
    for (let i = 0; i < n; i++) a[i] = (this.next() * 2 - 1) * bound;
    return a;
  }
}

/** ResNet-18 (CIFAR variant) as ONNX bytes. */
export function buildResNet18(seed = 18): { bytes: Uint8Array; weights: number } {
  const rnd = new Seeded(seed);
  const b = new OnnxBuilder({ opset: 13, name: 'resnet18-cifar', producer: 'snnc bench' });
  let weights = 0;
  let k = 0;
  const conv = (x: string, cin: number, cout: number, kernel: number, stride: number): string => {
    const name = `conv${k++}`;
    const w = b.init(`${name}.w`, [cout, cin, kernel, kernel], rnd.weights(cout * cin * kernel * kernel, cin * kernel * kernel));
    weights += cout * cin * kernel * kernel;
    const pad = (kernel - 1) / 2;
    const y = b.node('Conv', [x, w], 1, { kernel_shape: attr.ints([kernel, kernel]), strides: attr.ints([stride, stride]), pads: attr.ints([pad, pad, pad, pad]) }, { name });
    const ones = Float32Array.from({ length: cout }, () => 0.8 + 0.4 * rnd.next());
    const zeros = Float32Array.from({ length: cout }, () => 0.1 * (rnd.next() - 0.5));
    const mean = Float32Array.from({ length: cout }, () => 0.1 * (rnd.next() - 0.5));
    const variance = Float32Array.from({ length: cout }, () => 0.5 + rnd.next());
    weights += 2 * cout;
    return b.node('BatchNormalization', [y, b.init(`${name}.bn.g`, [cout], ones), b.init(`${name}.bn.b`, [cout], zeros), b.init(`${name}.bn.m`, [cout], mean), b.init(`${name}.bn.v`, [cout], variance)], 1, { epsilon: attr.float(1e-5) }, { name: `${name}.bn` });
  };
  const relu = (x: string) => b.node('Relu', [x]);
  let x = relu(conv(b.input('input', [1, 3, 32, 32]), 3, 64, 3, 1));
  let cin = 64;
  for (const [cout, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let block = 0; block < 2; block++) {
      const s = block === 0 ? stride : 1;
      const y = conv(relu(conv(x, cin, cout, 3, s)), cout, cout, 3, 1);
      const shortcut = s !== 1 || cin !== cout ? conv(x, cin, cout, 1, s) : x;
      x = relu(b.node('Add', [y, shortcut]));
      cin = cout;
    }
  }
  const pooled = b.node('Flatten', [b.node('GlobalAveragePool', [x])], 1, { axis: attr.int(1) });
  const fcw = b.init('fc.w', [10, 512], rnd.weights(5120, 512));
  const fcb = b.init('fc.b', [10], new Float32Array(10));
  weights += 5130;
  b.node('Gemm', [pooled, fcw, fcb], ['logits'], { transB: attr.int(1) });
  b.output('logits', [1, 10]);
  return { bytes: b.bytes(), weights };
}

function buildMnistMlp(): Uint8Array {
  const rnd = new Seeded(7);
  const b = new OnnxBuilder({ opset: 13, name: 'mnist-mlp', producer: 'snnc bench' });
  const x = b.node('Flatten', [b.input('input', [1, 1, 28, 28])], 1, { axis: attr.int(1) });
  const h = b.node('Relu', [b.node('Gemm', [x, b.init('w1', [256, 784], rnd.weights(256 * 784, 784)), b.init('b1', [256], new Float32Array(256))], 1, { transB: attr.int(1) })]);
  const h2 = b.node('Relu', [b.node('Gemm', [h, b.init('w2', [128, 256], rnd.weights(128 * 256, 256)), b.init('b2', [128], new Float32Array(128))], 1, { transB: attr.int(1) })]);
  b.node('Gemm', [h2, b.init('w3', [10, 128], rnd.weights(1280, 128)), b.init('b3', [10], new Float32Array(10))], ['logits'], { transB: attr.int(1) });
  b.output('logits', [1, 10]);
  return b.bytes();
}

function buildMnistLeNet(): Uint8Array {
  const rnd = new Seeded(5);
  const b = new OnnxBuilder({ opset: 13, name: 'mnist-lenet', producer: 'snnc bench' });
  const conv = (x: string, cin: number, cout: number, name: string) => b.node('Relu', [b.node('Conv', [x, b.init(`${name}.w`, [cout, cin, 5, 5], rnd.weights(cout * cin * 25, cin * 25)), b.init(`${name}.b`, [cout], new Float32Array(cout))], 1, { kernel_shape: attr.ints([5, 5]) })]);
  const pool = (x: string) => b.node('AveragePool', [x], 1, { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) });
  const p2 = pool(conv(pool(conv(b.input('input', [1, 1, 28, 28]), 1, 6, 'c1')), 6, 16, 'c2'));
  const f = b.node('Flatten', [p2], 1, { axis: attr.int(1) });
  const h = b.node('Relu', [b.node('Gemm', [f, b.init('f1.w', [120, 256], rnd.weights(120 * 256, 256)), b.init('f1.b', [120], new Float32Array(120))], 1, { transB: attr.int(1) })]);
  b.node('Gemm', [h, b.init('f2.w', [10, 120], rnd.weights(1200, 120)), b.init('f2.b', [10], new Float32Array(10))], ['logits'], { transB: attr.int(1) });
  b.output('logits', [1, 10]);
  return b.bytes();
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-bench-compile-'));
  try {
    const t0 = performance.now();
    const { bytes, weights } = buildResNet18();
    const modelPath = join(dir, 'resnet18.onnx');
    writeFileSync(modelPath, bytes);
    const tBuild = performance.now() - t0;
    const t1 = performance.now();
    const r = compile(modelPath, { target: 'loihi-like', outDir: join(dir, 'out') });
    const tCompile = (performance.now() - t1) / 1000;
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    const s = r.summary;
    const gain = (1 - s.placementCost / s.rowMajorCost) * 100;
    process.stdout.write('ResNet-18 (32×32×3, CIFAR layout) on loihi-like\n');
    process.stdout.write(`  model: ${(weights / 1e6).toFixed(2)} M weights, ${(s.neurons / 1e6).toFixed(3)} M neurons, ${(s.synapses / 1e6).toFixed(0)} M synapses; ONNX built in ${(tBuild / 1000).toFixed(2)} s (${(bytes.length / 1e6).toFixed(1)} MB)\n`);
    process.stdout.write(`  compile (import, fold, convert, lower, quantize, partition, place, route, write): ${tCompile.toFixed(2)} s (target ≤ 10 s) ${tCompile <= 10 ? 'OK' : 'OVER'}\n`);
    process.stdout.write(`  peak memory (max RSS of this process): ${peakMiB.toFixed(0)} MiB (target ≤ 2048 MiB) ${peakMiB <= 2048 ? 'OK' : 'OVER'}\n`);
    process.stdout.write(`  cores used ${s.coresUsed} of ${s.coresAvailable} (${s.tilesUsed} tiles)\n`);
    process.stdout.write(`  placement cost ${Math.round(s.placementCost).toLocaleString('en-US')} spike-hops/step vs row-major ${Math.round(s.rowMajorCost).toLocaleString('en-US')}: ${gain.toFixed(1)} % lower (target ≥ 20 %) ${gain >= 20 ? 'OK' : 'UNDER'}\n\n`);

    process.stdout.write('MNIST networks (seeded random weights, weight-based thresholds) on every shipped target\n');
    process.stdout.write(`  ${'model'.padEnd(12)} ${'target'.padEnd(16)} ${'time s'.padStart(7)} ${'cores'.padStart(6)} ${'cost'.padStart(9)} ${'row-major'.padStart(10)}  note\n`);
    for (const [name, build] of [['mlp', buildMnistMlp], ['lenet', buildMnistLeNet]] as const) {
      const path = join(dir, `${name}.onnx`);
      writeFileSync(path, build());
      for (const target of listTargets()) {
        const t = performance.now();
        try {
          const m = compile(path, { target, outDir: join(dir, `${name}-${target}`) });
          const sec = (performance.now() - t) / 1000;
          process.stdout.write(`  ${name.padEnd(12)} ${target.padEnd(16)} ${sec.toFixed(2).padStart(7)} ${String(m.summary.coresUsed).padStart(6)} ${Math.round(m.summary.placementCost).toString().padStart(9)} ${Math.round(m.summary.rowMajorCost).toString().padStart(10)}\n`);
        } catch (e) {
          if (!(e instanceof FitError)) throw e;
          process.stdout.write(`  ${name.padEnd(12)} ${target.padEnd(16)} ${'-'.padStart(7)} ${'-'.padStart(6)} ${'-'.padStart(9)} ${'-'.padStart(10)}  does not fit: ${e.message}\n`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
