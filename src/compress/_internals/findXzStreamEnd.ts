import { crc32 } from "node:zlib";

// Layout facts from The .xz File Format 1.2.1: the Stream Header is magic (6),
// Stream Flags (2) and their CRC32 (4); the Stream Footer is CRC32 (4), Backward
// Size (4), Stream Flags (2) and the magic "YZ"; Backward Size stores the Index
// size as (size / 4 - 1); an Index starts with the byte 0x00 and ends with the
// CRC32 of everything before it.
const HEADER_SIZE = 12;
const FOOTER_SIZE = 12;
const FOOTER_MAGIC = Buffer.from("YZ", "latin1");

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * Where the first .xz stream in `input` ends, or null when no complete stream
 * footer can be found (the stream is then truncated or damaged, which the decoder
 * will report).
 *
 * liblzma as node-liblzma binds it decodes concatenated streams, so bytes after
 * the first stream (the size Linux appends to a bzImage payload) would be taken
 * for a broken second stream. Cutting the input at the first footer that checks
 * out avoids that. A footer counts only if its CRC32, its flags (equal to the
 * header's) and the CRC32 of the Index it points back to all agree, so a chance
 * "YZ" inside compressed data is never taken for the end.
 */
export function findXzStreamEnd(input: Uint8Array): number | null {
  if (input.length < HEADER_SIZE + FOOTER_SIZE) return null;
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const flags0 = bytes[6]!;
  const flags1 = bytes[7]!;
  let from = HEADER_SIZE + FOOTER_SIZE - 2;
  for (;;) {
    const yz = bytes.indexOf(FOOTER_MAGIC, from);
    if (yz < 0) return null;
    from = yz + 1;
    const footer = yz - 10;
    if (bytes[footer + 8] !== flags0 || bytes[footer + 9] !== flags1) continue;
    if ((crc32(bytes.subarray(footer + 4, footer + 10)) >>> 0) !== u32le(bytes, footer)) continue;
    const indexSize = (u32le(bytes, footer + 4) + 1) * 4;
    const index = footer - indexSize;
    if (index < HEADER_SIZE || bytes[index] !== 0x00) continue;
    if ((crc32(bytes.subarray(index, footer - 4)) >>> 0) !== u32le(bytes, footer - 4)) continue;
    return footer + FOOTER_SIZE;
  }
}
