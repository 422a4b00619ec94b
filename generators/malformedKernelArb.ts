import fc from "fast-check";
import type { NoteInput } from "../src/elf/buildElf.js";
import type { BootCase } from "../src/model/BootCase.js";
import { MIB, type Capabilities } from "../src/model/Capabilities.js";
import { buildKernel, kernelPlanArb, type Sabotage } from "./kernelArb.js";
import { numericDesc, u32le } from "./_internals/notes.js";

const enc = new TextEncoder();
const BSS_EXTRA = 0x10000;

export interface MalformedFamily {
  sabotage: Sabotage;
  /** The kernel-side requirement check-image must flag as an error. */
  requirement: string;
  /** Whether the loader-side refusal requirement covers it (a loader should refuse to boot it). */
  refuse: boolean;
}

const entryNote = (desc: Uint8Array): NoteInput => ({ name: "Xen", type: 18, desc });

/**
 * Kernels broken in one way each, matching check-image's findings. Loaders are fed
 * the `refuse` families for pvh.load.refuse-invalid; check-image's tests use all.
 */
export const malformedFamilies: Record<string, MalformedFamily> = {
  "no-entry-note": { requirement: "pvh.note.entry.present", refuse: true, sabotage: { family: "no-entry-note", notes: (n, i) => void n.splice(i, 1) } },
  "entry-owner-case": {
    requirement: "pvh.note.owner", refuse: true,
    sabotage: { family: "entry-owner-case", notes: (n, i, c) => void (n[i] = { name: "XEN", type: 18, desc: numericDesc(BigInt(c.entry), 4) }) },
  },
  "entry-owner-unterminated": {
    requirement: "pvh.note.owner", refuse: true,
    sabotage: { family: "entry-owner-unterminated", notes: (n, i, c) => void (n[i] = { raw: { type: 18, nameBytes: enc.encode("Xen"), desc: numericDesc(BigInt(c.entry), 4) } }) },
  },
  "entry-desc-size": {
    requirement: "pvh.note.entry.size", refuse: true,
    sabotage: { family: "entry-desc-size", notes: (n, i, c) => void (n[i] = entryNote(numericDesc(BigInt(c.entry), 8).subarray(0, 2))) },
  },
  "entry-desc-16": {
    requirement: "pvh.note.entry.size", refuse: true,
    sabotage: { family: "entry-desc-16", notes: (n, i, c) => void (n[i] = entryNote(Uint8Array.from([...numericDesc(BigInt(c.entry), 8), 0, 0, 0, 0, 0, 0, 0, 0]))) },
  },
  "entry-above-4g": {
    requirement: "pvh.note.entry.below-4g", refuse: true,
    sabotage: { family: "entry-above-4g", notes: (n, i, c) => void (n[i] = entryNote(numericDesc(BigInt(c.entry) + (1n << 32n), 8))) },
  },
  "entry-outside-image": {
    requirement: "pvh.note.entry.loaded", refuse: true,
    sabotage: { family: "entry-outside-image", notes: (n, i, c) => void (n[i] = entryNote(numericDesc(BigInt(c.end + 16 * MIB), 4))) },
  },
  "entry-in-bss": {
    requirement: "pvh.note.entry.loaded", refuse: true,
    sabotage: {
      family: "entry-in-bss",
      segments: (loads, c) => {
        // The last segment: growing its tail cannot run into a later one.
        const s = loads[loads.length - 1]!;
        s.memsz = BigInt(s.data.length + BSS_EXTRA);
      },
      // Near the end of the grown tail, clear of any notes embedded after the file bytes.
      notes: (n, i, c) => void (n[i] = entryNote(numericDesc(BigInt(c.loads.at(-1)!.paddr + c.loads.at(-1)!.filesz + BSS_EXTRA - 16), 4))),
    },
  },
  "entry-not-executable": {
    requirement: "pvh.note.entry.executable", refuse: false,
    sabotage: { family: "entry-not-executable", segments: (loads, c) => void (loads[c.entrySegment]!.flags = "RW") },
  },
  "note-overflow": {
    requirement: "pvh.note.record", refuse: true,
    sabotage: { family: "note-overflow", notes: (n, i, c) => void (n[i] = { raw: { type: 18, nameBytes: enc.encode("Xen\0"), desc: numericDesc(BigInt(c.entry), 4), descsz: 0x7fff0000 } }) },
  },
  truncated: {
    requirement: "pvh.image.elf", refuse: true,
    sabotage: { family: "truncated", bytes: (b) => b.slice(0, Math.min(b.length, 0x50)) },
  },
  "not-elf": {
    requirement: "pvh.image.elf", refuse: true,
    sabotage: {
      family: "not-elf",
      bytes: (b) => {
        const out = b.slice();
        out[1] = 0x58; // "\x7fXLF": no longer the ELF magic
        return out;
      },
    },
  },
  "reloc-align": {
    requirement: "pvh.note.reloc.align", refuse: false,
    sabotage: { family: "reloc-align", notes: (n) => void n.push({ name: "Xen", type: 19, desc: u32le(0x3000) }) },
  },
  "reloc-min-above-max": {
    requirement: "pvh.note.reloc.range", refuse: false,
    sabotage: { family: "reloc-min-above-max", notes: (n) => void n.push({ name: "Xen", type: 19, desc: u32le(0x200000, 0x4000000, 0x2000000) }) },
  },
  "reloc-no-fit": {
    requirement: "pvh.note.reloc.range", refuse: false,
    sabotage: { family: "reloc-no-fit", notes: (n, _i, c) => void n.push({ name: "Xen", type: 19, desc: u32le(0x200000, 0x200000, 0x200000 + Math.max(0, c.end - c.base - 0x1000)) }) },
  },
  "reloc-format": {
    requirement: "pvh.note.reloc.format", refuse: false,
    sabotage: { family: "reloc-format", notes: (n) => void n.push({ name: "Xen", type: 19, desc: u32le(0x200000, 0, 0xffffffff, 7) }) },
  },
};

/** A kernel of one malformed family (any family when none is named). */
export function malformedKernelArb(caps: Capabilities, families = Object.keys(malformedFamilies)) {
  return fc
    .tuple(fc.constantFrom(...families), kernelPlanArb({ ...caps, relocation: false }))
    .map(([family, plan]) => buildKernel({ ...plan, reloc: family.startsWith("reloc") ? null : plan.reloc }, { limit: 64 * MIB, memoryBytes: 128 * MIB }, malformedFamilies[family]!.sabotage))
    .filter((k): k is NonNullable<typeof k> => k !== undefined);
}

/** A boot case whose kernel a loader should refuse (families with refuse: true). */
export function malformedCaseArb(caps: Capabilities): fc.Arbitrary<Omit<BootCase, "id" | "replay">> {
  const families = Object.entries(malformedFamilies).filter(([, f]) => f.refuse).map(([k]) => k);
  return malformedKernelArb(caps, families).map((k) => ({
    kernel: k.facts,
    kernelImage: k.image,
    memoryBytes: Math.max(caps.memory.min, 128 * MIB),
    cmdline: "malformed",
    modules: [],
  }));
}
