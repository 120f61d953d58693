/**
 * The seeded pseudo-random generators of snnc, in one module: everything that must be reproducible draws
 * from here. `createRng` (noise, rate-encoded input on the chip) has sfc32 at its core (Chris
 * Doty-Humphrey's "small fast counting" generator; passes PractRand to 2^47 bytes and is what many JS test
 * suites use), seeded through splitmix32 so that nearby seeds give unrelated streams; training draws from
 * `mulberry32` (below, with the reason).
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

/**
 * The training streams (initialisation, shuffling, augmentation, adapters): mulberry32, a 32-bit state
 * generator. It predates createRng in the trainer and stays what training draws from, so that every run
 * recorded before (the shipped teacher's command in src/assets/README.md, the runs of docs/results.md)
 * reproduces bit for bit; its whole state is the seed it is created from, which is how a resumed run
 * restores it (every stream is re-created from (seed, epoch, step)).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded permutation of 0..n−1 (Fisher–Yates) drawn from `rand`. */
export function permutation(n: number, rand: () => number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}
