/** A small deterministic PRNG in [0, 1), so a failing run's random choices (kill points) can be repeated from the seed in its log. */
export function seededRandom(seed: number): () => number {
  return () => (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}
