/**
 * A labelled data set held in memory: `images` is `count × C × H × W` floats (images in [0, 1]), or with a time
 * axis `count × steps × C × H × W` (inputs over time: frame t is the input of step t).
 */
export interface Dataset {
  name: string;
  /** Per-sample (per-step) shape `[C, H, W]`; a flat sample of N values is `[N, 1, 1]`. */
  shape: [number, number, number];
  /** The per-sample shape as stored, when it is not `[C, H, W]` (NumPy data): fitToInput reads time from it. */
  dims?: number[];
  /** Steps of input per sample (inputs over time); absent: one static input per sample. */
  steps?: number;
  classes: number;
  count: number;
  images: Float32Array;
  labels: Uint8Array;
}

/** The first `n` samples (or all) as a new Dataset sharing no memory with the original. */
export function take(ds: Dataset, n: number, offset = 0): Dataset {
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2] * (ds.steps ?? 1);
  const count = Math.max(0, Math.min(n, ds.count - offset));
  return {
    ...ds,
    count,
    images: ds.images.slice(offset * size, (offset + count) * size),
    labels: ds.labels.slice(offset, offset + count),
  };
}

/** Values of one input (one step of it, for inputs over time). */
export function sampleSize(ds: Dataset): number {
  return ds.shape[0] * ds.shape[1] * ds.shape[2];
}

/** Values one sample holds: its input, times its steps for inputs over time. */
export function sampleValues(ds: Dataset): number {
  return sampleSize(ds) * (ds.steps ?? 1);
}
