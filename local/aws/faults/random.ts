/**
 * A number in [0, 1) determined by the seed and the parts alone. Each decision hashes what it is
 * about (rule, region, action, the call's ordinal), so a plan gives the same faults for the same
 * calls whatever order concurrent requests of different actions arrive in.
 */
export function uniform(seed: number | string, ...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of [String(seed), ...parts.map(String)].join("\u0000")) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193);
  }
  // murmur3's finalizer spreads the FNV-1a hash over all 32 bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
