import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { COMPRESSIONS, type Compression } from "../../src/compress/Compression.js";
import { DecompressError } from "../../src/compress/DecompressError.js";
import { compressWith, decodeAll, kernelLikeData, prng, shell, skipReason, TOOLS } from "./_compressors.js";

const SEED = 0x5eedc0de;
const scratch = mkdtempSync(join(tmpdir(), "pvh-compress-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectBytes(actual: unknown, expected: Uint8Array): void {
  if (!(actual instanceof Uint8Array)) throw actual;
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

/** Linux appends the uncompressed size, u32 little-endian, to a bzImage payload. */
function sizeTrailer(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

const dataArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 * 1024 }),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 4096 }))
    .map(([unit, times]) => Buffer.concat(Array.from({ length: times }, () => unit))),
  fc.integer({ min: 0, max: 300_000 }).map((n) => new Uint8Array(n)),
);

/**
 * Bytes after the stream. LZ4 legacy has no end marker, so for it only what
 * Linux really appends (the size word) or zero padding is tolerated; any other
 * format takes arbitrary garbage.
 */
function trailerArb(format: Compression, dataLength: number): fc.Arbitrary<Uint8Array> {
  if (format === "lz4") return fc.oneof(fc.constant(sizeTrailer(dataLength)), fc.integer({ min: 1, max: 16 }).map((n) => new Uint8Array(n)));
  return fc.uint8Array({ minLength: 1, maxLength: 64 });
}

const big = kernelLikeData(10 * 1024 * 1024, 3);

describe.each(COMPRESSIONS)("%s round trip against the CLI tool", (format) => {
  const skip = skipReason(format);
  let packedBig: Buffer | undefined;
  const packBig = (): Buffer => (packedBig ??= compressWith(format, big));

  it.skipIf(skip !== undefined)("decodes 10 MiB of kernel-like data followed by the bzImage size trailer", async () => {
    const packed = packBig();
    expectBytes(await decodeAll(format, Buffer.concat([packed, sizeTrailer(big.length)])), big);
  });

  it.skipIf(skip !== undefined)("decodes random data, with trailing bytes ignored (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        dataArb.chain((data) => fc.tuple(fc.constant(data), trailerArb(format, data.length))),
        async ([data, trailer]) => {
          const packed = compressWith(format, data);
          expectBytes(await decodeAll(format, packed), data);
          expectBytes(await decodeAll(format, Buffer.concat([packed, trailer])), data);
        },
      ),
      { seed: SEED, numRuns: 15 },
    );
  });

  it.skipIf(skip !== undefined)("decodes an empty stream to nothing", async () => {
    expectBytes(await decodeAll(format, compressWith(format, new Uint8Array(0))), new Uint8Array(0));
  });

  it.skipIf(skip !== undefined)("gives up exactly at maxOutput", async () => {
    const data = big.subarray(0, 300_000);
    const packed = compressWith(format, data);
    expectBytes(await decodeAll(format, packed, data.length), data);
    const err = await decodeAll(format, packed, data.length - 1);
    expect(err).toBeInstanceOf(DecompressError);
    expect(err).toMatchObject({ code: "too-large", format });
    expect((err as DecompressError).outputBytes).toBeLessThan(data.length);
  });

  it.skipIf(skip !== undefined)("yields the output in several chunks, in order", async () => {
    const { decompress } = await import("../../src/compress/decompress.js");
    const packed = packBig();
    let chunks = 0;
    let at = 0;
    for await (const chunk of decompress(format, packed, { maxOutput: big.length })) {
      expect(Buffer.compare(chunk, big.subarray(at, at + chunk.length))).toBe(0);
      at += chunk.length;
      chunks++;
    }
    expect(at).toBe(big.length);
    expect(chunks).toBeGreaterThan(1);
  });
});

