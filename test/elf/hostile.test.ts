import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildElf, type ElfSpec } from "../../src/elf/buildElf.js";
import { ELF } from "../../src/elf/ELF.js";
import { elfBytesNeeded } from "../../src/elf/elfBytesNeeded.js";
import { ElfError, type ElfErrorCode } from "../../src/elf/ElfError.js";
import type { ElfFile } from "../../src/elf/elfTypes.js";
import { readElf } from "../../src/elf/readElf.js";
import { EHDR, PHDR, SHDR } from "../../src/elf/_internals/structs.js";
import { SEED, specArb } from "./_arbitraries.js";

const MALFORMED: readonly ElfErrorCode[] = ["truncated", "bad-magic", "bad-class", "bad-data", "bad-phentsize", "phdr-out-of-bounds"];

/** Runs the reader; anything thrown that is not an ElfError fails the test. */
function attempt(bytes: Uint8Array, fileSize?: number): ElfFile | ElfError {
  try {
    return readElf(bytes, fileSize === undefined ? {} : { fileSize });
  } catch (e) {
    if (e instanceof ElfError) return e;
    throw e;
  }
}

const xen = (desc: number[]) => ({ name: "Xen", type: ELF.XEN_ELFNOTE_PHYS32_ENTRY, desc: new Uint8Array(desc) });

function kernelLike(cls: 32 | 64): ElfSpec {
  return {
    class: cls,
    entry: 0x1000000,
    segments: [
      { kind: "load", vaddr: 0x1000000, data: new Uint8Array(300).fill(0x90), memsz: 0x4000, flags: "RX", align: 64 },
      { kind: "load", vaddr: 0x2000000, data: new Uint8Array(40).fill(1), flags: "RW", align: 64 },
      { kind: "note", align: 4, notes: [xen([0, 0, 0, 1]), { name: "GNU", type: 3, desc: new Uint8Array(20) }, { name: "Linux", type: 0x100, desc: new Uint8Array(3) }] },
      { kind: "note", align: 8, notes: [xen([1, 2, 3, 4, 5, 6, 7, 8]), { name: "", type: 9, desc: new Uint8Array(1) }] },
      { kind: "other", type: ELF.PT_GNU_STACK, flags: "RW" },
    ],
    noteSections: [{ notes: [xen([9, 9, 9, 9])], padding: 8 }],
  };
}

describe("hostile input: truncation", () => {
  const images = [
    buildElf(kernelLike(32)).bytes,
    buildElf(kernelLike(64)).bytes,
    buildElf({ ...kernelLike(64), data: "msb" }).bytes,
    buildElf({ ...kernelLike(64), sections: "none", noteSections: [] }).bytes,
    ...fc.sample(specArb, { seed: SEED + 2, numRuns: 12 }).map((s) => buildElf(s).bytes),
  ];

  it("every prefix either parses or raises a malformation ElfError", () => {
    for (const img of images) {
      for (let len = 0; len <= img.length; len++) {
        const r = attempt(img.subarray(0, len));
        if (r instanceof ElfError) expect(MALFORMED).toContain(r.code);
        const n = elfBytesNeeded(img.subarray(0, len));
        expect("error" in n).toBe(false);
      }
    }
  });

  it("every prefix read with the real file size is only ever short of bytes, never malformed", () => {
    for (const img of images) {
      for (let len = 0; len <= img.length; len++) {
        const r = attempt(img.subarray(0, len), img.length);
        if (r instanceof ElfError) {
          expect(r.code).toBe("need-more");
          expect(r.need).toBeGreaterThan(len);
          expect(r.need).toBeLessThanOrEqual(img.length);
          continue;
        }
        const problems = [...r.problems, ...[...r.segmentNotes, ...r.sectionNotes].flatMap((x) => x.problems)];
        for (const p of problems) expect(p.code).toBe("need-more");
      }
    }
  });
});

