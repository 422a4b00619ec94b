import fc from "fast-check";
import { analyzeKernel } from "../src/checkImage/analyzeKernel.js";
import { buildElf, type ElfPatcher, type LoadSegmentSpec, type NoteInput, type SegmentSpec } from "../src/elf/buildElf.js";
import type { KernelFacts } from "../src/model/BootCase.js";
import type { Capabilities } from "../src/model/Capabilities.js";
import { moduleBytes } from "../src/model/moduleBytes.js";
import { fillProbeParams } from "../probe/fillProbeParams.js";
import { entryStub, type EntryCode } from "./entryStub.js";
import { segmentFacts } from "../src/model/segmentFacts.js";
import type { GeneratedKernel } from "./GeneratedKernel.js";
import { numericDesc, otherNoteArb, u32le } from "./_internals/notes.js";

const MIB = 0x10_0000;
const PAGE = 0x1000;
const FOUR_GIB = 0x1_0000_0000;
const NOTE_ROOM = 0x10000;

/** Where a kernel may go: [1 MiB, limit) of guest-physical memory. */
export interface KernelRoom {
  /** Exclusive end of the physical range the image must fit in when loaded at p_paddr. */
  limit: number;
  /** The guest's memory size (relocation cases place the image beyond it). */
  memoryBytes: number;
}

interface SegmentPlan {
  gapPages: number;
  filesz: number;
  tail: number;
  flags: "R" | "RW" | "RX" | "RWX";
}

export interface KernelPlan {
  elfClass: 32 | 64;
  segments: SegmentPlan[];
  baseFraction: number;
  entrySegment: number;
  entryFraction: number;
  entryDescSize: 4 | 8;
  notesBefore: NoteInput[];
  notesAfter: NoteInput[];
  noteSegments: number;
  noteAlign: 4 | 8;
  notesInLoad: boolean;
  sections: boolean;
  highVaddr: boolean;
  dataSeed: number;
  reloc: null | { given: 0 | 1 | 2 | 3; alignLog2: number; minMiB: number; maxSlackMiB: number | null; beyondMemory: boolean };
  /** What runs at the entry (default "halt"); "probe" grows the entry segment to hold the probe. kernelPlanArb never sets it. */
  entryCode?: EntryCode;
}

const segmentArb: fc.Arbitrary<SegmentPlan> = fc.record({
  gapPages: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 65, max: 4096 }) }),
  filesz: fc.oneof({ weight: 16, arbitrary: fc.integer({ min: 16, max: 4096 }) }, { weight: 6, arbitrary: fc.integer({ min: 4097, max: 65536 }) }, { weight: 1, arbitrary: fc.integer({ min: 65537, max: 1 << 20 }) }),
  tail: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 12, arbitrary: fc.integer({ min: 1, max: 8192 }) }, { weight: 1, arbitrary: fc.integer({ min: 8193, max: 1 << 20 }) }),
  flags: fc.constantFrom("R", "RW", "RX", "RWX"),
});

