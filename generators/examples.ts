import fc from "fast-check";
import type { BootCase } from "../src/model/BootCase.js";
import { GIB, MIB, type Capabilities } from "../src/model/Capabilities.js";
import { exampleCase, type ExampleSpec } from "./exampleCase.js";
import { malformedFamilies } from "./malformedKernelArb.js";
import { otherNoteArb } from "./_internals/notes.js";

const someNotes = fc.sample(otherNoteArb, { seed: 3, numRuns: 6 });

/** Each requirement's edges, as cases: what a generator reaches only by luck. */
export const boundaryExamples: readonly [string, ExampleSpec][] = [
  ["plain", {}],
  ["elf32", { plan: { elfClass: 32, entryDescSize: 4 } }],
  ["elf64-desc4", { plan: { entryDescSize: 4 } }],
  ["entry-last-byte-of-stub-room", { plan: { entryFraction: 1 } }],
  ["entry-in-fourth-segment", { plan: { segments: [1, 2, 3, 4].map((k) => ({ gapPages: k, filesz: 4096 * k, tail: 100, flags: k === 4 ? ("RX" as const) : ("RW" as const) })), entrySegment: 3 } }],
  ["high-vaddr", { plan: { highVaddr: true } }],
  ["notes-p_align-8", { plan: { noteAlign: 8, notesBefore: someNotes.slice(0, 3), notesAfter: someNotes.slice(3) } }],
  ["three-note-segments", { plan: { noteSegments: 3, notesBefore: someNotes.slice(0, 2), notesAfter: someNotes.slice(2, 4) } }],
  ["notes-inside-load", { plan: { notesInLoad: true, notesBefore: someNotes.slice(0, 2) } }],
  ["no-section-headers", { plan: { sections: false } }],
  ["segment-tail-1MiB", { plan: { segments: [{ gapPages: 0, filesz: 64, tail: 1 << 20, flags: "RWX" }] } }],
  ["cmdline-absent", { cmdline: null }],
  ["cmdline-empty", { cmdline: "" }],
  ["cmdline-4KiB", { cmdline: "y".repeat(4096) }],
  ["cmdline-64KiB", { cmdline: "x".repeat(64 * 1024) }],
  ["cmdline-all-printable", { cmdline: Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join("") }],
  ["module-empty", { modules: [{ size: 0 }] }],
  ["module-16MiB", { modules: [{ size: 16 * MIB, cmdline: "initrd" }] }],
  ["module-16MiB-no-cmdline", { modules: [{ size: 16 * MIB }] }],
  ["eight-modules", { modules: Array.from({ length: 8 }, (_, i) => ({ size: 1000 * i + 1, cmdline: i % 2 ? `m${i}` : null })) }],
  ["module-cmdline-empty", { modules: [{ size: 10, cmdline: "" }] }],
  ["memory-32MiB", { memoryBytes: 32 * MIB }],
  ["memory-6GiB", { memoryBytes: 6 * GIB }],
  ["reloc-note-defaults", { plan: { reloc: { given: 0, alignLog2: 21, minMiB: 0, maxSlackMiB: null, beyondMemory: false } } }],
  ["reloc-note-all-values", { plan: { reloc: { given: 3, alignLog2: 12, minMiB: 4, maxSlackMiB: 8, beyondMemory: false } } }],
  ["reloc-needed", { plan: { reloc: { given: 2, alignLog2: 21, minMiB: 2, maxSlackMiB: null, beyondMemory: true } } }],
];

function fits(caps: Capabilities, s: ExampleSpec): boolean {
  return (
    (s.memoryBytes ?? 128 * MIB) <= caps.memory.max &&
    (s.modules?.length ?? 0) <= caps.maxModules &&
    (caps.moduleCmdlines || !(s.modules ?? []).some((m) => m.cmdline)) &&
    (s.cmdline ?? "").length <= caps.maxCmdline &&
    caps.elfClasses.includes(s.plan?.elfClass ?? 64) &&
    (caps.relocation || !s.plan?.reloc?.beyondMemory)
  );
}

/**
 * The boundary examples an adapter with these capabilities can express, and (when it
 * takes malformed kernels) one kernel of each family a loader should refuse.
 */
export function examplesFor(caps: Capabilities): BootCase[] {
  const code = caps.entryCode ?? "halt";
  const out = boundaryExamples.filter(([, s]) => fits(caps, s)).map(([name, spec]) => exampleCase(name, { ...spec, plan: { ...spec.plan, entryCode: code } }));
  if (caps.malformed) {
    for (const [family, f] of Object.entries(malformedFamilies)) {
      if (f.refuse) out.push(exampleCase(`malformed-${family}`, { malformed: family as keyof typeof malformedFamilies }));
    }
  }
  return out.map((c, i) => ({ ...c, replay: { seed: 0, index: i, caseSeed: 0, example: c.id.replace(/^example-/, "") } }));
}
