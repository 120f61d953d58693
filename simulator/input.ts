import type { InputSpec } from '../compiler/types.js';
import { combineSeeds, createRng, type Rng } from '../src/data/rng.js';

/**
 * Turns one sample into integer input events, one vector per step. `direct`: round(x · inputScale) at every
 * step (graded events, as the paper's direct encoding); `rate`: a Bernoulli spike of probability x, value 1,
 * drawn from a generator seeded by (seed, sample index) so the simulator and the reference see the same
 * spikes. A sample with a time axis (`frames` > 1) presents frame t at step t, encoded the same way, and no
 * events after its last frame. The simulator and the reference both call this: the input is data, not part of
 * what is verified.
 */
export class InputEncoder {
  private readonly values: Int32Array;
  private rng: Rng | undefined;
  private image: ArrayLike<number> = new Float32Array(0);
  private frames = 1;
  private t = 0;

  constructor(private readonly spec: InputSpec, readonly size: number) {
    this.values = new Int32Array(size);
  }

  /** Whether every step of the current sample presents the same events (a static sample, direct encoding). */
  get constant(): boolean {
    return this.frames === 1 && this.spec.encoding === 'direct';
  }

  /** Whether the events are spikes (value 1: each synaptic operation an accumulate, NeuroBench's AC) rather than
   * graded values (a multiply-accumulate, a MAC): rate-encoded input. */
  get spikes(): boolean {
    return this.spec.encoding === 'rate';
  }

  /** Starts a new sample; `image` holds `frames` × `size` values in [0, 1]. */
  begin(image: ArrayLike<number>, sampleIndex: number, frames = 1): void {
    this.image = image;
    this.frames = frames;
    this.t = 0;
    if (this.spec.encoding === 'direct') {
      if (frames === 1) this.encodeDirect(0);
    } else {
      this.rng = createRng(combineSeeds(this.spec.seed ?? 0, sampleIndex));
    }
  }

  private encodeDirect(offset: number): void {
    const scale = this.spec.inputScale;
    for (let i = 0; i < this.size; i++) this.values[i] = Math.round(this.image[offset + i] * scale);
  }

  /** The events of the next step (a view reused between calls). */
  step(): Int32Array {
    const t = this.t++;
    if (this.frames > 1 && t >= this.frames) {
      this.values.fill(0);
      return this.values;
    }
    const offset = this.frames > 1 ? t * this.size : 0;
    if (this.spec.encoding === 'rate') {
      const rng = this.rng!;
      for (let i = 0; i < this.size; i++) this.values[i] = rng.next() < this.image[offset + i] ? 1 : 0;
    } else if (this.frames > 1) {
      this.encodeDirect(offset);
    }
    return this.values;
  }
}
