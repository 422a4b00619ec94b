import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { EngineFailure } from "./EngineFailure.js";
import { liveResources } from "./liveResources.js";
import { LZMA_OK, LZMA_STREAM_END, lzmaFailure } from "./lzmaFailure.js";

/** The parts of node-liblzma's Emscripten build of liblzma that we call. */
interface LiblzmaWasm {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _lzma_auto_decoder(...args: number[]): number;
  _lzma_code(strm: number, action: number): number;
  _lzma_end(strm: number): void;
}

const OUT_CHUNK = 1 << 20;
const LZMA_FINISH = 3;
// Kernel .lzma payloads are made with `lzma -9` (64 MiB dictionary); a header that
// asks for more than this is refused instead of growing the WASM heap towards 4 GiB.
const MEMLIMIT = 512 * 1024 * 1024;
// lzma_stream on wasm32 (liblzma lzma/base.h): next_in, avail_in, then a uint64
// total_in, next_out at 16, avail_out at 20; the whole struct is under 128 bytes
// and must start zeroed (LZMA_STREAM_INIT).
const STREAM_SIZE = 128;
const NEXT_IN = 0;
const AVAIL_IN = 4;
const NEXT_OUT = 16;
const AVAIL_OUT = 20;

let loading: Promise<LiblzmaWasm> | undefined;

/**
 * node-liblzma's native binding only decodes .xz, but its WASM build of liblzma
 * (same package) exports lzma_auto_decoder, which reads LZMA-Alone (.lzma) too.
 * Its own loader fetches the .wasm by URL, which Node's fetch cannot do for files,
 * so we hand the Emscripten factory the bytes ourselves.
 */
function loadLiblzmaWasm(): Promise<LiblzmaWasm> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmBinary = await readFile(require.resolve("node-liblzma/wasm/liblzma.wasm"));
    const { default: createLZMA } = (await import("node-liblzma/wasm/liblzma.js")) as unknown as {
      default: (moduleArg: Record<string, unknown>) => Promise<LiblzmaWasm>;
    };
    return createLZMA({ wasmBinary });
  })();
  return loading;
}

/**
 * Call lzma_auto_decoder(strm, memlimit, flags). Its memlimit is a uint64: this
 * build has no WASM BigInt integration, so Emscripten split it into two i32
 * halves (low, high) and the export takes four arguments. A build with BigInt
 * integration would take three, the limit as a BigInt.
 */
function initAutoDecoder(M: LiblzmaWasm, strm: number): number {
  const f = M._lzma_auto_decoder as (...args: unknown[]) => number;
  return f.length === 4 ? f(strm, MEMLIMIT, 0, 0) : f(strm, BigInt(MEMLIMIT), 0);
}

function setU32(M: LiblzmaWasm, at: number, value: number): void {
  new DataView(M.HEAPU8.buffer).setUint32(at, value, true);
}

function getU32(M: LiblzmaWasm, at: number): number {
  return new DataView(M.HEAPU8.buffer).getUint32(at, true);
}

/** Decode an LZMA-Alone (.lzma) stream with liblzma compiled to WASM. */
export async function* lzmaChunks(input: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  // The properties byte encodes (pb * 5 + lp) * 9 + lc with pb, lp <= 4 and lc <= 8
  // (LZMA SDK lzma-specification), so it is below 225. This also keeps the auto
  // decoder from accepting an .xz stream (0xFD) handed in as "lzma".
  if (input.length === 0) throw new EngineFailure("truncated", "empty .lzma input");
  if (input[0]! >= 225) throw new EngineFailure("corrupt", "not an .lzma stream (invalid properties byte)");
  const M = await loadLiblzmaWasm();
  const strm = M._malloc(STREAM_SIZE);
  const inPtr = M._malloc(Math.max(1, input.length));
  const outPtr = M._malloc(OUT_CHUNK);
  if (!strm || !inPtr || !outPtr) {
    for (const p of [strm, inPtr, outPtr]) if (p) M._free(p);
    throw new EngineFailure("unsupported", "cannot allocate WASM memory for the .lzma decoder");
  }
  liveResources.acquire("liblzma-wasm");
  try {
    M.HEAPU8.fill(0, strm, strm + STREAM_SIZE);
    M.HEAPU8.set(input, inPtr);
    const init = initAutoDecoder(M, strm);
    if (init !== LZMA_OK) throw lzmaFailure(init, "lzma");
    setU32(M, strm + NEXT_IN, inPtr);
    setU32(M, strm + AVAIL_IN, input.length);
    for (;;) {
      setU32(M, strm + NEXT_OUT, outPtr);
      setU32(M, strm + AVAIL_OUT, OUT_CHUNK);
      const ret = M._lzma_code(strm, LZMA_FINISH);
      const produced = OUT_CHUNK - getU32(M, strm + AVAIL_OUT);
      // Copy out: the next lzma_code() call overwrites the buffer, and the heap may
      // move when it grows.
      if (produced > 0) yield M.HEAPU8.slice(outPtr, outPtr + produced);
      if (ret === LZMA_STREAM_END) return;
      if (ret !== LZMA_OK) throw lzmaFailure(ret, "lzma");
    }
  } finally {
    // Safe on a zeroed or half-initialised stream too (liblzma frees what exists).
    M._lzma_end(strm);
    M._free(outPtr);
    M._free(inPtr);
    M._free(strm);
    liveResources.release("liblzma-wasm");
  }
}
