/**
 * Where a multiboot header with a valid checksum sits in an image, if anywhere.
 * Multiboot 0.6.96 §3.1.1: magic 0x1BADB002, 32-bit aligned, in the first 8192
 * bytes, with magic + flags + checksum = 0. Multiboot2 1.0 §3.1.1: magic 0xE85250D6,
 * 64-bit aligned, in the first 32768 bytes, with magic + architecture +
 * header_length + checksum = 0.
 */
export function findMultibootHeader(image: Uint8Array): { version: 1 | 2; offset: number } | null {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const u32 = (at: number): number => dv.getUint32(at, true);
  for (let at = 0; at + 12 <= Math.min(image.length, 8192); at += 4) {
    if (u32(at) === 0x1badb002 && ((u32(at) + u32(at + 4) + u32(at + 8)) >>> 0) === 0) return { version: 1, offset: at };
  }
  for (let at = 0; at + 16 <= Math.min(image.length, 32768); at += 8) {
    if (u32(at) === 0xe85250d6 && ((u32(at) + u32(at + 4) + u32(at + 8) + u32(at + 12)) >>> 0) === 0) return { version: 2, offset: at };
  }
  return null;
}
