import { Readable } from "node:stream";
import { crc32, createInflateRaw } from "node:zlib";
import { EngineFailure } from "./EngineFailure.js";
import { expectMagic } from "./expectMagic.js";
import { liveResources } from "./liveResources.js";

// Input is fed to zlib in slices this big. zlib's own stream pushes all the output
// of a slice before looking at the consumer, and deflate expands at most 1032:1,
// so a slice bounds what a bomb can make zlib buffer to about 16 MiB.
const SLICE = 16 * 1024;
const OUT_CHUNK = 256 * 1024;

// RFC 1952, section 2.3.1 (member header), FLG bits.
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;

function truncatedHeader(): EngineFailure {
  return new EngineFailure("truncated", "input ends inside the gzip header");
}

/** Offset of the deflate data after a gzip member header (RFC 1952, 2.3). */
function parseGzipHeader(b: Uint8Array): number {
  expectMagic(b, [0x1f, 0x8b], "a gzip stream");
  if (b.length < 10) throw truncatedHeader();
  if (b[2] !== 8) throw new EngineFailure("unsupported", `gzip compression method ${b[2]} (only 8, deflate, exists)`);
  const flg = b[3]!;
  if (flg & FRESERVED) throw new EngineFailure("corrupt", "gzip header sets reserved FLG bits");
  let at = 10;
  if (flg & FEXTRA) {
    if (at + 2 > b.length) throw truncatedHeader();
    at += 2 + (b[at]! | (b[at + 1]! << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flg & flag)) continue;
    const nul = b.indexOf(0, at);
    if (nul < 0) throw truncatedHeader();
    at = nul + 1;
  }
  if (flg & FHCRC) {
    if (at + 2 > b.length) throw truncatedHeader();
    const want = b[at]! | (b[at + 1]! << 8);
    if ((crc32(b.subarray(0, at)) & 0xffff) !== want) throw new EngineFailure("corrupt", "gzip header CRC16 mismatch");
    at += 2;
  }
  if (at > b.length) throw truncatedHeader();
  return at;
}

function* slices(b: Uint8Array, from: number): Generator<Uint8Array> {
  for (let at = from; at < b.length; at += SLICE) yield b.subarray(at, at + SLICE);
}

function zlibFailure(err: unknown): EngineFailure {
  const code = (err as { code?: unknown }).code;
  // Node reports a deflate stream cut short as Z_BUF_ERROR "unexpected end of file".
  if (code === "Z_BUF_ERROR") return new EngineFailure("truncated", "the deflate data ends before its final block", { cause: err });
  return new EngineFailure("corrupt", `invalid deflate data (${(err as Error).message})`, { cause: err });
}

/**
 * Decode the first gzip member of `input`.
 *
 * Node's Gunzip would take bytes after the member for another member and fail on
 * them, so the header and trailer are handled here and zlib only inflates the
 * raw deflate data; InflateRaw stops at the final block and reports how much input
 * it used, which locates the trailer.
 */
export async function* gzipChunks(input: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  const bodyStart = parseGzipHeader(input);
  const inflate = createInflateRaw({ chunkSize: OUT_CHUNK });
  const feeder = Readable.from(slices(input, bodyStart), { objectMode: false });
  liveResources.acquire("zlib");
  let crc = 0;
  let size = 0;
  try {
    feeder.pipe(inflate);
    try {
      for await (const chunk of inflate as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        yield chunk;
      }
    } catch (err) {
      throw zlibFailure(err);
    }
    const trailer = bodyStart + inflate.bytesWritten;
    if (trailer + 8 > input.length) throw new EngineFailure("truncated", "input ends inside the gzip trailer");
    const view = new DataView(input.buffer, input.byteOffset + trailer, 8);
    if (view.getUint32(0, true) !== crc >>> 0) throw new EngineFailure("corrupt", "gzip CRC32 of the data does not match the trailer");
    if (view.getUint32(4, true) !== size % 2 ** 32) throw new EngineFailure("corrupt", "gzip ISIZE does not match the data length");
  } finally {
    feeder.unpipe(inflate);
    feeder.destroy();
    inflate.destroy();
    liveResources.release("zlib");
  }
}
