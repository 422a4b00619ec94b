/**
 * Decompression bombs and stopping early. The bombs are real: 2 GiB of zeros
 * (512 MiB for slow bzip2) packed by the CLI tools, a few KiB to a few MiB each,
 * decoded against a 64 MiB cap. Making them takes some seconds of CPU.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { COMPRESSIONS, type Compression } from "../../src/compress/Compression.js";
import { decompress } from "../../src/compress/decompress.js";
import { DecompressError } from "../../src/compress/DecompressError.js";
import { liveResources } from "../../src/compress/_internals/liveResources.js";
import { shell, skipReason } from "./_compressors.js";

const CAP = 64 * 1024 * 1024;
// Decoder state (an xz dictionary, a zstd window), a 64 MiB cap's worth of
// chunks not yet collected by the GC, and slack: far below the 2 GiB an
// unbounded decoder would need.
const MEMORY_BUDGET = 320 * 1024 * 1024;

const BOMB_COMMANDS: Record<Compression, string> = {
  xz: "head -c 2147483648 /dev/zero | xz -c -0 -T1",
  gzip: "head -c 2147483648 /dev/zero | gzip -c -1",
  zstd: "head -c 2147483648 /dev/zero | zstd -c -q -1",
  lzma: "head -c 2147483648 /dev/zero | xz -c --format=lzma -0",
  lz4: "head -c 2147483648 /dev/zero | lz4 -c -l -1",
  lzo: "head -c 2147483648 /dev/zero | lzop -c -1",
  bzip2: "head -c 536870912 /dev/zero | bzip2 -c -1",
};

const usable = COMPRESSIONS.filter((f) => skipReason(f) === undefined);
const bombs = new Map<Compression, Buffer>();
// 256 MiB of zeros through zstd with a 128 MiB window: each decode allocates the
// whole window in the WASM heap, so a decoder not freed on early stop shows.
let bigWindow: Buffer | undefined;

beforeAll(async () => {
  await Promise.all([
    ...usable.map(async (f) => bombs.set(f, await shell(BOMB_COMMANDS[f]))),
    usable.includes("zstd") ? shell("head -c 268435456 /dev/zero | zstd -c -q -1 --long=27").then((b) => (bigWindow = b)) : undefined,
  ]);
}, 300_000);

describe.each(COMPRESSIONS)("%s", (format) => {
  const skip = skipReason(format);

  it.skipIf(skip !== undefined)("stops a decompression bomb with too-large, in bounded memory", async () => {
    const bomb = bombs.get(format)!;
    expect(bomb.length).toBeLessThan(CAP / 4);
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    let seen = 0;
    let error: unknown;
    try {
      for await (const chunk of decompress(format, bomb, { maxOutput: CAP })) {
        seen += chunk.length;
        peak = Math.max(peak, process.memoryUsage.rss());
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DecompressError);
    expect(error).toMatchObject({ code: "too-large", format, outputBytes: seen });
    expect(seen).toBeLessThanOrEqual(CAP);
    expect(seen).toBeGreaterThan(CAP - (8 << 20)); // within one chunk of the cap
    expect(peak - baseline).toBeLessThan(MEMORY_BUDGET);
    expect(liveResources.snapshot()).toEqual({});
  });

  it.skipIf(skip !== undefined)("stops work and releases the decoder when the consumer breaks early", async () => {
    const bomb = bombs.get(format)!;
    let chunks = 0;
    for await (const chunk of decompress(format, bomb, { maxOutput: Number.MAX_SAFE_INTEGER })) {
      expect(chunk.length).toBeGreaterThan(0);
      expect(Object.keys(liveResources.snapshot()).length).toBeLessThanOrEqual(1);
      if (++chunks === 2) break;
    }
    // The decoder is gone after two chunks: nothing goes on decoding the other 2 GiB.
    expect(liveResources.snapshot()).toEqual({});
  });

  it.skipIf(skip !== undefined)("releases the decoder on return() and when the consumer throws", async () => {
    const bomb = bombs.get(format)!;
    const gen = decompress(format, bomb, { maxOutput: Number.MAX_SAFE_INTEGER });
    expect((await gen.next()).done).toBe(false);
    expect(await gen.return(undefined)).toEqual({ done: true, value: undefined });
    expect(await gen.next()).toEqual({ done: true, value: undefined });
    expect(liveResources.snapshot()).toEqual({});

    const boom = new Error("consumer failed");
    await expect(
      (async () => {
        for await (const _ of decompress(format, bomb, { maxOutput: Number.MAX_SAFE_INTEGER })) throw boom;
      })(),
    ).rejects.toBe(boom);
    expect(liveResources.snapshot()).toEqual({});
  });

  it.skipIf(skip !== undefined)("releases a decoder that was never started", async () => {
    const gen = decompress(format, bombs.get(format)!, { maxOutput: CAP });
    await gen.return(undefined);
    expect(liveResources.snapshot()).toEqual({});
  });
});

describe("repeated early stops", () => {
  it.skipIf(skipReason("zstd") !== undefined)("do not leak WASM memory (zstd, 128 MiB window, 20 times)", async () => {
    const baseline = process.memoryUsage.rss();
    for (let i = 0; i < 20; i++) {
      for await (const _ of decompress("zstd", bigWindow!, { maxOutput: CAP })) break;
      expect(liveResources.snapshot()).toEqual({});
    }
    // One window's worth stays in the WASM heap for reuse; twenty would be 2.5 GiB.
    expect(process.memoryUsage.rss() - baseline).toBeLessThan(MEMORY_BUDGET);
  });

  it.skipIf(skipReason("xz") !== undefined)("do not leak native memory (xz, 50 times)", async () => {
    const baseline = process.memoryUsage.rss();
    for (let i = 0; i < 50; i++) {
      for await (const _ of decompress("xz", bombs.get("xz")!, { maxOutput: CAP })) break;
    }
    expect(liveResources.snapshot()).toEqual({});
    expect(process.memoryUsage.rss() - baseline).toBeLessThan(MEMORY_BUDGET);
  });
});
