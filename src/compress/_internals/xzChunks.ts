import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { NativeLZMA } from "node-liblzma";
import { expectMagic } from "./expectMagic.js";
import { findXzStreamEnd } from "./findXzStreamEnd.js";
import { liveResources } from "./liveResources.js";
import { LZMA_OK, LZMA_STREAM_END, lzmaFailure } from "./lzmaFailure.js";

// Each lzma_code() call fills at most this much output, which bounds the memory a
// bomb can claim per step and how far decoding runs past the point where the
// consumer stops (check-image stops right after the ELF notes).
const OUT_CHUNK = 256 * 1024;

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** The part of node-liblzma's native addon we call: its LZMA class and constants. */
interface Addon {
  LZMA: new (mode: number, opts: Record<string, unknown>) => NativeLZMA;
  [constant: string]: unknown;
}

let addon: Addon | undefined;

/**
 * node-liblzma's native addon, loaded as its lib/lzma.js loads it (node-gyp-build
 * on the package folder, which picks the prebuilt or the locally built binary).
 * Importing lib/lzma.js itself would also load its Transform streams, worker pool
 * and error classes (node:stream, node:assert, node:os...): a good part of
 * check-image's start-up, for nothing it uses.
 */
function loadAddon(): Addon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const main = require.resolve("node-liblzma"); // <package>/lib/lzma.js
  const gypBuild = createRequire(main)("node-gyp-build") as (dir: string) => Addon;
  addon = gypBuild(dirname(dirname(main)));
  return addon;
}

function constant(a: Addon, name: string): number {
  const v = a[name];
  if (typeof v !== "number") throw new Error(`node-liblzma's addon has no constant ${name}`);
  return v;
}

/**
 * A native lzma_stream set up as node-liblzma's Unxz sets it up (lzma_stream_decoder
 * with LZMA_CONCATENATED, no memory limit), driven through lzma_code() directly so
 * that we size every output step and stop between steps.
 */
class NativeXzDecoder {
  readonly #lzma: NativeLZMA;
  readonly #finish: number;

  constructor() {
    const a = loadAddon();
    // The options node-liblzma's XzStream passes for a decoder; the addon requires
    // them all (and builds a filter chain from them) even though decoding reads
    // its filters from the stream.
    this.#lzma = new a.LZMA(constant(a, "STREAM_DECODE"), {
      check: constant(a, "LZMA_CHECK_NONE"),
      preset: constant(a, "LZMA_PRESET_DEFAULT"),
      filters: [constant(a, "LZMA_FILTER_LZMA2")],
      mode: constant(a, "LZMA_MODE_NORMAL"),
      threads: 1,
      chunkSize: constant(a, "BUFSIZ"),
      flushFlag: constant(a, "LZMA_RUN"),
    });
    this.#finish = constant(a, "LZMA_FINISH");
  }

  step(input: Buffer, inOffset: number, availIn: number, out: Buffer): [ret: number, availIn: number, availOut: number] {
    // LZMA_FINISH from the first call: the whole input is in hand, and liblzma then
    // reports input that ends early as LZMA_BUF_ERROR instead of waiting for more.
    return this.#lzma.codeSync(this.#finish, input, inOffset, availIn, out, 0);
  }

  release(): void {
    this.#lzma.close();
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
