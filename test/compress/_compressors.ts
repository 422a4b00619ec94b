/**
 * Test fixtures come from the real compressors Debian ships, run at test time on
 * generated data; nothing is read from outside the repository. In CI (CI=true) a
 * missing compressor fails the test file; elsewhere its tests skip, saying why.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import type { Compression } from "../../src/compress/Compression.js";
import { decompress } from "../../src/compress/decompress.js";
import { skipUnlessTool } from "../_support/requireTool.js";

interface Tool {
  cmd: string;
  /** Compress stdin to stdout. */
  args: string[];
  /** Debian package that provides the command. */
  apt: string;
}

// Options close to what Linux's scripts/Makefile.lib and scripts/xz_wrap.sh use,
// at levels that keep the tests quick.
export const TOOLS: Record<Compression, Tool> = {
  gzip: { cmd: "gzip", args: ["-c", "-n", "-9"], apt: "gzip" },
  bzip2: { cmd: "bzip2", args: ["-c", "-9"], apt: "bzip2" },
  lzma: { cmd: "xz", args: ["-c", "--format=lzma", "-6"], apt: "xz-utils" },
  xz: { cmd: "xz", args: ["-c", "--check=crc32", "--x86", "--lzma2=preset=6,dict=32MiB"], apt: "xz-utils" },
  lzo: { cmd: "lzop", args: ["-c", "-9"], apt: "lzop" },
  lz4: { cmd: "lz4", args: ["-c", "-l", "-9"], apt: "lz4" },
  zstd: { cmd: "zstd", args: ["-c", "-q", "-19"], apt: "zstd" },
};

/** Why the tests of `format` must skip, or undefined; throws in CI instead of skipping. */
export function skipReason(format: Compression): string | undefined {
  const { cmd, apt } = TOOLS[format];
  return skipUnlessTool(cmd, ["--version"], `apt-get install -y ${apt}`);
}

/** Compress with the format's CLI tool; `args` replaces its default options. */
export function compressWith(format: Compression, data: Uint8Array, args = TOOLS[format].args): Buffer {
  return execFileSync(TOOLS[format].cmd, args, { input: data, maxBuffer: 1 << 30 });
}

const execFileAsync = promisify(execFile);

/** Run a shell pipeline and return its stdout (for fixtures too big to pass through node). */
export async function shell(script: string): Promise<Buffer> {
  const { stdout } = await execFileAsync("sh", ["-c", script], { encoding: "buffer", maxBuffer: 1 << 30 });
  return stdout;
}

/** Decompress everything; returns the output, or the error thrown. */
export async function decodeAll(format: Compression, input: Uint8Array, maxOutput = 1 << 30): Promise<Buffer | unknown> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of decompress(format, input, { maxOutput })) parts.push(chunk);
  } catch (err) {
    return err;
  }
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes (mulberry32), so fixtures are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Several MiB shaped a little like a kernel image: runs of zeros, incompressible
 * stretches, repeated text and small-alphabet data, so multi-block paths, stored
 * blocks and long matches all get exercised.
 */
export function kernelLikeData(size: number, seed = 1): Buffer {
  const rand = prng(seed);
  const out = Buffer.alloc(size);
  const text = Buffer.from("Linux version 6.1.0 (debian-kernel@lists.debian.org) PVH entry Xen ELF note ");
  let at = 0;
  while (at < size) {
    const len = Math.min(size - at, 1 + (rand() % 200_000));
    switch (rand() % 4) {
      case 0: // zeros: already there
        break;
      case 1:
        for (let i = 0; i < len; i++) out[at + i] = rand() & 0xff;
        break;
      case 2:
        for (let i = 0; i < len; i++) out[at + i] = text[i % text.length]!;
        break;
      default:
        for (let i = 0; i < len; i++) out[at + i] = 0x40 + (rand() % 8);
    }
    at += len;
  }
  return out;
}
