import { uncompressSync } from "lz4-napi";
import { EngineFailure } from "./EngineFailure.js";
import { expectMagic } from "./expectMagic.js";

// LZ4 Frame Format Description, "Legacy frame": magic 0x184C2102, then blocks of
// a little-endian u32 compressed size and a raw LZ4 block that decodes to at most
// 8 MiB; a size equal to the magic starts a new legacy frame.
const LEGACY_MAGIC = 0x184c2102;
const LEGACY_BLOCK = 8 << 20;
// LZ4_COMPRESSBOUND(8 MiB) from lz4.h: isize + isize / 255 + 16.
const MAX_BLOCK_SIZE = LEGACY_BLOCK + Math.floor(LEGACY_BLOCK / 255) + 16;

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * lz4-napi decodes raw blocks only in lz4_flex's "size prepended" layout: a u32 LE
 * upper bound on the output, then the block. Giving it the legacy maximum makes it
 * refuse any block that would decode to more than 8 MiB.
 */
function decodeBlock(block: Uint8Array): Uint8Array {
  const framed = Buffer.allocUnsafe(4 + block.length);
  framed.writeUInt32LE(LEGACY_BLOCK, 0);
  framed.set(block, 4);
  try {
    return uncompressSync(framed);
  } catch (err) {
    throw new EngineFailure("corrupt", `invalid LZ4 block (${(err as Error).message})`, { cause: err });
  }
}

/**
 * Decode an LZ4 legacy stream (`lz4 -l`, what Linux uses), one block at a time.
 *
 * The legacy format has no end marker, so where it ends is a judgement. Following
 * the lz4 tool (programs/lz4io.c: a size above LZ4_COMPRESSBOUND of the block size
 * is "not a block") and Linux's lib/decompress_unlz4.c (a zero size, or fewer than
 * four bytes left, is the end), those end the stream quietly. So does a lone final
 * size word with nothing after it: that is the uncompressed size Linux appends to a
 * bzImage payload when the kernel is small enough for it to look like a block size.
 * Only a block that starts but does not fit in the input is "truncated"; input cut
 * exactly at a block boundary cannot be told from a complete stream.
 */
export function* lz4LegacyChunks(input: Uint8Array): Generator<Uint8Array, void, undefined> {
  expectMagic(input, [0x02, 0x21, 0x4c, 0x18], "an LZ4 legacy stream");
  let at = 4;
  let blocks = 0;
  for (;;) {
    const left = input.length - at;
    if (left < 4) return;
    const size = u32le(input, at);
    if (size === LEGACY_MAGIC) {
      at += 4;
      continue;
    }
    if (size === 0 || size > MAX_BLOCK_SIZE) return;
    if (size > left - 4) {
      if (left === 4 && blocks > 0) return;
      throw new EngineFailure("truncated", `input ends inside an LZ4 block (${size} bytes announced, ${left - 4} present)`);
    }
    yield decodeBlock(input.subarray(at + 4, at + 4 + size));
    blocks++;
    at += 4 + size;
  }
}
