import { setImmediate as nextMacrotask } from "node:timers/promises";
import type { Compression } from "./Compression.js";
import { DecompressError } from "./DecompressError.js";
import { EngineFailure } from "./_internals/EngineFailure.js";

export interface DecompressOptions {
  /** Most output bytes to produce; a stream that would decode to more fails with "too-large". */
  maxOutput: number;
  /**
   * The consumer reads each chunk before asking for the next one and keeps none:
   * a decoder may then write every chunk into the same buffer, which saves
   * allocating (and the kernel faulting in) fresh memory for all of the output.
   * A chunk is valid only until the generator is resumed. Decoders that cannot
   * reuse their buffer yield fresh chunks as usual. Default false.
   */
  reuseOutput?: boolean;
}

type Engine = (input: Uint8Array, reuseOutput: boolean) => Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

// Loaded on first use: check-image needs one decoder, and loading them all (three
// native addons, two WASM modules) would add tens of milliseconds to its start.
const ENGINES: Record<Compression, () => Promise<Engine>> = {
  gzip: async () => (await import("./_internals/gzipChunks.js")).gzipChunks,
  bzip2: async () => (await import("./_internals/bzip2Chunks.js")).bzip2Chunks,
  lzma: async () => (await import("./_internals/lzmaChunks.js")).lzmaChunks,
  xz: async () => (await import("./_internals/xzChunks.js")).xzChunks,
  lzo: async () => (await import("./_internals/lzopChunks.js")).lzopChunks,
  lz4: async () => (await import("./_internals/lz4LegacyChunks.js")).lz4LegacyChunks,
  zstd: async () => (await import("./_internals/zstdChunks.js")).zstdChunks,
};

// The native and WASM decoders run synchronously between chunks. Returning to the
// event loop this often keeps timers and I/O of the rest of the process alive
// during a long decode, at a cost of well under a millisecond per second of work.
const MAX_BLOCKING_MS = 20;

function toDecompressError(err: unknown, format: Compression, outputBytes: number): DecompressError {
  if (err instanceof DecompressError) return err;
  if (err instanceof EngineFailure) return new DecompressError(err.code, format, err.message, outputBytes, { cause: err.cause });
  // Anything else escaped a decoder on hostile input (a RangeError from a
  // typed array, say): still the input's fault, never an uncaught crash.
  const why = err instanceof Error ? err.message : String(err);
  return new DecompressError("corrupt", format, `decoder failed: ${why}`, outputBytes, { cause: err });
}

async function* run(format: Compression, input: Uint8Array, maxOutput: number, reuseOutput: boolean): AsyncGenerator<Uint8Array, void, undefined> {
  let produced = 0;
  let lastBreak = performance.now();
  try {
    const engine = await ENGINES[format]();
    // Leaving this loop early (the consumer's break or return(), or a throw)
    // calls the engine's return(), whose finally releases its native resources.
    for await (const chunk of engine(input, reuseOutput)) {
      if (chunk.length === 0) continue;
      if (produced + chunk.length > maxOutput) {
        throw new DecompressError("too-large", format, `output exceeds the limit of ${maxOutput} bytes`, produced);
      }
      produced += chunk.length;
      yield chunk;
      if (performance.now() - lastBreak > MAX_BLOCKING_MS) {
        await nextMacrotask();
        lastBreak = performance.now();
      }
    }
  } catch (err) {
    throw toDecompressError(err, format, produced);
  }
}

/**
 * Decompress `input`, yielding the output in order, in chunks, as it is produced.
 *
 * Only the first stream (gzip member, xz stream, zstd frame...) is decoded: its
 * end marker ends the output and any bytes after it are ignored, like the size
 * Linux appends to a bzImage payload. The consumer may stop at any point
 * (`break`, `return()`); the decoder's work stops there and its native or WASM
 * memory is released. Failures are DecompressError: "corrupt", "truncated",
 * "too-large" (more than opts.maxOutput bytes of output) or "unsupported".
 */
export function decompress(format: Compression, input: Uint8Array, opts: DecompressOptions): AsyncGenerator<Uint8Array, void, undefined> {
  if (!Object.hasOwn(ENGINES, format)) throw new TypeError(`decompress: unknown format ${String(format)}`);
  if (!(input instanceof Uint8Array)) throw new TypeError("decompress: input must be a Uint8Array");
  if (!Number.isSafeInteger(opts.maxOutput) || opts.maxOutput < 0) {
    throw new TypeError(`decompress: maxOutput must be a non-negative safe integer, got ${opts.maxOutput}`);
  }
  return run(format, input, opts.maxOutput, opts.reuseOutput === true);
}
