/**
 * A small seeded generator (mulberry32 on a 32-bit state mixed from the seed's two halves) for the parts of
 * the TypeScript layer that need reproducible draws: bootstrap intervals and synthetic data sets. Uniform
 * in [0, 1); the same seed gives the same sequence on every platform. Not for the network's weights, which
 * the native core draws (native/core/random.hpp).
 */
export function seededRandom(seed: number): () => number {
  let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b9);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from two uniforms (Box-Muller). */
export function normalDraw(random: () => number): number {
  const u = 1 - random();  // in (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
