import { crc32 } from "node:zlib";
import { EngineFailure } from "./EngineFailure.js";
import { expectMagic } from "./expectMagic.js";
import { lzo1xDecompress } from "./lzo1xDecompress.js";

// The lzop file format, as lzop 1.04 writes and reads it (src/lzop.c, src/conf.h;
// Linux's lib/decompress_unlzo.c parses the same header). All integers big-endian.
const MAGIC = [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
const F_ADLER32_D = 0x1;
const F_ADLER32_C = 0x2;
const F_H_EXTRA_FIELD = 0x40;
const F_CRC32_D = 0x100;
const F_CRC32_C = 0x200;
const F_H_FILTER = 0x800;
const F_H_CRC32 = 0x1000;
// Methods M_LZO1X_1, M_LZO1X_1_15 and M_LZO1X_999 all write LZO1X data.
const LZO1X_METHODS = new Set([1, 2, 3]);
// lzop's MAX_BLOCK_SIZE; also what bounds the memory one block can claim.
const MAX_BLOCK_SIZE = 64 * 1024 * 1024;

function adler32(b: Uint8Array, from = 1): number {
  // RFC 1950, section 8.2. Reducing every 5552 bytes (zlib's NMAX) keeps both sums
  // below 2^32, so they stay small integers V8 adds fast.
  let a = from & 0xffff;
  let s = from >>> 16;
  for (let i = 0; i < b.length; ) {
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) {
      a += b[i]!;
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Sequential big-endian reads that fail as "truncated" past the end. */
class Reader {
  at = 0;
  constructor(readonly b: Uint8Array) {}

  take(n: number, what: string): Uint8Array {
    if (this.at + n > this.b.length) throw new EngineFailure("truncated", `input ends inside the lzop ${what}`);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(what: string): number {
    return this.take(1, what)[0]!;
  }

  u16(what: string): number {
    const b = this.take(2, what);
    return (b[0]! << 8) | b[1]!;
  }

  u32(what: string): number {
    const b = this.take(4, what);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
}

/** Parse the lzop file header; returns its flags, leaving `r` at the first block. */
function readHeader(r: Reader): number {
  expectMagic(r.b, MAGIC, "an lzop file");
  r.take(MAGIC.length, "magic");
  const start = r.at;
  const version = r.u16("header");
  if (version < 0x0900) throw new EngineFailure("unsupported", `lzop format version ${version.toString(16)} predates 0.90`);
  r.u16("header"); // library version
  if (version >= 0x0940) {
    const needed = r.u16("header");
    if (needed > 0x1040) throw new EngineFailure("unsupported", `lzop file needs lzop ${needed.toString(16)} to extract`);
  }
  const method = r.u8("header");
  if (version >= 0x0940) r.u8("header"); // level
  const flags = r.u32("header");
  if (flags & F_H_FILTER) throw new EngineFailure("unsupported", "lzop file uses a filter (lzop -F), which is not implemented");
  r.u32("header"); // mode
  r.u32("header"); // mtime low
  if (version >= 0x0940) r.u32("header"); // mtime high
  r.take(r.u8("header"), "header"); // file name
  const covered = r.b.subarray(start, r.at);
  const want = r.u32("header");
  const got = flags & F_H_CRC32 ? crc32(covered) >>> 0 : adler32(covered);
  if (got !== want) throw new EngineFailure("corrupt", "lzop header checksum mismatch");
  if (!LZO1X_METHODS.has(method)) throw new EngineFailure("unsupported", `lzop method ${method} (only the LZO1X methods 1-3 are implemented)`);
  if (flags & F_H_EXTRA_FIELD) {
    const len = r.u32("extra field");
    r.take(len, "extra field");
    r.u32("extra field");
  }
  return flags;
}

function verify(kind: string, data: Uint8Array, flags: number, adlerFlag: number, crcFlag: number, adler: number | null, crc: number | null): void {
  if (flags & adlerFlag && adler32(data) !== adler) throw new EngineFailure("corrupt", `lzop block ${kind} Adler-32 mismatch`);
  if (flags & crcFlag && crc32(data) >>> 0 !== crc) throw new EngineFailure("corrupt", `lzop block ${kind} CRC-32 mismatch`);
}

/**
 * Decode an lzop file block by block. LZO1X decoding is our own (lzo1xDecompress);
 * the npm "lzo" binding would need a node-gyp build at install time. Stops at the
 * zero-length end block and ignores anything after it.
 */
export function* lzopChunks(input: Uint8Array): Generator<Uint8Array, void, undefined> {
  const r = new Reader(input);
  const flags = readHeader(r);
  for (;;) {
    const dstLen = r.u32("block header");
    if (dstLen === 0) return;
    if (dstLen === 0xffffffff) throw new EngineFailure("unsupported", "split (multi-part) lzop files are not supported");
    if (dstLen > MAX_BLOCK_SIZE) throw new EngineFailure("corrupt", `lzop block of ${dstLen} bytes exceeds the 64 MiB maximum`);
    const srcLen = r.u32("block header");
    if (srcLen === 0 || srcLen > dstLen) throw new EngineFailure("corrupt", `lzop block sizes are inconsistent (${srcLen} compressed, ${dstLen} uncompressed)`);
    const dAdler = flags & F_ADLER32_D ? r.u32("block header") : null;
    const dCrc = flags & F_CRC32_D ? r.u32("block header") : null;
    // A block stored uncompressed has no separate checksum of the compressed data:
    // lzop reuses the one of the uncompressed data.
    const stored = srcLen === dstLen;
    const cAdler = flags & F_ADLER32_C ? (stored ? dAdler : r.u32("block header")) : null;
    const cCrc = flags & F_CRC32_C ? (stored ? dCrc : r.u32("block header")) : null;
    const src = r.take(srcLen, "block data");
    verify("compressed data", src, flags, F_ADLER32_C, F_CRC32_C, cAdler, cCrc);
    let out: Uint8Array;
    if (stored) {
      out = src.slice();
    } else {
      out = new Uint8Array(dstLen);
      lzo1xDecompress(src, out);
    }
    verify("data", out, flags, F_ADLER32_D, F_CRC32_D, dAdler, dCrc);
    yield out;
  }
}
