import { crc32 as zlibCrc32 } from "node:zlib";

/** CRC-32 (IEEE 802.3, as zlib computes it) of some bytes. */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes) >>> 0;
}
