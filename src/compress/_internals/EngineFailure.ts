import type { DecompressErrorCode } from "../DecompressError.js";

/**
 * What a format decoder throws. decompress() turns it into a DecompressError,
 * adding the format and how many bytes had been handed out, which only it knows.
 */
export class EngineFailure extends Error {
  override name = "EngineFailure";
  constructor(
    readonly code: DecompressErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
