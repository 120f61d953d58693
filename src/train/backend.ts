import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerMissingGradients } from './gradients.js';
import { loadNeuronKernel } from './neuron-kernel.js';

const require = createRequire(import.meta.url);

/** The tfjs module the trainer uses (tfjs-core API; backend chosen by {@link initTrainingBackend}). */
export { tf };

let chosen: string | undefined;

/**
 * Picks the training backend once per process: `tensorflow` (native, from the optional
 * `@tensorflow/tfjs-node`) when it can be loaded, else `wasm` (`@tensorflow/tfjs-backend-wasm`, XNNPACK with
 * SIMD) with the slow or missing gradients replaced by ones built from fast kernels. Returns the backend name.
 */
export async function initTrainingBackend(options: { quiet?: boolean; prefer?: 'tensorflow' | 'wasm' } = {}): Promise<string> {
  if (chosen) return chosen;
  let name: string | undefined;
  if (options.prefer !== 'wasm') {
    try {
      // Optional dependency: absent on most machines, and that is fine.
      await import('@tensorflow/tfjs-node' as string);
      if (await tf.setBackend('tensorflow')) name = 'tensorflow';
    } catch {
      name = undefined;
    }
  }
  if (!name) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    // Node loads the .wasm files from the file system: a folder path with a trailing separator, not a URL.
    wasm.setWasmPaths(join(dist, '/'));
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
    registerFastGradients();
    name = 'wasm';
  }
  registerMissingGradients();
  await loadNeuronKernel();
  await tf.ready();
  chosen = name;
  if (!options.quiet) process.stderr.write(`snnc: training backend: ${name}${name === 'wasm' ? ' (tfjs-backend-wasm, XNNPACK SIMD, 1 thread)' : ''}\n`);
  return name;
}

type Pad4 = [number, number, number, number];

/** Explicit [top, bottom, left, right] padding that tfjs resolves for a Conv2D/pooling call. */
function resolvePads(
  inH: number, inW: number, kh: number, kw: number, strides: [number, number], dil: [number, number],
  pad: unknown,
): Pad4 {
  const ekh = (kh - 1) * dil[0] + 1;
  const ekw = (kw - 1) * dil[1] + 1;
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    const outH = Math.ceil(inH / strides[0]);
    const outW = Math.ceil(inW / strides[1]);
    const padH = Math.max(0, (outH - 1) * strides[0] + ekh - inH);
    const padW = Math.max(0, (outW - 1) * strides[1] + ekw - inW);
    const top = Math.floor(padH / 2);
    const left = Math.floor(padW / 2);
    return [top, padH - top, left, padW - left];
  }
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (Array.isArray(pad)) {
    const p = pad as number[][];
    return [p[1][0], p[1][1], p[2][0], p[2][1]];
  }
  throw new Error(`unsupported Conv2D padding ${String(pad)}`);
}

function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a[1] ?? a[0]];
}

/**
 * Replaces the wasm backend's slow gradients. Measured on this machine class (batch 256, 3×3 conv
 * 14×14×16 → 32): the stock filter gradient goes through Conv3DBackpropFilterV2 (1,628 ms), while ONE
 * Conv2D over batch/channel-transposed tensors computes it in ~60 ms; the stock input gradient
 * (Conv2DBackpropInput, ~232 ms) is a Conv2D with the flipped, transposed filter for stride 1; the
 * AvgPool gradient (56 ms against 7 ms forward) is a broadcast for non-overlapping windows.
 */
function registerFastGradients(): void {
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x4, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as { strides: number | number[]; pad: unknown; dilations: number | number[]; dataFormat: string };
      if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error('snnc trainer: Conv2D gradient needs NHWC');
      const strides = pair(a.strides);
      const dil = pair(a.dilations ?? 1);
      const [, inH, inW, inC] = x4.shape;
      const [kh, kw, , outC] = filter.shape;
      const [top, bottom, left, right] = resolvePads(inH, inW, kh, kw, strides, dil, a.pad);
      const dy4 = dy as tf.Tensor4D;
      return {
        x: () => {
          const unit = strides[0] === 1 && strides[1] === 1 && dil[0] === 1 && dil[1] === 1;
          const full: Pad4 = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
          if (unit && full.every((p) => p >= 0)) {
            const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
            return tf.conv2d(dy4, flipped, 1, [[0, 0], [full[0], full[1]], [full[2], full[3]], [0, 0]], 'NHWC');
          }
          return tf.conv2dTranspose(dy4, filter, x4.shape, strides, [[0, 0], [top, bottom], [left, right], [0, 0]] as never);
        },
        filter: () => {
          // dW[ky,kx,ci,co] = Σ_{n,y,x} xpad[n, y·s + ky·d, x·s + kx·d, ci] · dy[n,y,x,co]: a convolution of the
          // channel-major input (channels as batch, batch as channels) with dy as a filter dilated by the stride.
          if (dil[0] !== 1 || dil[1] !== 1) throw new Error('snnc trainer: dilated Conv2D gradients are not supported');
          const xpad = (top || bottom || left || right) ? tf.pad(x4, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x4;
          const xT = tf.transpose(xpad, [3, 1, 2, 0]) as tf.Tensor4D;
          const dyT = tf.transpose(dy4, [1, 2, 0, 3]) as tf.Tensor4D;
          let out = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', strides);
          if (out.shape[1] !== kh || out.shape[2] !== kw) out = tf.slice(out, [0, 0, 0, 0], [inC, kh, kw, outC]);
          return tf.transpose(out, [1, 2, 0, 3]);
        },
      };
    },
  });
  tf.registerGradient({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x4] = saved as [tf.Tensor4D];
      const a = attrs as unknown as { filterSize: number | number[]; strides: number | number[]; pad: unknown };
      const [fh, fw] = pair(a.filterSize);
      const [sh, sw] = pair(a.strides);
      const [, h, w, c] = x4.shape;
      return {
        x: () => {
          if (fh === sh && fw === sw && a.pad === 'valid' && h % fh === 0 && w % fw === 0) {
            // Non-overlapping windows: every input pixel receives dy/(fh·fw) of its window. A plain loop
            // over the data beats both AvgPoolGrad and broadcastTo (a Tile kernel, slower still on wasm).
            const n = x4.shape[0];
            const g = (dy as tf.Tensor).dataSync() as Float32Array;
            const out = new Float32Array(n * h * w * c);
            const ho = h / fh, wo = w / fw, scale = 1 / (fh * fw);
            for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
              const src = ((b * ho + Math.floor(y / fh)) * wo + Math.floor(x / fw)) * c;
              const dst = ((b * h + y) * w + x) * c;
              for (let ch = 0; ch < c; ch++) out[dst + ch] = g[src + ch] * scale;
            }
            return tf.tensor(out, x4.shape, 'float32');
          }
          return tf.engine().runKernel('AvgPoolGrad', { dy, input: x4 } as never, attrs as never) as tf.Tensor;
        },
      };
    },
  });
}
