import { EngineFailure } from "./EngineFailure.js";

/**
 * Decode one LZO1X block into `dst`, which must be exactly the size the block
 * decodes to (lzop stores it), and fail on anything else.
 *
 * Written from the bitstream description in Linux's
 * Documentation/staging/lzo.rst (the format has no formal specification); only
 * the original bitstream (version 0) that lzop writes is accepted, not LZO-RLE.
 * Every read and write is bounds-checked, as lzo1x_decompress_safe does, and the
 * block must end with the end-of-stream instruction exactly at the end of `src`
 * with `dst` exactly filled.
 */
export function lzo1xDecompress(src: Uint8Array, dst: Uint8Array): void {
  const srcEnd = src.length;
  const dstEnd = dst.length;
  let ip = 0;
  let op = 0;

  const bad = (why: string): EngineFailure => new EngineFailure("corrupt", `invalid LZO1X data: ${why}`);

  const next = (): number => {
    if (ip >= srcEnd) throw bad("input overrun");
    return src[ip++]!;
  };

  // The variable-length count: the opcode's low bits, or when they are zero, their
  // maximum plus 255 per zero byte plus the first non-zero byte.
  const count = (low: number, mask: number): number => {
    if (low !== 0) return low;
    let n = mask;
    for (let b = next(); b === 0; b = next()) n += 255;
    return n + src[ip - 1]!;
  };

  const literals = (n: number): void => {
    if (ip + n > srcEnd) throw bad("input overrun in a literal run");
    if (op + n > dstEnd) throw bad("output overrun in a literal run");
    dst.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };

  const copyMatch = (distance: number, length: number): void => {
    if (distance > op) throw bad("match reaches before the start of the output");
    if (op + length > dstEnd) throw bad("output overrun in a match");
    let from = op - distance;
    if (distance >= length) {
      dst.copyWithin(op, from, from + length);
      op += length;
    } else {
      // Overlapping copy: the source repeats what this copy has just written.
      for (let i = 0; i < length; i++) dst[op++] = dst[from++]!;
    }
  };

  // state: how many literals the previous instruction copied, 0..3, or 4 for a
  // run of four or more. It decides what opcodes 0..15 mean.
  let state = 0;
  let t = next();
  if (t >= 18) {
    // First-byte special case: a literal run with no preceding instruction.
    const n = t - 17;
    literals(n);
    state = n >= 4 ? 4 : n;
    t = next();
  }
  for (;;) {
    let s: number;
    if (t < 16) {
      if (state === 0) {
        literals(3 + count(t, 15));
        state = 4;
        t = next();
        continue;
      }
      const h = next();
      if (state === 4) copyMatch((h << 2) + ((t >> 2) & 3) + 2049, 3);
      else copyMatch((h << 2) + ((t >> 2) & 3) + 1, 2);
      s = t & 3;
    } else if (t < 32) {
      const length = 2 + count(t & 7, 7);
      const lo = next();
      const hi = next();
      const le16 = lo | (hi << 8);
      const distance = 16384 + ((t & 8) << 11) + (le16 >> 2);
      if (distance === 16384) {
        // End of stream. lzop's blocks carry nothing after it.
        if (ip !== srcEnd) throw bad("data after the end-of-stream instruction");
        if (op !== dstEnd) throw bad(`block decodes to ${op} bytes, ${dstEnd} expected`);
        return;
      }
      copyMatch(distance, length);
      s = lo & 3;
    } else if (t < 64) {
      const length = 2 + count(t & 31, 31);
      const lo = next();
      const hi = next();
      copyMatch(((lo | (hi << 8)) >> 2) + 1, length);
      s = lo & 3;
    } else {
      const h = next();
      copyMatch((h << 3) + ((t >> 2) & 7) + 1, (t >> 5) + 1);
      s = t & 3;
    }
    literals(s);
    state = s;
    t = next();
  }
}
