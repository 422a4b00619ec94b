export type BzImageErrorCode = "truncated" | "not-bzimage" | "old-protocol" | "payload-out-of-bounds";

/** A bzImage whose setup header cannot lead us to the payload. */
export class BzImageError extends Error {
  constructor(
    readonly code: BzImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "BzImageError";
  }
}
