import { describe, it, expect } from 'vitest';
import { shiftImages, validateConfig, DEFAULT_CONFIG } from '../../src/train/trainer.js';

describe('shift augmentation', () => {
  it('translates each image by the drawn offset, zero-filling, the same for every channel', () => {
    // Two 2-channel 3×3 images; draws: image 0 → dy = +1, dx = −1; image 1 → dy = 0, dx = 0 (unchanged).
    const img = Float32Array.from({ length: 2 * 2 * 9 }, (_, i) => i + 1);
    const draws = [1 / 3 + 0.5 / 3 + 1 / 3, 0.1, 0.5, 0.5]; // max 1: floor(r · 3) − 1 → +1, −1, 0, 0
    let k = 0;
    const out = img.slice();
    shiftImages(out, 2, [2, 3, 3], 1, () => draws[k++]);
    // Image 0, channel 0 is 1..9 as rows [1 2 3][4 5 6][7 8 9]; moved down one row and left one column.
    expect(Array.from(out.subarray(0, 9))).toEqual([0, 0, 0, 2, 3, 0, 5, 6, 0]);
    expect(Array.from(out.subarray(9, 18))).toEqual([0, 0, 0, 11, 12, 0, 14, 15, 0]);
    expect(Array.from(out.subarray(18))).toEqual(Array.from(img.subarray(18)));
  });

  it('refuses a shift outside 0..8', () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, augmentShift: 9 })).toThrow(/--augment-shift/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, augmentShift: 1.5 })).toThrow(/--augment-shift/);
  });
});
