// A small seeded random source. Seeded so that a simulator's noise can be replayed (a stopped scope regenerates
// the same capture), and so that tests never depend on Math.random's global state.

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Normally distributed with mean 0 and standard deviation sigma. */
  gaussian(sigma: number): number;
}

/** mulberry32: tiny, fast, and good enough for measurement noise. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    gaussian(sigma) {
      // Box–Muller; 1 - u keeps the logarithm finite.
      const u = 1 - uniform();
      const v = uniform();
      return sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}
