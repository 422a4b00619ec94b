import { LZMA_FINISH, type NativeLZMA, Unxz } from "node-liblzma";
import { expectMagic } from "./expectMagic.js";
import { findXzStreamEnd } from "./findXzStreamEnd.js";
import { liveResources } from "./liveResources.js";
import { LZMA_OK, LZMA_STREAM_END, lzmaFailure } from "./lzmaFailure.js";

// Each lzma_code() call fills at most this much output, which bounds the memory a
// bomb can claim per step and how far decoding runs past the point where the
// consumer stops (check-image stops right after the ELF notes).
const OUT_CHUNK = 256 * 1024;

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/**
 * node-liblzma exposes its native lzma_stream only to subclasses of its Transform
 * streams (the `lzma` member is protected). Driving lzma_code() directly, instead of
 * through the Transform, lets us size every output step and stop between steps.
 */
class NativeXzDecoder extends Unxz {
  // Declared in node-liblzma's lib/lzma.d.ts, left out of its index.d.ts.
  protected declare lzma: NativeLZMA;

  step(input: Buffer, inOffset: number, availIn: number, out: Buffer): [ret: number, availIn: number, availOut: number] {
    // LZMA_FINISH from the first call: the whole input is in hand, and liblzma then
    // reports input that ends early as LZMA_BUF_ERROR instead of waiting for more.
    return this.lzma.codeSync(LZMA_FINISH, input, inOffset, availIn, out, 0);
  }

  release(): void {
    this.close();
  }
}

/**
 * Decode the first .xz stream of `input` with the native liblzma, 256 KiB at a time.
 * With `reuseOutput`, every chunk is written into the same buffer (see DecompressOptions).
 */
export function* xzChunks(input: Uint8Array, reuseOutput = false): Generator<Uint8Array, void, undefined> {
  expectMagic(input, XZ_MAGIC, "an .xz stream");
  const end = findXzStreamEnd(input) ?? input.length;
  const bytes = Buffer.from(input.buffer, input.byteOffset, end);
  const decoder = new NativeXzDecoder();
  liveResources.acquire("liblzma-native");
  try {
    let inOffset = 0;
    let out = Buffer.allocUnsafe(OUT_CHUNK);
    for (;;) {
      if (!reuseOutput) out = Buffer.allocUnsafe(OUT_CHUNK);
      const [ret, availIn, availOut] = decoder.step(bytes, inOffset, end - inOffset, out);
      inOffset = end - availIn;
      const produced = OUT_CHUNK - availOut;
      if (produced > 0) yield out.subarray(0, produced);
      if (ret === LZMA_STREAM_END) return;
      if (ret !== LZMA_OK) throw lzmaFailure(ret, "xz");
    }
  } finally {
    decoder.release();
    liveResources.release("liblzma-native");
  }
}