export function kernelPlanArb(caps: Capabilities): fc.Arbitrary<KernelPlan> {
  return fc.record({
    elfClass: fc.constantFrom(...caps.elfClasses),
    segments: fc.array(segmentArb, { minLength: 1, maxLength: 4 }),
    baseFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    entrySegment: fc.nat(3),
    entryFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    entryDescSize: fc.constantFrom(4 as const, 8 as const),
    notesBefore: fc.array(otherNoteArb, { maxLength: 4 }),
    notesAfter: fc.array(otherNoteArb, { maxLength: 4 }),
    noteSegments: fc.integer({ min: 1, max: 3 }),
    noteAlign: fc.constantFrom(4 as const, 8 as const),
    notesInLoad: fc.boolean(),
    sections: fc.boolean(),
    highVaddr: fc.boolean(),
    dataSeed: fc.nat(),
    reloc: fc.option(
      fc.record({
        given: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
        alignLog2: fc.integer({ min: 12, max: 22 }),
        minMiB: fc.integer({ min: 0, max: 16 }),
        maxSlackMiB: fc.option(fc.integer({ min: 0, max: 64 }), { freq: 2 }),
        beyondMemory: caps.relocation ? fc.boolean() : fc.constant(false),
      }),
      { freq: 3 },
    ),
  });
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** What a malformed-kernel family changes while the kernel is built. */
export interface Sabotage {
  family: string;
  /** Change the note list; `entryIndex` is where the PHYS32_ENTRY note is. */
  notes?(notes: NoteInput[], entryIndex: number, ctx: SabotageContext): void;
  segments?(loads: LoadSegmentSpec[], ctx: SabotageContext): void;
  patch?(p: ElfPatcher): void;
  bytes?(image: Uint8Array): Uint8Array;
}

export interface SabotageContext {
  entry: number;
  entrySegment: number;
  /** Physical start and exclusive end of the image. */
  base: number;
  end: number;
  loads: { paddr: number; filesz: number; memsz: number }[];
}

/**
 * Build the kernel a plan describes, inside the room given. Returns undefined when
 * the plan cannot fit (the caller's arbitrary filters those out). With a sabotage,
 * the result is malformed on purpose and its facts name the family.
 */
export function buildKernel(plan: KernelPlan, room: KernelRoom, sabotage?: Sabotage): GeneratedKernel | undefined {
  const n = plan.segments.length;
  const entryIdx = plan.entrySegment % n;
  const stub = entryStub(plan.entryCode);
  // Lay segments out relative to 0, page-aligned starts, gaps between them.
  const rel: { start: number; filesz: number; memsz: number; flags: string }[] = [];
  let cursor = 0;
  for (const s of plan.segments) {
    const start = alignUp(cursor, PAGE) + s.gapPages * PAGE * (rel.length ? 1 : 0);
    // The probe is larger than most generated segments: its segment grows to hold it.
    const filesz = plan.entryCode === "probe" && rel.length === entryIdx ? Math.max(s.filesz, stub.length) : s.filesz;
    rel.push({ start, filesz, memsz: filesz + s.tail, flags: s.flags });
    cursor = start + filesz + s.tail;
  }
  const span = cursor;
  // The entry segment is executable; the stub fits in its file bytes.
  const entrySeg = rel[entryIdx]!;
  if (!entrySeg.flags.includes("X")) entrySeg.flags += "X";
  if (entrySeg.filesz < stub.length) return undefined;
  const entryOff = Math.floor(plan.entryFraction * (entrySeg.filesz - stub.length));

  const r = plan.reloc;
  const align = r ? 2 ** r.alignLog2 : PAGE;
  let base: number;
  if (r?.beyondMemory) {
    // Linked above the guest's memory: only relocation can boot it.
    const lo = alignUp(room.memoryBytes + 16 * MIB, align);
    if (lo + span > FOUR_GIB - 16 * MIB) return undefined;
    base = lo + alignUp(Math.floor(plan.baseFraction * (FOUR_GIB - 16 * MIB - lo - span)), align) ;
    if (base + span > FOUR_GIB - 16 * MIB) base = lo;
  } else {
    const lo = MIB;
    const hi = room.limit - span;
    if (hi < lo) return undefined;
    base = lo + Math.floor((plan.baseFraction * (hi - lo)) / PAGE) * PAGE;
  }

  const notes: NoteInput[] = [...plan.notesBefore];
  if (r) {
    // Values the note leaves out take their defaults (elfnote.h): min 0, max 0xffffffff,
    // and align the largest PT_LOAD p_align, which is `align` here.
    const min = r.given >= 2 ? r.minMiB * MIB : 0;
    const start = alignUp(Math.max(min, MIB), align);
    // NOTE_ROOM: notes embedded in the last segment make the image a little longer than `span`.
    const max = r.given >= 3 && r.maxSlackMiB !== null ? Math.min(0xffffffff, start + span - 1 + NOTE_ROOM + r.maxSlackMiB * MIB) : 0xffffffff;
    if (start + span > room.limit) return undefined;
    if (!r.beyondMemory && (base < min || base + span - 1 > max)) {
      // Linked where the note would not allow: keep the plan honest by linking at the first allowed address.
      base = start;
    }
    notes.push({ name: "Xen", type: 19, desc: u32le(...[align, min, max].slice(0, r.given)) });
  }

  const entry = base + entrySeg.start + entryOff;
  notes.splice(plan.notesBefore.length, 0, { name: "Xen", type: 18, desc: numericDesc(BigInt(entry), plan.entryDescSize) });
  notes.push(...plan.notesAfter);
  const vbase = plan.highVaddr ? (plan.elfClass === 64 ? 0xffffffff80000000n : 0xc0000000n) : 0n;
  const segments: SegmentSpec[] = rel.map((s, i) => {
    const data = moduleBytes(plan.dataSeed + i, s.filesz).slice();
    if (i === entryIdx) data.set(stub, entryOff);
    const paddr = BigInt(base + s.start);
    // p_align: a power of two the segment's address honours (the reloc alignment when it has one).
    return { kind: "load" as const, vaddr: vbase + paddr, paddr, flags: s.flags, align: r ? BigInt(align) : BigInt(PAGE), data, memsz: BigInt(s.memsz) };
  });
  if (plan.elfClass === 32 && plan.highVaddr && base + span > 0x40000000) return undefined;
  const ctx: SabotageContext = {
    entry,
    entrySegment: entryIdx,
    base,
    end: base + span,
    loads: rel.map((x) => ({ paddr: base + x.start, filesz: x.filesz, memsz: x.memsz })),
  };
  sabotage?.notes?.(notes, plan.notesBefore.length, ctx);
  sabotage?.segments?.(segments as LoadSegmentSpec[], ctx);
  const groups = Math.max(1, Math.min(plan.noteSegments, notes.length));
  const per = Math.ceil(notes.length / groups);
  const noteAlign = plan.elfClass === 64 ? plan.noteAlign : 4;
  for (let g = 0; g < groups; g++) {
    const slice = notes.slice(g * per, (g + 1) * per);
    if (slice.length === 0) continue;
    segments.push({ kind: "note", notes: slice, align: noteAlign, ...(plan.notesInLoad && g === 0 ? { inLoad: n - 1 } : {}) });
  }
  let built;
  try {
    built = buildElf({
      class: plan.elfClass,
      entry: vbase + BigInt(entry),
      segments,
      sections: plan.sections ? "auto" : "none",
      ...(plan.entryCode === "probe" ? { patch: (p: ElfPatcher) => (fillProbe(p, entryIdx, entryOff, entry), sabotage?.patch?.(p)) } : sabotage?.patch ? { patch: sabotage.patch } : {}),
    });
  } catch {
    return undefined;
  }
  const image = sabotage?.bytes ? sabotage.bytes(built.bytes) : built.bytes;
  return { image, facts: factsOf(image, sabotage?.family ?? null) };
}

/** Tell the probe at the entry about the image's loads as laid out (embedded notes can grow a load). */
function fillProbe(p: ElfPatcher, entryIdx: number, entryOff: number, entry: number): void {
  const loads = p.layout.segments.filter((s) => s.type === 1 && s.memsz > 0n);
  const at = p.layout.segments[entryIdx]!.offset + entryOff;
  fillProbeParams(p.bytes, at, entry, loads.map((s) => ({ paddr: Number(s.paddr), filesz: s.filesz, memsz: Number(s.memsz) })));
}

/** The facts of an image as the checks need them, read back from the image itself. */
export function factsOf(image: Uint8Array, malformed: string | null): KernelFacts {
  const a = analyzeKernel(image);
  if (!a.ok) {
    if (!malformed) throw a.error;
    return { elfClass: image[4] === 1 ? 32 : 64, entry: 0, segments: [], reloc: null, malformed };
  }
  const { elf, facts: k } = a;
  const segments = segmentFacts(elf, image);
  if (!malformed) {
    const errors = k.findings.filter((f) => f.severity === "error");
    if (errors.length || k.entry === null) throw new Error(`generator built an invalid kernel: ${errors.map((f) => f.message).join("; ")}`);
  }
  return { elfClass: elf.header.class, entry: k.entry ?? 0, segments, reloc: k.reloc, malformed };
}
