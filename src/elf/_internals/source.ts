/**
 * The bytes a reader may look at, plus what is known about the file they
 * come from. Every read in the reader goes through `check` first, which is
 * where "outside the file" and "not supplied yet" are told apart.
 */
export type RangeStatus = "ok" | "past-eof" | "need-more";

export class Source {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Known file size, or undefined when the caller does not know it yet. */
  readonly fileSize: bigint | undefined;
  readonly available: number;
  readonly #onRead: ((offset: bigint, end: bigint) => void) | undefined;

  constructor(input: Uint8Array, fileSize: number | undefined, onRead?: (offset: bigint, end: bigint) => void) {
    let bytes = input;
    let size: bigint | undefined;
    if (fileSize === undefined) {
      size = BigInt(input.length);
    } else if (fileSize === Infinity) {
      size = undefined;
    } else {
      if (!Number.isSafeInteger(fileSize) || fileSize < 0) {
        throw new RangeError(`fileSize must be a non-negative safe integer or Infinity, got ${fileSize}`);
      }
      if (fileSize < input.length) bytes = input.subarray(0, fileSize);
      size = BigInt(fileSize);
    }
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.fileSize = size;
    this.available = bytes.length;
    this.#onRead = onRead;
  }

  check(offset: bigint, size: bigint): RangeStatus {
    const end = offset + size;
    if (offset < 0n || size < 0n) return "past-eof";
    if (this.fileSize !== undefined && end > this.fileSize) return "past-eof";
    if (end > BigInt(this.available)) return "need-more";
    this.#onRead?.(offset, end);
    return "ok";
  }
}

/** A byte count as a JS number for "need" answers; saturates instead of losing precision. */
export function needAsNumber(end: bigint): number {
  return end > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(end);
}
