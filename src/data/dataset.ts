/** A labelled image data set held in memory: `images` is `count × C × H × W` floats in [0, 1]. */
export interface Dataset {
  name: string;
  /** Per-sample shape `[C, H, W]`. */
  shape: [number, number, number];
  classes: number;
  count: number;
  images: Float32Array;
  labels: Uint8Array;
}

/** The first `n` samples (or all) as a new Dataset sharing no memory with the original. */
export function take(ds: Dataset, n: number, offset = 0): Dataset {
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const count = Math.max(0, Math.min(n, ds.count - offset));
  return {
    ...ds,
    count,
    images: ds.images.slice(offset * size, (offset + count) * size),
    labels: ds.labels.slice(offset, offset + count),
  };
}

export function sampleSize(ds: Dataset): number {
  return ds.shape[0] * ds.shape[1] * ds.shape[2];
}