describe("hostile input: mutation", () => {
  const bases = [buildElf(kernelLike(32)).bytes, buildElf(kernelLike(64)).bytes, buildElf({ ...kernelLike(64), sections: "none", noteSections: [] }).bytes];

  it("random byte mutations parse or raise ElfError", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bases.length - 1 }),
        fc.array(
          fc.record({
            // Most damage is interesting in the headers, so aim there half the time.
            pos: fc.oneof(fc.integer({ min: 0, max: 0x180 }), fc.integer({ min: 0, max: 1 << 20 })),
            byte: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80, 1, 4, 8), fc.integer({ min: 0, max: 255 })),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        (which, muts) => {
          const img = bases[which]!.slice();
          for (const m of muts) img[m.pos % img.length] = m.byte;
          attempt(img);
          attempt(img.subarray(0, img.length >> 1), img.length);
          const n = elfBytesNeeded(img);
          if ("error" in n) expect(n.error).toBeInstanceOf(ElfError);
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("header fields set to extreme values parse or raise ElfError", () => {
    const extreme = (width: number) =>
      fc.oneof(
        fc.constantFrom(0n, 1n, 4n, 8n, (1n << BigInt(width * 8)) - 1n, (1n << BigInt(width * 8 - 1)) - 1n),
        fc.bigInt({ min: 0n, max: (1n << BigInt(width * 8)) - 1n }),
      );
    const fieldEdit = (cls: 32 | 64) =>
      fc.oneof(
        fc.constantFrom(...EHDR[cls].order.filter((f) => f.kind === "uint")).chain((f) =>
          extreme(f.width).map((v) => ({ where: "ehdr" as const, index: 0, field: f.name, value: v })),
        ),
        fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom(...PHDR[cls].order)).chain(([i, f]) =>
          extreme(f.width).map((v) => ({ where: "phdr" as const, index: i, field: f.name, value: v })),
        ),
        fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...SHDR[cls].order)).chain(([i, f]) =>
          extreme(f.width).map((v) => ({ where: "shdr" as const, index: i, field: f.name, value: v })),
        ),
      );
    const arb = fc
      .constantFrom(32 as const, 64 as const)
      .chain((cls) => fc.tuple(fc.constant(cls), fc.array(fieldEdit(cls), { minLength: 1, maxLength: 4 })));
    fc.assert(
      fc.property(arb, ([cls, edits]) => {
        const { bytes } = buildElf({
          ...kernelLike(cls),
          patch: (p) => {
            for (const e of edits) {
              if (e.where === "ehdr") p.ehdr(e.field as never, e.value);
              else if (e.where === "phdr") p.phdr(e.index, e.field as never, e.value);
              else p.shdr(e.index, e.field as never, e.value);
            }
          },
        });
        attempt(bytes);
        attempt(bytes.subarray(0, 200), bytes.length);
        attempt(bytes.subarray(0, 200), Infinity);
        elfBytesNeeded(bytes);
        elfBytesNeeded(bytes.subarray(0, 100));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("stops at the note budget when thousands of PT_NOTE segments overlap one big region", () => {
    // 1 MiB of zero words is 87381 empty notes; 2000 segments all point at it.
    const { bytes } = buildElf({
      class: 64,
      sections: "none",
      segments: [{ kind: "load", vaddr: 0, data: new Uint8Array(1 << 20), align: 1 }],
      patch: (p) => p.ehdr("e_phnum", 1),
    });
    const phnum = 2000;
    const big = new Uint8Array(bytes.length + phnum * PHDR[64].size);
    big.set(bytes);
    const table = bytes.length;
    const view = new DataView(big.buffer);
    for (let i = 0; i < phnum; i++) {
      const at = table + i * PHDR[64].size;
      view.setUint32(at + PHDR[64].fields.p_type.offset, ELF.PT_NOTE, true);
      view.setBigUint64(at + PHDR[64].fields.p_offset.offset, 0x1000n, true);
      view.setBigUint64(at + PHDR[64].fields.p_filesz.offset, BigInt(1 << 20) - 0x1000n, true);
      view.setBigUint64(at + PHDR[64].fields.p_align.offset, 4n, true);
    }
    view.setBigUint64(EHDR[64].fields.e_phoff.offset, BigInt(table), true);
    view.setUint16(EHDR[64].fields.e_phnum.offset, phnum, true);
    big.fill(0, 0x1000, 1 << 20);
    // The work is bounded by the note budget, not by how many segments repeat the region.
    const elf = readElf(big, { maxNotes: 100_000 });
    expect(elf.segmentNotes.length).toBe(phnum);
    expect(elf.segmentNotes.reduce((n, r) => n + r.notes.length, 0)).toBe(100_000);
    expect(elf.problems.map((p) => p.code)).toEqual(["note-limit"]);
  });
});

describe("hostile input: specific malformations", () => {
  const base = (over: Partial<ElfSpec> = {}) => buildElf({ ...kernelLike(64), ...over });
  const code = (bytes: Uint8Array): string => {
    const r = attempt(bytes);
    return r instanceof ElfError ? r.code : "ok";
  };

  it("rejects what is not an ELF file header", () => {
    expect(code(base({ overrides: { ident: { ei_mag: new Uint8Array([0x7f, 0x45, 0x4c, 0x47]) } } }).bytes)).toBe("bad-magic");
    expect(code(new Uint8Array([0x4d, 0x5a]))).toBe("bad-magic");
    expect(code(new Uint8Array([]))).toBe("truncated");
    expect(code(base({ overrides: { ident: { ei_class: 3 } } }).bytes)).toBe("bad-class");
    expect(code(base({ overrides: { ident: { ei_class: 0 } } }).bytes)).toBe("bad-class");
    expect(code(base({ overrides: { ident: { ei_data: 0 } } }).bytes)).toBe("bad-data");
    expect(code(base().bytes.subarray(0, 40))).toBe("truncated");
    expect(code(base().bytes.subarray(0, 63))).toBe("truncated");
  });

  it("reads an ELF64 image labelled ELF32 as ELF32 without crashing", () => {
    const r = attempt(base({ overrides: { ident: { ei_class: ELF.ELFCLASS32 } } }).bytes);
    if (!(r instanceof ElfError)) expect(r.header.class).toBe(32);
  });

  it("rejects program header tables it cannot read", () => {
    const b = base();
    expect(code(base({ overrides: { ehdr: { e_phoff: b.bytes.length } } }).bytes)).toBe("phdr-out-of-bounds");
    expect(code(base({ overrides: { ehdr: { e_phoff: (1n << 64n) - 8n } } }).bytes)).toBe("phdr-out-of-bounds");
    expect(code(base({ overrides: { ehdr: { e_phnum: 0xfffe } } }).bytes)).toBe("phdr-out-of-bounds");
    expect(code(base({ overrides: { ehdr: { e_phentsize: 8 } } }).bytes)).toBe("bad-phentsize");
    expect(code(b.bytes.subarray(0, b.layout.phoff + 56 * 2 + 3))).toBe("phdr-out-of-bounds");
    // A larger entry size is a stride, not an error (readelf accepts it too).
    expect(code(base({ overrides: { ehdr: { e_phentsize: 57, e_phnum: 2 } } }).bytes)).toBe("ok");
  });

  it("reports note regions outside the file, without overflowing", () => {
    const b = base({ sections: "none", noteSections: [] });
    const past = readElf(base({ sections: "none", noteSections: [], overrides: { phdrs: { 2: { p_filesz: b.bytes.length } } } }).bytes);
    expect(past.segmentNotes[0]!.problems.map((p) => p.code)).toEqual(["note-region-out-of-bounds"]);
    expect(past.segmentNotes[1]!.notes.length).toBe(2);
    const wrap = readElf(
      base({ sections: "none", noteSections: [], overrides: { phdrs: { 2: { p_offset: (1n << 64n) - 4n, p_filesz: 8 } } } }).bytes,
    );
    expect(wrap.segmentNotes[0]!.problems.map((p) => p.code)).toEqual(["note-region-out-of-bounds"]);
  });

  it("reports malformed records and keeps the ones before them", () => {
    const elf = readElf(
      base({
        sections: "none",
        noteSections: [],
        segments: [
          {
            kind: "note",
            notes: [xen([1, 0, 0, 0]), { raw: { type: 18, nameBytes: new TextEncoder().encode("Xen\0"), namesz: 0xffffffff } }, xen([2, 0, 0, 0])],
          },
        ],
      }).bytes,
    );
    const r = elf.segmentNotes[0]!;
    expect(r.notes.map((n) => n.desc[0])).toEqual([1]);
    expect(r.problems).toMatchObject([{ code: "note-name-overflow", offset: r.offset + 20n }]);
  });

  it("keeps program headers and segment notes when the section table is broken", () => {
    const b = base();
    for (const [over, expected] of [
      [{ ehdr: { e_shoff: b.bytes.length } }, "shdr-out-of-bounds"],
      [{ ehdr: { e_shoff: (1n << 64n) - 1n } }, "shdr-out-of-bounds"],
      [{ ehdr: { e_shnum: 0xffff } }, "shdr-out-of-bounds"],
      [{ ehdr: { e_shentsize: 10 } }, "bad-shentsize"],
      [{ ehdr: { e_shnum: 0, e_shoff: b.bytes.length - 8 } }, "shdr-out-of-bounds"],
      [{ ehdr: { e_shstrndx: 99 } }, "bad-shstrndx"],
      [{ shdrs: { [b.layout.shstrndx]: { sh_offset: b.bytes.length } } }, "shstrtab-out-of-bounds"],
      [{ shdrs: { 1: { sh_name: 0xfffffff } } }, "section-name-out-of-bounds"],
    ] as const) {
      const elf = readElf(base({ overrides: over }).bytes);
      expect(elf.problems.map((p) => p.code)).toContain(expected);
      expect(elf.programHeaders.length).toBe(5);
      expect(elf.segmentNotes.map((r) => r.notes.length)).toEqual([3, 2]);
    }
  });

  it("follows extended numbering through section header 0", () => {
    const b = base();
    const xnum = readElf(base({ overrides: { ehdr: { e_phnum: ELF.PN_XNUM }, shdrs: { 0: { sh_info: 5 } } } }).bytes);
    expect(xnum.counts.phnum).toBe(5);
    expect(xnum.programHeaders.length).toBe(5);
    const shnum = readElf(
      base({ overrides: { ehdr: { e_shnum: 0, e_shstrndx: ELF.SHN_XINDEX }, shdrs: { 0: { sh_size: b.layout.sections.length, sh_link: b.layout.shstrndx } } } })
        .bytes,
    );
    expect(shnum.sectionHeaders.map((s) => s.name)).toEqual(b.layout.sections.map((s) => s.name));
    expect(shnum.problems).toEqual([]);
  });

  it("rejects a declared padding readelf would refuse, region by region", () => {
    const elf = readElf(base({ overrides: { phdrs: { 2: { p_align: 16 } } }, sections: "none", noteSections: [] }).bytes);
    expect(elf.segmentNotes.map((r) => [r.align, r.problems.map((p) => p.code)])).toEqual([
      [undefined, ["note-bad-align"]],
      [8, []],
    ]);
  });
});
