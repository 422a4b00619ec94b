import { afterEach, describe, expect, it, vi } from "vitest";
import { PrefixCollector } from "../../src/checkImage/_internals/PrefixCollector.js";
import { checkImageBytes } from "../../src/checkImage/checkImage.js";
import { kernelFindings } from "../../src/checkImage/kernelFindings.js";
import { decompress } from "../../src/compress/decompress.js";
import { buildElf } from "../../src/elf/buildElf.js";
import { readElf } from "../../src/elf/readElf.js";
import { u32le } from "../../generators/_internals/notes.js";
import { skipUnlessTool } from "../_support/requireTool.js";
import { compress, makeBzImage } from "./_bzimage.js";

// check-image keeps only the first 32 KiB and the PT_NOTE segments of a decompressed
// vmlinux and zero-fills the rest. These tests hold it to the report that the real
// bytes give: checking the same prefix with nothing left out.

const xzSkip = skipUnlessTool("xz", ["--version"], "apt-get install xz-utils");

/**
 * A vmlinux-like ELF: 3 MiB of text, the notes (in a PT_NOTE and, by default, a
 * SHT_NOTE section), then 2 MiB of data, with the section headers at the end.
 */
function vmlinux(): Uint8Array {
  return buildElf({
    class: 64,
    entry: 0x1000000,
    segments: [
      { kind: "load", vaddr: 0x1000000, flags: "RX", data: new Uint8Array(3 << 20).map((_, i) => (i * 2654435761) >>> 24) },
      { kind: "note", notes: [{ name: "Xen", type: 18, desc: u32le(0x1000000) }, { name: "Xen", type: 6, desc: new TextEncoder().encode("linux\0") }] },
      { kind: "load", vaddr: 0x2000000, flags: "RW", data: new Uint8Array(2 << 20).fill(0x5a) },
    ],
  }).bytes;
}

/** Move the section header table to `at` (inside the text), as a linker script could. */
function moveSectionHeaders(elf: Uint8Array, at: number): Uint8Array {
  const out = elf.slice();
  const dv = new DataView(out.buffer);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  out.copyWithin(at, shoff, shoff + shentsize * shnum);
  dv.setBigUint64(0x28, BigInt(at), true);
  return out;
}

/** What the checks find in the first `n` bytes of `elf`, every byte supplied. */
function expected(elf: Uint8Array, n: number) {
  const prefix = elf.slice(0, n);
  return kernelFindings(readElf(prefix, { fileSize: Infinity }), prefix);
}

/** Whether check-image found a reader looking at a byte it had not kept (and so decoded again). */
function spyHoles(): () => boolean {
  const keepOnly = vi.spyOn(PrefixCollector.prototype, "keepOnly");
  const covers = vi.spyOn(PrefixCollector.prototype, "covers");
  return () => {
    expect(keepOnly).toHaveBeenCalled();
    return covers.mock.results.some((r) => r.value === false);
  };
}

describe("check-image's sparse vmlinux prefix", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.skipIf(xzSkip !== undefined)("gives the report of the full prefix when the notes lie past the text", async () => {
    const elf = vmlinux();
    const holes = spyHoles();
    const r = await checkImageBytes("vmlinuz", makeBzImage(compress("xz", elf), elf.length));
    expect(holes()).toBe(false);
    const n = r.bzimage!.decompressedBytes;
    expect(n).toBeGreaterThan(3 << 20);
    expect(n).toBeLessThan(elf.length - (1 << 20));
    const want = expected(elf, n);
    expect(r.verdict).toBe("valid");
    expect(r.entry).toBe(want.entry);
    expect(r.notes).toEqual(want.notes);
    expect(r.findings).toEqual(want.findings);
  });

  it.skipIf(xzSkip !== undefined)("reads a section header table that lies in the skipped text (decoding again, keeping every byte)", async () => {
    // The table at 1 MiB: past the 32 KiB kept at the start, before the notes. With
    // zeros read in its place, the note's section would be missing from `in`.
    const elf = moveSectionHeaders(vmlinux(), 1 << 20);
    const holes = spyHoles();
    const r = await checkImageBytes("vmlinuz", makeBzImage(compress("xz", elf), elf.length));
    expect(holes()).toBe(true);
    const want = expected(elf, r.bzimage!.decompressedBytes);
    expect(want.notes[0]!.in.some((where) => where.startsWith("section"))).toBe(true);
    expect(r.notes).toEqual(want.notes);
    expect(r.findings).toEqual(want.findings);
    expect(r.entry).toBe(want.entry);
  });

  it.skipIf(xzSkip !== undefined)("xz with reuseOutput writes every chunk into one buffer, with the same bytes", async () => {
    const elf = vmlinux();
    const xz = compress("xz", elf);
    const copies: Uint8Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const chunk of decompress("xz", xz, { maxOutput: 1 << 30, reuseOutput: true })) {
      buffers.add(chunk.buffer);
      copies.push(Uint8Array.prototype.slice.call(chunk));
    }
    expect(copies.length).toBeGreaterThan(4);
    expect(buffers.size).toBe(1);
    expect(Buffer.concat(copies).equals(Buffer.from(elf))).toBe(true);
  });
});
