import { ZSTDDecoder } from "zstddec/stream";
import { EngineFailure } from "./EngineFailure.js";
import { expectMagic } from "./expectMagic.js";
import { findZstdFrameEnd } from "./findZstdFrameEnd.js";
import { liveResources } from "./liveResources.js";

/** The libzstd functions zstddec's WASM module exports (zstddec's own types.ts). */
interface ZstdWasm {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  ZSTD_createDCtx(): number;
  ZSTD_freeDCtx(dctx: number): number;
  ZSTD_DStreamOutSize(): number;
  ZSTD_decompressStream(dctx: number, output: number, input: number): number;
}

let loading: Promise<ZstdWasm> | undefined;

/**
 * zstddec ships libzstd compiled to WASM, but its decodeStreaming() neither checks
 * ZSTD_decompressStream's error returns (it loops forever on corrupt input) nor
 * frees its decoder when the caller stops early. Its public `_init` hook receives
 * the instantiated module, so we keep its exports and drive libzstd's streaming
 * API ourselves, with error checks and cleanup.
 */
function loadZstdWasm(): Promise<ZstdWasm> {
  loading ??= (async () => {
    const decoder = new ZSTDDecoder();
    let captured: ZstdWasm | undefined;
    const original = decoder._init;
    decoder._init = (result) => {
      captured = result.instance.exports as unknown as ZstdWasm;
      original.call(decoder, result);
    };
    await decoder.init();
    const fns = ["malloc", "free", "ZSTD_createDCtx", "ZSTD_freeDCtx", "ZSTD_DStreamOutSize", "ZSTD_decompressStream"] as const;
    if (!captured || !(captured.memory?.buffer instanceof ArrayBuffer) || fns.some((f) => typeof captured![f] !== "function")) {
      throw new EngineFailure("unsupported", "zstddec's WASM module does not expose libzstd's streaming API (zstddec version changed?)");
    }
    return captured;
  })();
  return loading;
}

// Error codes from libzstd's zstd_errors.h (stable since v1.3); ZSTD_decompressStream
// returns them negated, which a wasm32 size_t shows as a negative i32.
const ZSTD_ERRORS: Record<number, ["corrupt" | "unsupported", string]> = {
  10: ["corrupt", "unknown frame magic"],
  12: ["unsupported", "unsupported zstd format version"],
  14: ["unsupported", "unsupported frame parameter"],
  16: ["unsupported", "the frame's window is larger than libzstd decodes by default (128 MiB)"],
  20: ["corrupt", "corrupted block data"],
  22: ["corrupt", "content checksum mismatch"],
  24: ["corrupt", "invalid literals header"],
  30: ["unsupported", "the frame needs a dictionary"],
  32: ["unsupported", "the frame needs a dictionary"],
  64: ["unsupported", "libzstd could not allocate memory"],
  72: ["corrupt", "block size does not match the frame header"],
};

const SIZE_T = 4; // wasm32
// ZSTD_inBuffer { src, size, pos } and ZSTD_outBuffer { dst, size, pos } (zstd.h).
const BUF_STRUCT = 3 * SIZE_T;

/** Decode the first zstd frame of `input` with libzstd (WASM), 128 KiB at a time. */
export async function* zstdChunks(input: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  expectMagic(input, [0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");
  const frame = findZstdFrameEnd(input);
  const z = await loadZstdWasm();
  const outSize = z.ZSTD_DStreamOutSize();
  const ptrs: number[] = [];
  const alloc = (n: number): number => {
    const p = z.malloc(Math.max(1, n));
    if (!p) throw new EngineFailure("unsupported", "cannot allocate WASM memory for the zstd decoder");
    ptrs.push(p);
    return p;
  };
  let dctx = 0;
  liveResources.acquire("zstd-wasm");
  try {
    const inPtr = alloc(frame.end);
    const outPtr = alloc(outSize);
    const inBuf = alloc(BUF_STRUCT);
    const outBuf = alloc(BUF_STRUCT);
    dctx = z.ZSTD_createDCtx();
    if (!dctx) throw new EngineFailure("unsupported", "cannot allocate a zstd decoder context");
    new Uint8Array(z.memory.buffer).set(input.subarray(0, frame.end), inPtr);
    let view = new DataView(z.memory.buffer);
    let lastConsumed = -1;
    view.setUint32(inBuf, inPtr, true);
    view.setUint32(inBuf + SIZE_T, frame.end, true);
    view.setUint32(inBuf + 2 * SIZE_T, 0, true);
    for (;;) {
      view = new DataView(z.memory.buffer);
      view.setUint32(outBuf, outPtr, true);
      view.setUint32(outBuf + SIZE_T, outSize, true);
      view.setUint32(outBuf + 2 * SIZE_T, 0, true);
      const ret = z.ZSTD_decompressStream(dctx, outBuf, inBuf);
      // The call may have grown the heap, detaching the old buffer.
      view = new DataView(z.memory.buffer);
      if (ret < 0) {
        const [code, what] = ZSTD_ERRORS[-ret] ?? ["corrupt", `libzstd error ${-ret}`];
        throw new EngineFailure(code, what);
      }
      const produced = view.getUint32(outBuf + 2 * SIZE_T, true);
      const consumed = view.getUint32(inBuf + 2 * SIZE_T, true);
      if (produced > 0) yield new Uint8Array(z.memory.buffer).slice(outPtr, outPtr + produced);
      // 0 means the frame is fully decoded and flushed (zstd.h).
      if (ret === 0) return;
      if (consumed === frame.end && produced < outSize) {
        throw new EngineFailure(frame.complete ? "corrupt" : "truncated", frame.complete ? "zstd frame ends before its last block is decoded" : "input ends inside the zstd frame");
      }
      // libzstd always makes progress or fails; never spin if it did neither.
      if (produced === 0 && consumed === lastConsumed) throw new EngineFailure("corrupt", "zstd decoder made no progress");
      lastConsumed = consumed;
    }
  } finally {
    if (dctx) z.ZSTD_freeDCtx(dctx);
    for (const p of ptrs) z.free(p);
    liveResources.release("zstd-wasm");
  }
}