describe("format details", () => {
  it.skipIf(skipReason("xz") !== undefined)("xz: several blocks, every check type, and a second stream after the first is ignored", async () => {
    const data = big.subarray(0, 3 << 20);
    for (const check of ["none", "crc32", "crc64", "sha256"]) {
      const packed = compressWith("xz", data, ["-c", "-1", `--check=${check}`, "--block-size=1MiB"]);
      expectBytes(await decodeAll("xz", packed), data);
    }
    const first = compressWith("xz", data.subarray(0, 1000));
    const second = compressWith("xz", data.subarray(1000, 5000));
    expectBytes(await decodeAll("xz", Buffer.concat([first, second])), data.subarray(0, 1000));
    // Stream padding (zeros) after the stream, as .xz files may have.
    expectBytes(await decodeAll("xz", Buffer.concat([first, new Uint8Array(8)])), data.subarray(0, 1000));
  });

  it.skipIf(skipReason("xz") !== undefined)("xz: a chance \"YZ\" inside the data does not end the stream early", async () => {
    // Stored (uncompressible) LZMA2 chunks carry the data verbatim, so the
    // compressed stream contains many "YZ" pairs followed by junk.
    const data = Buffer.alloc(200_000);
    const rand = kernelLikeData(200_000, 11);
    for (let i = 0; i < data.length; i += 16) {
      rand.copy(data, i, i, i + 14);
      data.write("YZ", i + 14, "latin1");
    }
    const packed = compressWith("xz", data, ["-c", "-0"]);
    expect(packed.indexOf("YZ", 0, "latin1")).toBeLessThan(packed.length - 12);
    expectBytes(await decodeAll("xz", Buffer.concat([packed, sizeTrailer(data.length)])), data);
  });

  it.skipIf(skipReason("gzip") !== undefined)("gzip: a header with FNAME from a named file, and FHCRC/FEXTRA/FCOMMENT", async () => {
    const file = join(scratch, "named.bin");
    const data = big.subarray(0, 100_000);
    writeFileSync(file, data);
    const named = await shell(`gzip -c '${file}'`);
    expect(named[3]! & 0x08).toBe(0x08);
    expectBytes(await decodeAll("gzip", named), data);

    // Hand-built member (RFC 1952) with every optional header field.
    const head = Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]);
    const extra = Buffer.from([4, 0, 0x41, 0x42, 1, 0]);
    const fields = Buffer.concat([head, extra, Buffer.from("name\0comment\0", "latin1")]);
    const hcrc = Buffer.alloc(2);
    hcrc.writeUInt16LE(crc32(fields) & 0xffff);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(data) >>> 0, 0);
    trailer.writeUInt32LE(data.length, 4);
    const member = Buffer.concat([fields, hcrc, deflateRawSync(data), trailer]);
    expectBytes(await decodeAll("gzip", Buffer.concat([member, Buffer.from([0x1f, 0x8b, 0xde, 0xad])])), data);
    hcrc[0]! ^= 1;
    const broken = Buffer.concat([fields, hcrc, deflateRawSync(data), trailer]);
    expect(await decodeAll("gzip", broken)).toMatchObject({ code: "corrupt" });
  });

  it.skipIf(skipReason("lz4") !== undefined)("lz4: blocks of 8 MiB, concatenated legacy frames, and the stream-end rules", async () => {
    const a = big.subarray(0, 9 << 20);
    const b = big.subarray(9 << 20);
    const pa = compressWith("lz4", a);
    const pb = compressWith("lz4", b);
    expectBytes(await decodeAll("lz4", Buffer.concat([pa, pb])), big);
    // A zero size word ends the stream, as in Linux's unlz4.
    expectBytes(await decodeAll("lz4", Buffer.concat([pa, new Uint8Array(4), pb])), a);
    // A size above LZ4_compressBound(8 MiB) is "not a block": the stream ends.
    expectBytes(await decodeAll("lz4", Buffer.concat([pa, Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3])])), a);
    // A plausible block size with nothing after it is the size trailer of a small kernel.
    const small = big.subarray(0, 100_000);
    expectBytes(await decodeAll("lz4", Buffer.concat([compressWith("lz4", small), sizeTrailer(small.length)])), small);
  });

  it("lz4: a block that decodes to more than the legacy 8 MiB is corrupt", async () => {
    const { compressSync } = await import("lz4-napi");
    // lz4-napi writes an LZ4 block behind a u32 size; the legacy frame wants the bare block.
    const block = compressSync(Buffer.alloc((8 << 20) + 1)).subarray(4);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length);
    const stream = Buffer.concat([Buffer.from([0x02, 0x21, 0x4c, 0x18]), size, block]);
    expect(await decodeAll("lz4", stream)).toMatchObject({ code: "corrupt", format: "lz4" });
  });

  it.for(COMPRESSIONS.filter((f) => f !== "lz4"))("%s: a long tail of garbage after the stream is ignored", async (format, ctx) => {
    if (skipReason(format) !== undefined) return ctx.skip(skipReason(format));
    const data = big.subarray(0, 100_000);
    const rand = prng(5);
    const tail = Buffer.from(Array.from({ length: 200_000 }, () => rand() & 0xff));
    expectBytes(await decodeAll(format, Buffer.concat([compressWith(format, data), tail])), data);
  });

  it.skipIf(skipReason("lzo") !== undefined)("lzo: every lzop method, stored blocks, CRC-32 checksums", async () => {
    const data = big.subarray(0, 2 << 20);
    for (const level of ["-1", "-3", "-7", "-9"]) {
      expectBytes(await decodeAll("lzo", compressWith("lzo", data, ["-c", level])), data);
    }
    const file = join(scratch, "crc.bin");
    writeFileSync(file, data);
    // --crc32 switches the block and header checksums from Adler-32 to CRC-32.
    expectBytes(await decodeAll("lzo", await shell(`lzop -c --crc32 '${file}'`)), data);
    const rand = prng(99);
    const noise = Buffer.from(Array.from({ length: 1 << 20 }, () => rand() & 0xff));
    expectBytes(await decodeAll("lzo", compressWith("lzo", noise)), noise);
  });

  it.skipIf(skipReason("zstd") !== undefined)("zstd: a 128 MiB window, no checksum, and a following frame ignored", async () => {
    const data = big.subarray(0, 4 << 20);
    expectBytes(await decodeAll("zstd", compressWith("zstd", data, ["-c", "-q", "-3", "--long=27"])), data);
    expectBytes(await decodeAll("zstd", compressWith("zstd", data, ["-c", "-q", "--no-check"])), data);
    const two = Buffer.concat([compressWith("zstd", data.subarray(0, 10)), compressWith("zstd", data.subarray(10, 20))]);
    expectBytes(await decodeAll("zstd", two), data.subarray(0, 10));
  });

  it.skipIf(skipReason("zstd") !== undefined)("zstd: a window above libzstd's default limit is unsupported, not an allocation", async () => {
    const packed = compressWith("zstd", big.subarray(0, 1 << 20), ["-c", "-q", "-1", "--long=31"]);
    expect(await decodeAll("zstd", packed)).toMatchObject({ code: "unsupported", format: "zstd" });
  });

  it.skipIf(skipReason("lzma") !== undefined)("lzma: a dictionary above the decoder's memory limit is unsupported", async () => {
    const packed = compressWith("lzma", big.subarray(0, 1000), ["-c", "--format=lzma", "--lzma1=preset=0,dict=1536MiB"]);
    expect(await decodeAll("lzma", packed)).toMatchObject({ code: "unsupported", format: "lzma" });
  });

  it("rejects bad arguments synchronously", async () => {
    const { decompress } = await import("../../src/compress/decompress.js");
    expect(() => decompress("xz", new Uint8Array(1), { maxOutput: -1 })).toThrow(TypeError);
    expect(() => decompress("xz", new Uint8Array(1), { maxOutput: 1.5 })).toThrow(TypeError);
    expect(() => decompress("rar" as Compression, new Uint8Array(1), { maxOutput: 1 })).toThrow(TypeError);
  });

  it("knows a tool for every format", () => {
    expect(Object.keys(TOOLS).sort()).toEqual([...COMPRESSIONS].sort());
  });
});
