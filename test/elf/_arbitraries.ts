import fc from "fast-check";
import { ELF } from "../../src/elf/ELF.js";
import type { ElfSpec, NoteInput, NoteSectionSpec, SegmentSpec } from "../../src/elf/buildElf.js";

export const SEED = 0x5eed_e1f;

// Owners whose descriptors readelf prints as raw bytes. Anything readelf
// decodes specially (GNU other than build-id, CORE, stapsdt, GA*, names
// starting with * $ ! +) is left out so the cross-check can compare bytes.
const plainOwner = fc.constantFrom("Xen", "Linux", "PVH", "ACME", "Test", "Xen.longer-owner-name");

export const noteArb: fc.Arbitrary<NoteInput> = fc.oneof(
  fc.record({
    name: plainOwner,
    type: fc.oneof(fc.constant(ELF.XEN_ELFNOTE_PHYS32_ENTRY), fc.integer({ min: 0, max: 0xffffffff })),
    desc: fc.uint8Array({ maxLength: 48 }),
  }),
  // namesz 0: readelf would treat types 0x100/0x101 as GNU build attributes.
  fc.record({
    name: fc.constant(""),
    type: fc.integer({ min: 0, max: 0xff }),
    desc: fc.uint8Array({ maxLength: 16 }),
  }),
  fc.record({ name: fc.constant("GNU"), type: fc.constant(3), desc: fc.uint8Array({ minLength: 1, maxLength: 20 }) }),
);

function addr(cls: 32 | 64): fc.Arbitrary<bigint> {
  return cls === 32
    ? fc.bigInt({ min: 0n, max: 0xffff_ffffn })
    : fc.oneof(fc.bigInt({ min: 0n, max: 0xffff_ffffn }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
}

export function segmentArb(cls: 32 | 64): fc.Arbitrary<SegmentSpec> {
  const load = fc
    .record({
      vaddr: addr(cls),
      paddr: fc.option(addr(cls), { nil: undefined }),
      flags: fc.integer({ min: 0, max: 7 }),
      align: fc.constantFrom(0n, 1n, 4n, 16n, 256n, 0x1000n),
      data: fc.uint8Array({ maxLength: 64 }),
      extra: fc.integer({ min: 0, max: 0x10000 }),
    })
    .map(
      ({ extra, ...r }): SegmentSpec => ({
        kind: "load",
        ...r,
        // Keeps vaddr + memsz meaningful in ELF32 (the writer rejects values that do not fit).
        memsz: BigInt(r.data.length + extra),
      }),
    );
  const note = fc
    .record({
      notes: fc.array(noteArb, { maxLength: 6 }),
      align: fc.constantFrom(0n, 1n, 2n, 4n, 4n, 8n, 8n),
      vaddr: addr(cls),
      section: fc.constantFrom(true, true, true, false),
    })
    .map((r): SegmentSpec => ({ kind: "note", ...r }));
  const other = fc
    .record({
      type: fc.constantFrom(ELF.PT_GNU_STACK, ELF.PT_NULL),
      flags: fc.integer({ min: 0, max: 7 }),
      align: fc.constantFrom(0n, 1n, 16n),
    })
    .map((r): SegmentSpec => ({ kind: "other", ...r }));
  return fc.oneof({ weight: 3, arbitrary: load }, { weight: 3, arbitrary: note }, { weight: 1, arbitrary: other });
}

const noteSectionArb: fc.Arbitrary<NoteSectionSpec> = fc.record({
  notes: fc.array(noteArb, { maxLength: 5 }),
  padding: fc.constantFrom(4 as const, 8 as const),
});

export const specArb: fc.Arbitrary<ElfSpec> = fc.constantFrom(32 as const, 64 as const).chain((cls) =>
  fc
    .record({
      data: fc.constantFrom("lsb" as const, "lsb" as const, "lsb" as const, "msb" as const),
      entry: addr(cls),
      segments: fc.array(segmentArb(cls), { maxLength: 6 }),
      // Per segment: odd = embed this note segment in a load (as vmlinux does), picking load n/2.
      embed: fc.array(fc.nat({ max: 15 }), { minLength: 6, maxLength: 6 }),
      sections: fc.constantFrom("auto" as const, "none" as const),
      noteSections: fc.array(noteSectionArb, { maxLength: 2 }),
    })
    .map(({ embed, ...r }): ElfSpec => {
      const loads = r.segments.flatMap((s, i) => (s.kind === "load" ? [i] : []));
      const segments = r.segments.map((s, i): SegmentSpec => {
        const e = embed[i] ?? 0;
        if (s.kind !== "note" || loads.length === 0 || e % 2 === 0) return s;
        const { vaddr: _ignored, ...rest } = s;
        return { ...rest, inLoad: loads[(e >> 1) % loads.length]! };
      });
      return { class: cls, ...r, segments, noteSections: r.sections === "auto" ? r.noteSections : [] };
    }),
);

/** The readelf-style name: C string semantics (up to the first NUL). */
export function cName(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString("latin1");
}
