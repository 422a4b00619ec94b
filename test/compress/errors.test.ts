import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMPRESSIONS, type Compression } from "../../src/compress/Compression.js";
import { decompress } from "../../src/compress/decompress.js";
import { DecompressError } from "../../src/compress/DecompressError.js";
import { compressWith, kernelLikeData, skipReason } from "./_compressors.js";

const SEED = 0xbadc0de;
const data = kernelLikeData(300 * 1024, 5);

/** Formats whose streams carry a checksum of the output (with the CLI defaults used here). */
const CHECKSUMMED = new Set<Compression>(["gzip", "xz", "bzip2", "lzo", "zstd"]);

interface Outcome {
  output: Buffer;
  error: unknown;
}

async function decode(format: Compression, input: Uint8Array, maxOutput: number): Promise<Outcome> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of decompress(format, input, { maxOutput })) parts.push(chunk);
    return { output: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { output: Buffer.concat(parts), error };
  }
}

function isPrefixOfData(b: Buffer): boolean {
  return b.length <= data.length && Buffer.compare(b, data.subarray(0, b.length)) === 0;
}

describe.each(COMPRESSIONS)("%s on damaged input", (format) => {
  const skip = skipReason(format);
  let packed: Buffer | undefined;
  const pack = (): Buffer => (packed ??= compressWith(format, data));

  it.skipIf(skip !== undefined)("reports input cut short as truncated, after a correct prefix (property)", async () => {
    const full = pack();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: full.length - 1 }), async (cut) => {
        const { output, error } = await decode(format, full.subarray(0, cut), data.length);
        expect(isPrefixOfData(output)).toBe(true);
        if (format === "lz4" && error === undefined) {
          // LZ4 legacy has no end marker: a cut at a block boundary (or leaving
          // just a size word) reads as a shorter complete stream.
          expect(output.length).toBeLessThan(data.length);
          return;
        }
        expect(error).toBeInstanceOf(DecompressError);
        expect(error).toMatchObject({ code: "truncated", format, outputBytes: output.length });
      }),
      { seed: SEED, numRuns: 40, examples: [[0], [1], [full.length - 1], [full.length >> 1]] },
    );
  });

  it.skipIf(skip !== undefined)("fails with a DecompressError, or still decodes correctly, when bytes are changed (property)", async () => {
    const full = pack();
    const damage = fc.array(fc.tuple(fc.integer({ min: 0, max: full.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(damage, async (edits) => {
        const bad = Buffer.from(full);
        for (const [at, x] of edits) bad[at]! ^= x;
        const { output, error } = await decode(format, bad, 4 * data.length);
        if (error !== undefined) {
          expect(error).toBeInstanceOf(DecompressError);
          expect((error as DecompressError).format).toBe(format);
          expect(["corrupt", "truncated", "unsupported", "too-large"]).toContain((error as DecompressError).code);
        } else if (CHECKSUMMED.has(format)) {
          // Damage a checksum misses can only be damage that changes nothing.
          expect(Buffer.compare(output, data)).toBe(0);
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it.skipIf(skip !== undefined)("says corrupt for input that is not this format at all", async () => {
    const { error } = await decode(format, Buffer.from("this is not compressed data at all, just text"), 1 << 20);
    expect(error).toMatchObject({ code: "corrupt", format });
  });
});

describe("hostile bytes behind a valid magic", () => {
  const MAGIC: Record<Compression, number[]> = {
    gzip: [0x1f, 0x8b, 8, 0],
    bzip2: [0x42, 0x5a, 0x68, 0x39],
    lzma: [0x5d, 0, 0, 0x80, 0],
    xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    lzo: [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a],
    lz4: [0x02, 0x21, 0x4c, 0x18],
    zstd: [0x28, 0xb5, 0x2f, 0xfd],
  };
  it.each(COMPRESSIONS)("%s: random data after the magic never escapes as anything but a DecompressError", async (format) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (body) => {
        const { error } = await decode(format, Buffer.concat([Buffer.from(MAGIC[format]), body]), 64 << 20);
        if (error !== undefined) expect(error).toBeInstanceOf(DecompressError);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe("damage that a checksum must catch", () => {
  it.for(["gzip", "xz", "bzip2", "lzo", "zstd"] as const)("%s: a flipped bit in the middle of the data", async (format, ctx) => {
    if (skipReason(format) !== undefined) return ctx.skip(skipReason(format));
    const full = compressWith(format, data);
    const mid = full.length >> 1;
    let failures = 0;
    for (let bit = 0; bit < 8; bit++) {
      const bad = Buffer.from(full);
      bad[mid]! ^= 1 << bit;
      const { error } = await decode(format, bad, 4 * data.length);
      expect(error).toBeInstanceOf(DecompressError);
      if ((error as DecompressError).code === "corrupt") failures++;
    }
    // Deflate or LZMA can run off the end on damaged data ("truncated"), but most
    // flips must be recognised as corruption.
    expect(failures).toBeGreaterThan(4);
  });
});
