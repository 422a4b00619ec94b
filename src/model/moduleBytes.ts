import { createCipheriv } from "node:crypto";

/**
 * The bytes of a generated module (or kernel segment): the AES-128-CTR keystream
 * for a key made of (seed, size), so a case records only two numbers and anyone
 * can rebuild the exact bytes (openssl enc -aes-128-ctr over zeros does too).
 * Native AES runs at gigabytes per second, which keeps large modules cheap.
 */
export function moduleBytes(seed: number, size: number): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed >>> 0, 0);
  key.writeUInt32LE(size >>> 0, 4);
  key.writeUInt32LE(Math.floor(size / 2 ** 32), 8);
  key.write("PVH!", 12, "latin1");
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const out = cipher.update(Buffer.alloc(size));
  cipher.final();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
