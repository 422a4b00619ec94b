import type { Compression } from "./Compression.js";

// The byte patterns below are the ones Linux's own decompressors and
// scripts/extract-vmlinux look for; each comes from its format's specification.
const MAGICS: readonly { format: Compression; bytes: readonly number[] }[] = [
  // The .xz File Format 1.2.1, section 2.1.1.1 "Header Magic Bytes".
  { format: "xz", bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  // RFC 8878 (Zstandard), section 3.1.1 "Magic_Number" 0xFD2FB528, little-endian.
  { format: "zstd", bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  // LZ4 Frame Format Description, "Legacy frame": magic 0x184C2102, little-endian.
  { format: "lz4", bytes: [0x02, 0x21, 0x4c, 0x18] },
  // lzop file format (lzop's conf.h, lzop_magic: 89 4C 5A 4F 00 0D 0A 1A 0A); the
  // first four bytes as the brief and extract-vmlinux use them.
  { format: "lzo", bytes: [0x89, 0x4c, 0x5a, 0x4f] },
  // RFC 1952 (gzip), section 2.3.1: ID1 = 31, ID2 = 139.
  { format: "gzip", bytes: [0x1f, 0x8b] },
  // bzip2 stream header "BZh" (bzip2 1.0 manual; Linux lib/decompress_bunzip2.c).
  { format: "bzip2", bytes: [0x42, 0x5a, 0x68] },
  // LZMA-Alone (.lzma, LZMA SDK lzma-specification): properties byte 0x5D
  // (lc=3 lp=0 pb=2, what every lzma tool writes by default) followed by the
  // dictionary size, whose low two bytes are zero for the usual power-of-two sizes.
  { format: "lzma", bytes: [0x5d, 0x00, 0x00] },
];

/** The compression whose magic bytes start `head`, or null. */
export function detectCompression(head: Uint8Array): Compression | null {
  for (const { format, bytes } of MAGICS) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) return format;
  }
  return null;
}
