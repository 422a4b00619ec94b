import { describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { checkImageBytes } from "../../src/checkImage/checkImage.js";
import { buildElf } from "../../src/elf/buildElf.js";
import { u32le } from "../../generators/_internals/notes.js";
import { skipUnlessTool } from "../_support/requireTool.js";
import { compress, compressors, makeBzImage } from "./_bzimage.js";

// A vmlinux-like ELF: the notes sit after a large first segment, as in Linux, so
// check-image must stream past it and stop before the end.
const kernel = exampleCase("bz", {
  plan: {
    segments: [
      { gapPages: 0, filesz: 3 << 20, tail: 0, flags: "RX" },
      { gapPages: 0, filesz: 2 << 20, tail: 4096, flags: "RW" },
    ],
    notesInLoad: false,
    notesBefore: [{ name: "Xen", type: 6, desc: new TextEncoder().encode("linux\0") }],
  },
});
const vmlinux = kernel.kernelImage;

describe("check-image on bzImages", () => {
  for (const format of Object.keys(compressors)) {
    const c = compressors[format]!;
    const skip = skipUnlessTool(c.cmd, ["--version"], `apt-get install ${c.apt}`);
    it.skipIf(skip !== undefined)(`reads the notes of a ${format} payload, streaming`, async () => {
      const img = makeBzImage(compress(format, vmlinux), vmlinux.length, { kernelVersion: "6.1.0-test (builder@pvh) #1" });
      const r = await checkImageBytes(`vmlinuz.${format}`, img);
      expect(r.findings).toEqual([]);
      expect(r.format).toBe("bzimage");
      expect(r.compression).toBe(format);
      expect(r.verdict).toBe("valid");
      expect(r.entry).toBe(kernel.kernel.entry);
      expect(r.bzimage?.kernelVersion).toBe("6.1.0-test (builder@pvh) #1");
      expect(r.bzimage?.elfClass).toBe("elf64");
      expect(r.notes.map((n) => n.name)).toEqual(["GUEST_OS", "PHYS32_ENTRY"]);
    });
  }

  it("a short file of any size up to past the setup header is a finding, never an exception", async () => {
    // 0x206 bytes reach the header signature; the whole header ends at 0x22c and beyond.
    for (let n = 0; n <= 0x300; n++) {
      const r = await checkImageBytes(`short-${n}`, new Uint8Array(n).fill(0x61));
      expect(r.verdict, `${n} bytes`).toBe("invalid");
    }
    // With the bzImage signature but cut off inside the header: invalid, with a reason.
    const sig = new Uint8Array(0x210);
    sig.set([0x55, 0xaa], 0x1fe);
    sig.set([0x48, 0x64, 0x72, 0x53], 0x202);
    const r = await checkImageBytes("cut-header", sig);
    expect(r.verdict).toBe("invalid");
    expect(r.format).toBe("bzimage");
  });

  it("stops decompressing once the notes are read", async () => {
    // Notes placed in the file before a large segment: everything after them is left compressed.
    const { bytes } = buildElf({
      class: 64,
      segments: [
        { kind: "note", notes: [{ name: "Xen", type: 18, desc: u32le(0x100000) }] },
        { kind: "load", vaddr: 0x100000, flags: "RX", data: new Uint8Array(8 << 20).fill(0x90) },
      ],
    });
    const img = makeBzImage(compress("gzip", bytes), bytes.length);
    const r = await checkImageBytes("early", img);
    expect(r.verdict).toBe("valid");
    expect(r.entry).toBe(0x100000);
    expect(r.bzimage!.decompressedBytes).toBeLessThan(bytes.length / 2);
  });

  it("a decompression bomb is an error with a reason, within the cap", async (ctx) => {
    const skip = skipUnlessTool("xz");
    if (skip) return ctx.skip(skip);
    const bomb = new Uint8Array(256 << 20); // zeros: compresses to a few KiB
    bomb.set(vmlinux.subarray(0, 64)); // an ELF header whose notes never come
    const img = makeBzImage(compress("xz", bomb), bomb.length);
    const before = process.memoryUsage().rss;
    const r = await checkImageBytes("bomb", img, { maxDecompressed: 16 << 20 });
    expect(r.verdict).toBe("invalid");
    expect(r.findings.map((f) => f.code)).toContain("decompress-too-large");
    expect(process.memoryUsage().rss - before).toBeLessThan(200 << 20);
  });

  it("a truncated payload, a corrupt payload and a broken setup header are invalid with reasons", async () => {
    const good = makeBzImage(compress("gzip", vmlinux), vmlinux.length);
    const payloadAt = 5 * 512 + 0x100;
    const truncated = good.slice(0, payloadAt + 200);
    const r1 = await checkImageBytes("truncated", truncated);
    expect(r1.verdict).toBe("invalid");
    expect(r1.findings[0]!.code).toMatch(/^bzimage-payload-out-of-bounds$/);
    const corrupt = good.slice();
    for (let i = payloadAt + 40; i < payloadAt + 4000; i += 7) corrupt[i]! ^= 0x5a;
    const r2 = await checkImageBytes("corrupt", corrupt);
    expect(r2.verdict).toBe("invalid");
    expect(r2.findings[0]!.code).toMatch(/^decompress-(corrupt|truncated)$/);
    const old = makeBzImage(compress("gzip", vmlinux), vmlinux.length, { version: 0x0206 });
    const r3 = await checkImageBytes("old", old);
    expect(r3.findings[0]!.code).toBe("bzimage-old-protocol");
    const unknown = good.slice();
    unknown.set([0x11, 0x22, 0x33, 0x44], payloadAt);
    const r4 = await checkImageBytes("unknown", unknown);
    expect(r4.findings[0]!.code).toBe("bzimage-unknown-compression");
  });
});
