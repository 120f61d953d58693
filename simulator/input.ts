import type { InputSpec } from '../compiler/types.js';
import { combineSeeds, createRng, type Rng } from '../src/data/rng.js';

/**
 * Turns one sample into integer input events, one vector per step. `direct`: round(x · inputScale) at every
 * step (graded events, as the paper's direct encoding); `rate`: a Bernoulli spike of probability x, value 1,
 * drawn from a generator seeded by (seed, sample index) so the simulator and the reference see the same
 * spikes. The simulator and the reference both call this: the input is data, not part of what is verified.
 */
export class InputEncoder {
  private readonly values: Int32Array;
  private rng: Rng | undefined;
  private image: ArrayLike<number> = new Float32Array(0);

  constructor(private readonly spec: InputSpec, readonly size: number) {
    this.values = new Int32Array(size);
  }

  /** Starts a new sample; `image` holds `size` values in [0, 1]. */
  begin(image: ArrayLike<number>, sampleIndex: number): void {
    this.image = image;
    if (this.spec.encoding === 'direct') {
      const scale = this.spec.inputScale;
      for (let i = 0; i < this.size; i++) this.values[i] = Math.round(image[i] * scale);
    } else {
      this.rng = createRng(combineSeeds(this.spec.seed ?? 0, sampleIndex));
    }
  }

  /** The events of the next step (a view reused between calls). */
  step(): Int32Array {
    if (this.spec.encoding === 'rate') {
      const rng = this.rng!;
      for (let i = 0; i < this.size; i++) this.values[i] = rng.next() < this.image[i] ? 1 : 0;
    }
    return this.values;
  }
}
