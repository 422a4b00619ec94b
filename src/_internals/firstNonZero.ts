const ZEROS = new Uint8Array(64 * 1024);

/** Index of the first non-zero byte, or -1. Compares 64 KiB blocks with memcmp before scanning one. */
export function firstNonZero(bytes: Uint8Array): number {
  for (let at = 0; at < bytes.length; at += ZEROS.length) {
    const block = bytes.subarray(at, at + ZEROS.length);
    if (Buffer.compare(block, ZEROS.subarray(0, block.length)) === 0) continue;
    for (let i = 0; i < block.length; i++) if (block[i] !== 0) return at + i;
  }
  return -1;
}
