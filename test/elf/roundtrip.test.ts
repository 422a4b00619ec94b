import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildElf, type ElfLayout, type NoteLayout } from "../../src/elf/buildElf.js";
import { ELF } from "../../src/elf/ELF.js";
import { elfBytesNeeded } from "../../src/elf/elfBytesNeeded.js";
import type { ElfFile, ElfNote } from "../../src/elf/elfTypes.js";
import { readElf } from "../../src/elf/readElf.js";
import { SEED, specArb } from "./_arbitraries.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function sameNotes(actual: ElfNote[], expected: NoteLayout[]): void {
  expect(
    actual.map((n) => ({ offset: n.offset, namesz: n.namesz, descsz: n.descsz, type: n.type, name: hex(n.nameBytes), desc: hex(n.desc) })),
  ).toEqual(
    expected.map((n) => ({ offset: n.offset, namesz: n.namesz, descsz: n.descsz, type: n.type, name: hex(n.nameBytes), desc: hex(n.desc) })),
  );
}

function checkAgainstLayout(elf: ElfFile, layout: ElfLayout, bytes: Uint8Array): void {
  expect(elf.header.class).toBe(layout.class);
  expect(elf.header.littleEndian).toBe(layout.littleEndian);
  expect(elf.problems).toEqual([]);
  expect(elf.programHeaders.length).toBe(layout.segments.length);
  layout.segments.forEach((s, i) => {
    const p = elf.programHeaders[i]!;
    expect({
      type: p.type,
      flags: p.flags,
      offset: p.offset,
      filesz: p.filesz,
      memsz: p.memsz,
      vaddr: p.vaddr,
      paddr: p.paddr,
      align: p.align,
    }).toEqual({
      type: s.type,
      flags: s.flags,
      offset: BigInt(s.offset),
      filesz: BigInt(s.filesz),
      memsz: s.memsz,
      vaddr: s.vaddr,
      paddr: s.paddr,
      align: s.align,
    });
    // What loaders check: p_offset = p_vaddr (mod p_align).
    if (s.align > 1n && (s.align & (s.align - 1n)) === 0n) {
      expect(BigInt(s.offset) % s.align).toBe(s.vaddr % s.align);
    }
  });

  expect(elf.sectionTable).toBe(layout.sections.length > 0 ? "ok" : "absent");
  expect(elf.sectionHeaders.map((h) => [h.name, h.type, h.offset, h.size, h.addr, h.flags, h.addralign])).toEqual(
    layout.sections.map((s) => [s.name, s.type, BigInt(s.offset), BigInt(s.size), s.addr, s.flags, s.addralign]),
  );

  const noteSegments = layout.segments.filter((s) => s.type === ELF.PT_NOTE);
  expect(elf.segmentNotes.map((r) => r.source)).toEqual(noteSegments.map((s) => ({ kind: "segment", index: s.index })));
  elf.segmentNotes.forEach((r, i) => {
    expect(r.problems).toEqual([]);
    expect(r.align).toBe(noteSegments[i]!.padding);
    sameNotes(r.notes, noteSegments[i]!.notes);
  });
  const noteSections = layout.sections.filter((s) => s.type === ELF.SHT_NOTE);
  expect(elf.sectionNotes.map((r) => r.source)).toEqual(
    noteSections.map((s) => ({ kind: "section", index: s.index, name: s.name })),
  );
  elf.sectionNotes.forEach((r, i) => {
    expect(r.problems).toEqual([]);
    sameNotes(r.notes, noteSections[i]!.notes);
  });

  for (const s of layout.segments) {
    if (s.kind === "load") expect(bytes.subarray(s.offset, s.offset + s.filesz).length).toBe(s.filesz);
  }
}

