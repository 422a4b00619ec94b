import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EngineFailure } from "../../src/compress/_internals/EngineFailure.js";
import { lzo1xDecompress } from "../../src/compress/_internals/lzo1xDecompress.js";

// Hand-assembled LZO1X blocks (Linux Documentation/staging/lzo.rst encodings).
const EOS = [0x11, 0x00, 0x00];

function run(src: number[], size: number): Uint8Array {
  const dst = new Uint8Array(size);
  lzo1xDecompress(Uint8Array.from(src), dst);
  return dst;
}

describe("lzo1xDecompress", () => {
  it("decodes the empty block", () => {
    expect(run(EOS, 0)).toEqual(new Uint8Array(0));
  });

  it("decodes a first-byte literal run and an overlapping match", () => {
    // First byte 21: copy 21 - 17 = 4 literals. Then 0x6c = 0b011_011_00: a 3-4
    // byte match, length 3 + 1, D = 3, S = 0; H = 0 gives distance (0 << 3) + 3 + 1.
    expect(Buffer.from(run([21, 0x61, 0x62, 0x63, 0x64, 0x6c, 0x00, ...EOS], 8)).toString()).toBe("abcdabcd");
    // First byte 18: one literal. 0x60 = 0b011_000_00: length 4, distance 1,
    // which repeats the last byte (an overlapping copy).
    expect(Buffer.from(run([18, 0x7a, 0x60, 0x00, ...EOS], 5)).toString()).toBe("zzzzz");
  });

  it("decodes a long literal run with zero-byte length extension", () => {
    // Opcode 0 at state 0 is a literal run; its length is 3 + 15, plus 255 per
    // following zero byte, plus the first non-zero byte (2).
    const n = 3 + 15 + 255 + 2;
    const lits = Array.from({ length: n }, (_, i) => i & 0xff);
    expect(Array.from(run([0x00, 0x00, 0x02, ...lits, ...EOS], n))).toEqual(lits);
  });

  it("fails on a match before the start, overruns and trailing data", () => {
    const bad = (src: number[], size: number) => expect(() => run(src, size)).toThrow(EngineFailure);
    bad([18, 0x7a, 0x7c, 0x00, ...EOS], 5); // distance 8 with 1 byte of output so far
    bad([21, 0x61, 0x62, 0x63, 0x64, ...EOS], 3); // literals overrun the output
    bad([21, 0x61, 0x62, 0x63, 0x64, ...EOS], 5); // output not filled
    bad([21, 0x61, 0x62, 0x63, 0x64, ...EOS, 0], 4); // bytes after the end
    bad([21, 0x61, 0x62], 4); // input ends
  });

  it("never throws anything but EngineFailure on random input (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: 0, max: 1 << 16 }), (src, size) => {
        try {
          lzo1xDecompress(src, new Uint8Array(size));
        } catch (err) {
          expect(err).toBeInstanceOf(EngineFailure);
        }
      }),
      { seed: 0x1205, numRuns: 2000 },
    );
  });
});
