/**
 * MNIST digits as event-camera data in N-MNIST's form, from the embedded digits (N-MNIST itself cannot be
 * downloaded here). N-MNIST (Orchard et al. 2015) was recorded by an ATIS sensor looking at MNIST digits on a
 * monitor while it made three saccades along a triangle; it has 34 × 34 pixels and ON/OFF polarity channels.
 * This is a simple, deterministic model of that recording, not the recording: the digit, placed in a 34 × 34
 * frame at (1, 1), moves along the triangle (0, 0) → (2, 4) → (4, 0) → (0, 0) pixels (x, y) over the T steps,
 * drawn with bilinear interpolation; a pixel emits an ON event at step t where its intensity rose by more than
 * `SACCADE_CONTRAST` since step t − 1, an OFF event where it fell by more. Samples are `[T, 2, 34, 34]` frames of
 * 0/1 (channel 0 ON, 1 OFF): the input shape of the NIR paper's Sinabs N-MNIST CNN.
 */
import type { Dataset } from './dataset.js';

/** Side of an N-MNIST frame. */
export const SACCADE_SIDE = 34;
/** The intensity change (of [0, 1]) a pixel must see between two steps to emit an event. */
export const SACCADE_CONTRAST = 0.15;
/** Steps per sample when the data set spec does not say. */
export const SACCADE_DEFAULT_STEPS = 30;

/** The triangle of N-MNIST's three saccades, in pixels (x, y). */
const PATH: [number, number][] = [[0, 0], [2, 4], [4, 0], [0, 0]];

/** Where the digit is at time u ∈ [0, 1] of the sample. */
function offsetAt(u: number): [number, number] {
  const k = Math.min(u * 3, 3 - 1e-9);
  const seg = Math.floor(k);
  const f = k - seg;
  const [a, b] = [PATH[seg], PATH[seg + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
}

/** One 28 × 28 digit drawn into a 34 × 34 frame at sub-pixel offset (dx, dy). */
function draw(digit: Float32Array, dx: number, dy: number, out: Float32Array): void {
  out.fill(0);
  const S = SACCADE_SIDE;
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 28; c++) {
      const v = digit[r * 28 + c];
      if (v === 0) continue;
      const y = r + 1 + dy, x = c + 1 + dx;
      const y0 = Math.floor(y), x0 = Math.floor(x), fy = y - y0, fx = x - x0;
      const put = (yy: number, xx: number, w: number) => { if (yy >= 0 && yy < S && xx >= 0 && xx < S) out[yy * S + xx] += v * w; };
      put(y0, x0, (1 - fy) * (1 - fx));
      put(y0 + 1, x0, fy * (1 - fx));
      put(y0, x0 + 1, (1 - fy) * fx);
      put(y0 + 1, x0 + 1, fy * fx);
    }
  }
}

/** MNIST-shaped samples (`[1, 28, 28]`) as saccade events over `steps` steps (see the module comment). */
export function saccadeEvents(mnist: Dataset, steps: number): Dataset {
  if (mnist.shape[0] !== 1 || mnist.shape[1] !== 28 || mnist.shape[2] !== 28 || mnist.steps !== undefined) {
    throw new Error(`internal: saccade events need static 28 × 28 digits, got [${mnist.shape}]`);
  }
  const S = SACCADE_SIDE, plane = S * S, frame = 2 * plane;
  const images = new Float32Array(mnist.count * steps * frame);
  let prev = new Float32Array(plane), cur = new Float32Array(plane);
  for (let s = 0; s < mnist.count; s++) {
    const digit = mnist.images.subarray(s * 784, (s + 1) * 784);
    draw(digit, ...offsetAt(0), prev);
    for (let t = 0; t < steps; t++) {
      draw(digit, ...offsetAt((t + 1) / steps), cur);
      const base = (s * steps + t) * frame;
      for (let i = 0; i < plane; i++) {
        const d = cur[i] - prev[i];
        if (d > SACCADE_CONTRAST) images[base + i] = 1;
        else if (d < -SACCADE_CONTRAST) images[base + plane + i] = 1;
      }
      [prev, cur] = [cur, prev];
    }
  }
  return {
    name: `${mnist.name.replace(/^mnist/, 'mnist-saccades')}`, shape: [2, S, S], steps, classes: mnist.classes,
    count: mnist.count, images, labels: mnist.labels.slice(),
  };
}