describe("buildElf -> readElf round trip", () => {
  it("reads back every field the writer laid out", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const { bytes, layout } = buildElf(spec);
        checkAgainstLayout(readElf(bytes), layout, bytes);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("is deterministic", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        expect(Buffer.from(buildElf(spec).bytes).equals(Buffer.from(buildElf(spec).bytes))).toBe(true);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("keeps load contents at their file offsets", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const { bytes, layout } = buildElf(spec);
        (spec.segments ?? []).forEach((s, i) => {
          if (s.kind !== "load") return;
          const l = layout.segments[i]!;
          expect(hex(bytes.subarray(l.offset, l.offset + s.data.length))).toBe(hex(s.data));
        });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe("elfBytesNeeded", () => {
  it("converges on a prefix from which readElf sees the same segments and notes", () => {
    fc.assert(
      fc.property(specArb, fc.boolean(), (spec, knownSize) => {
        const { bytes } = buildElf(spec);
        const opts = knownSize ? { fileSize: bytes.length } : {};
        let len = 0;
        let last = -1;
        for (let steps = 0; ; steps++) {
          expect(steps).toBeLessThan(10);
          const r = elfBytesNeeded(bytes.subarray(0, len), opts);
          if ("error" in r) throw r.error;
          expect(r.need).toBeGreaterThanOrEqual(last);
          last = r.need;
          if (r.done) break;
          expect(r.need).toBeGreaterThan(len);
          expect(r.need).toBeLessThanOrEqual(bytes.length);
          len = r.need;
        }
        const full = readElf(bytes);
        const prefix = readElf(bytes.subarray(0, len), { fileSize: knownSize ? bytes.length : Infinity });
        expect(prefix.header).toEqual(full.header);
        expect(prefix.programHeaders).toEqual(full.programHeaders);
        expect(prefix.segmentNotes).toEqual(full.segmentNotes);
        // Whatever the prefix could not show is "need-more", never a malformation.
        for (const p of [...prefix.problems, ...prefix.sectionNotes.flatMap((r) => r.problems)]) {
          expect(p.code).toBe("need-more");
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("asks for the ident, then the header, then the tables", () => {
    const { bytes } = buildElf({
      class: 64,
      segments: [
        { kind: "load", vaddr: 0x100000, data: new Uint8Array(5000), align: 16 },
        { kind: "note", notes: [{ name: "Xen", type: 18, desc: new Uint8Array(8) }], align: 8 },
      ],
    });
    expect(elfBytesNeeded(bytes.subarray(0, 0))).toEqual({ need: 16, done: false });
    expect(elfBytesNeeded(bytes.subarray(0, 16))).toEqual({ need: 64, done: false });
    expect(elfBytesNeeded(bytes.subarray(0, 64))).toEqual({ need: 64 + 2 * 56, done: false });
    const r = elfBytesNeeded(bytes.subarray(0, 64 + 2 * 56));
    expect(r).toEqual({ need: readElf(bytes).segmentNotes.map((n) => Number(n.offset + n.size))[0], done: false });
    expect(elfBytesNeeded(bytes)).toMatchObject({ done: true });
  });

  it("reports a non-ELF prefix at once", () => {
    const r = elfBytesNeeded(new Uint8Array([0x7f, 0x45, 0x4c, 0x00]));
    expect("error" in r && r.error.code).toBe("bad-magic");
  });
});

describe("note layout details", () => {
  const desc5 = new Uint8Array([1, 2, 3, 4, 5]);

  it("pads ELF64 p_align 8 notes the binutils way: name at 12, desc and next record 8-aligned", () => {
    const { bytes, layout } = buildElf({
      class: 64,
      segments: [{ kind: "note", align: 8, notes: [{ name: "Xen", type: 18, desc: desc5 }, { name: "GNU", type: 3, desc: desc5 }] }],
    });
    const seg = layout.segments[0]!;
    expect(seg.offset % 8).toBe(0);
    expect(seg.notes.map((n) => [n.offset - seg.offset, n.descOffset - seg.offset, n.size])).toEqual([
      [0, 16, 24],
      [24, 40, 24],
    ]);
    const r = readElf(bytes).segmentNotes[0]!;
    expect(r.align).toBe(8);
    expect(r.notes.map((n) => [n.name, n.type, hex(n.desc)])).toEqual([
      ["Xen", 18, "0102030405"],
      ["GNU", 3, "0102030405"],
    ]);
  });

  it("walks with the padding readelf would use, whatever the writer used", () => {
    // p_align 8 but 4-byte padded records: a real-world mistake. The second record is misread.
    const { bytes } = buildElf({
      class: 64,
      sections: "none",
      segments: [{ kind: "note", align: 8, padding: 4, notes: [{ name: "Linux", type: 18, desc: desc5 }, { name: "Xen", type: 1, desc: desc5 }] }],
    });
    const r = readElf(bytes).segmentNotes[0]!;
    expect(r.align).toBe(8);
    // "Linux\0" ends at 18: 4-padding puts the desc at 20, 8-padding looks for it at 24.
    expect(r.notes[0]?.descOffset).toBe(r.notes[0]!.offset + 24);
    expect(hex(r.notes[0]!.desc)).not.toBe(hex(desc5));
  });

  it("reports raw names without a terminator and embedded NULs faithfully", () => {
    const enc = new TextEncoder();
    const { bytes } = buildElf({
      class: 32,
      segments: [
        {
          kind: "note",
          notes: [
            { raw: { type: 18, nameBytes: enc.encode("Xen") } },
            { raw: { type: 18, nameBytes: enc.encode("Xen\0\0\0\0\0") } },
            { name: "", type: 7, desc: new Uint8Array([9]) },
          ],
        },
      ],
    });
    const notes = readElf(bytes).segmentNotes[0]!.notes;
    expect(notes.map((n) => [n.name, n.nameTerminated, n.namesz])).toEqual([
      ["Xen", false, 3],
      ["Xen\0\0\0\0", true, 8],
      ["", false, 0],
    ]);
  });

  it("finds notes that only live in SHT_NOTE sections", () => {
    const { bytes } = buildElf({
      class: 64,
      segments: [{ kind: "load", vaddr: 0x1000000, data: new Uint8Array(16) }],
      noteSections: [{ name: ".note.Xen", notes: [{ name: "Xen", type: 18, desc: new Uint8Array([0, 0, 0, 1]) }] }],
    });
    const elf = readElf(bytes);
    expect(elf.segmentNotes).toEqual([]);
    expect(elf.sectionNotes.map((r) => [r.source, r.notes.map((n) => n.name)])).toEqual([
      [{ kind: "section", index: 2, name: ".note.Xen" }, ["Xen"]],
    ]);
  });

  it("embeds notes in a load the way vmlinux does", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const { bytes, layout } = buildElf(spec);
        const elf = readElf(bytes);
        (spec.segments ?? []).forEach((s, i) => {
          if (s.kind !== "note" || s.inLoad === undefined) return;
          const note = elf.programHeaders[i]!;
          const load = elf.programHeaders[s.inLoad]!;
          expect(note.offset).toBeGreaterThanOrEqual(load.offset);
          expect(note.offset + note.filesz).toBeLessThanOrEqual(load.offset + load.filesz);
          expect(load.memsz).toBeGreaterThanOrEqual(load.filesz);
          const delta = note.offset - load.offset;
          const wrap = layout.class === 32 ? 1n << 32n : 1n << 64n;
          expect(note.vaddr).toBe((load.vaddr + delta) % wrap);
        });
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("lays loads out congruent to vaddr without padding to large boundaries", () => {
    const { layout } = buildElf({
      class: 64,
      segments: [
        { kind: "load", vaddr: 0xffffffff81000123n, paddr: 0x1000123, align: 0x1000, data: new Uint8Array(10) },
        { kind: "load", vaddr: 0x2000, align: 16, data: new Uint8Array(10) },
      ],
    });
    const [a, b] = layout.segments;
    expect(a!.offset % 0x1000).toBe(0x123);
    expect(a!.offset).toBeLessThan(0x1000 + 0x123);
    expect(b!.offset % 16).toBe(0);
    expect(layout.fileSize).toBeLessThan(0x1400);
  });
});
