/**
 * A small seeded pseudo-random generator for everything in snnc that must be reproducible (noise, rate
 * encoding, shuffling, initialisation). The core is sfc32 (Chris Doty-Humphrey's "small fast counting"
 * generator; passes PractRand to 2^47 bytes and is what many JS test suites use), seeded through
 * splitmix32 so that nearby seeds give unrelated streams.
 */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal N(0, 1) (Box–Muller, one spare cached). */
  normal(): number;
  /** A new generator whose stream is independent of this one (for per-sample or per-worker streams). */
  fork(salt: number): Rng;
}

/** Mixes a 32-bit state into a well-distributed 32-bit value (splitmix32 finaliser). */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** Combines several integers (a seed, a sample index, a purpose tag…) into one 32-bit seed. */
export function combineSeeds(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    // Seeds beyond 32 bits keep their high half instead of being silently truncated.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = mix32(h ^ lo);
    h = mix32(h ^ hi);
  }
  return h;
}

/** Creates a generator from an integer seed; the same seed always gives the same stream. */
export function createRng(seed: number): Rng {
  let a = mix32(seed >>> 0);
  let b = mix32(a ^ 0x6a09e667);
  let c = mix32(b ^ 0xbb67ae85);
  let d = 1;
  let spare: number | undefined;
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm-up: sfc32's first outputs are correlated with the seed words.
  for (let i = 0; i < 12; i++) nextU32();
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (n: number) => Math.floor((nextU32() / 4294967296) * n),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: (salt: number) => createRng(combineSeeds(nextU32(), salt)),
  };
  return rng;
}
