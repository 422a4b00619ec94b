import { execFileSync } from "node:child_process";
import { codecs } from "../../src/abi/codecs.js";

/** CLI command that compresses stdin to stdout the way Linux's build does, per format. */
export const compressors: Record<string, { cmd: string; args: string[]; apt: string }> = {
  gzip: { cmd: "gzip", args: ["-9", "-c"], apt: "gzip" },
  xz: { cmd: "xz", args: ["--check=crc32", "-c"], apt: "xz-utils" },
  lzma: { cmd: "xz", args: ["--format=lzma", "-c"], apt: "xz-utils" },
  bzip2: { cmd: "bzip2", args: ["-9", "-c"], apt: "bzip2" },
  lz4: { cmd: "lz4", args: ["-l", "-9", "-c"], apt: "lz4" },
  zstd: { cmd: "zstd", args: ["-19", "-c", "-q"], apt: "zstd" },
  lzo: { cmd: "lzop", args: ["-9", "-c"], apt: "lzop" },
};

export function compress(format: string, data: Uint8Array): Uint8Array {
  const c = compressors[format]!;
  return new Uint8Array(execFileSync(c.cmd, c.args, { input: data, maxBuffer: 1 << 30 }));
}

/**
 * A minimal x86 bzImage around a payload: a setup header (boot protocol 2.15) that
 * points at it, as Linux's build lays it out, with the 4-byte decompressed size
 * appended to the payload as Linux does.
 */
export function makeBzImage(payload: Uint8Array, decompressedSize: number, opts: { version?: number; kernelVersion?: string } = {}): Uint8Array {
  const c = codecs.setupHeader();
  const setupSects = 4;
  const pm = (setupSects + 1) * 512;
  const payloadOffset = 0x100;
  const withSize = new Uint8Array(payload.length + 4);
  withSize.set(payload);
  new DataView(withSize.buffer).setUint32(payload.length, decompressedSize, true);
  const out = new Uint8Array(pm + payloadOffset + withSize.length);
  const ver = opts.version ?? 0x020f;
  c.encodeInto(
    { setup_sects: setupSects, boot_flag: 0xaa55, header: 0x53726448, version: ver, kernel_version: opts.kernelVersion ? 0x300 : 0, payload_offset: payloadOffset, payload_length: withSize.length },
    out,
    c.base,
    ver,
  );
  if (opts.kernelVersion) out.set(new TextEncoder().encode(opts.kernelVersion + "\0"), 0x200 + 0x300);
  out.set(withSize, pm + payloadOffset);
  return out;
}
