import { describe, expect, it } from "vitest";
import { COMPRESSIONS } from "../../src/compress/Compression.js";
import { detectCompression } from "../../src/compress/detectCompression.js";
import { compressWith, kernelLikeData, skipReason } from "./_compressors.js";

describe("detectCompression", () => {
  it.each([
    ["gzip", [0x1f, 0x8b, 0x08]],
    ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
    ["lzma", [0x5d, 0x00, 0x00, 0x80, 0x00]],
    ["bzip2", [0x42, 0x5a, 0x68, 0x39]],
    ["lzo", [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]],
    ["lz4", [0x02, 0x21, 0x4c, 0x18]],
    ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
  ] as const)("recognises %s by its magic bytes", (format, bytes) => {
    expect(detectCompression(Uint8Array.from(bytes))).toBe(format);
  });

  it("returns null for unknown or too short input", () => {
    expect(detectCompression(new Uint8Array(0))).toBeNull();
    expect(detectCompression(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]))).toBeNull(); // ELF
    expect(detectCompression(Uint8Array.from([0xfd, 0x37, 0x7a]))).toBeNull(); // cut xz magic
    expect(detectCompression(Uint8Array.from([0x5d, 0x00]))).toBeNull();
    expect(detectCompression(Uint8Array.from([0x28, 0xb5, 0x2f]))).toBeNull();
  });

  const data = kernelLikeData(64 * 1024, 7);
  for (const format of COMPRESSIONS) {
    const skip = skipReason(format);
    it.skipIf(skip !== undefined)(`recognises what the ${format} tool writes`, () => {
      expect(detectCompression(compressWith(format, data))).toBe(format);
    });
  }
});
