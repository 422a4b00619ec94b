import type { Compression } from "./Compression.js";

/**
 * - corrupt: the bytes are not a valid stream of the format (or fail its checksums);
 * - truncated: the input ends before the stream does;
 * - too-large: the output would exceed the caller's maxOutput (a decompression bomb);
 * - unsupported: a valid stream using a feature this decoder does not implement
 *   (an lzop filter, a zstd dictionary, a window larger than the decoder allows...).
 */
export type DecompressErrorCode = "corrupt" | "truncated" | "too-large" | "unsupported";

export class DecompressError extends Error {
  override name = "DecompressError";
  readonly code: DecompressErrorCode;
  readonly format: Compression;
  /** Bytes handed to the consumer before the failure. */
  readonly outputBytes: number;

  constructor(code: DecompressErrorCode, format: Compression, message: string, outputBytes: number, options?: { cause?: unknown }) {
    super(`${message} (after ${outputBytes} bytes of output)`, options);
    this.code = code;
    this.format = format;
    this.outputBytes = outputBytes;
  }
}
