/**
 * The bytes of a generated module: a xorshift32 stream seeded from (seed, size), so
 * a case records only two numbers and any adapter can rebuild the exact module.
 */
export function moduleBytes(seed: number, size: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = (seed ^ Math.imul(size, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, size);
}
