import { describe, expect, it } from "vitest";
import { exampleCase, type ExampleSpec } from "../generators/exampleCase.js";
import { malformedFamilies } from "../generators/malformedKernelArb.js";
import { otherNoteArb } from "../generators/_internals/notes.js";
import { judge } from "../src/checks/judge.js";
import { GIB, MIB } from "../src/model/Capabilities.js";
import fc from "fast-check";
import { unexpectedVerdicts } from "./_support/expected.js";
import { suiteTargets } from "./_support/selection.js";

const BAD = new Set(["FAIL", "ERROR", "CRASH", "TIMEOUT"]);
const someNotes = fc.sample(otherNoteArb, { seed: 3, numRuns: 6 });

/** Each requirement's edges, as cases: what a generator reaches only by luck. */
const examples: [string, ExampleSpec][] = [
  ["plain", {}],
  ["elf32", { plan: { elfClass: 32, entryDescSize: 4 } }],
  ["elf64-desc4", { plan: { entryDescSize: 4 } }],
  ["entry-last-byte-of-stub-room", { plan: { entryFraction: 1 } }],
  ["entry-in-fourth-segment", { plan: { segments: [1, 2, 3, 4].map((k) => ({ gapPages: k, filesz: 4096 * k, tail: 100, flags: k === 4 ? "RX" : "RW" })), entrySegment: 3 } }],
  ["high-vaddr", { plan: { highVaddr: true } }],
  ["notes-p_align-8", { plan: { noteAlign: 8, notesBefore: someNotes.slice(0, 3), notesAfter: someNotes.slice(3) } }],
  ["three-note-segments", { plan: { noteSegments: 3, notesBefore: someNotes.slice(0, 2), notesAfter: someNotes.slice(2, 4) } }],
  ["notes-inside-load", { plan: { notesInLoad: true, notesBefore: someNotes.slice(0, 2) } }],
  ["no-section-headers", { plan: { sections: false } }],
  ["segment-tail-1MiB", { plan: { segments: [{ gapPages: 0, filesz: 64, tail: 1 << 20, flags: "RWX" }] } }],
  ["cmdline-absent", { cmdline: null }],
  ["cmdline-empty", { cmdline: "" }],
  ["cmdline-64KiB", { cmdline: "x".repeat(64 * 1024) }],
  ["cmdline-all-printable", { cmdline: Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join("") }],
  ["module-empty", { modules: [{ size: 0 }] }],
  ["module-16MiB", { modules: [{ size: 16 * MIB, cmdline: "initrd" }] }],
  ["eight-modules", { modules: Array.from({ length: 8 }, (_, i) => ({ size: 1000 * i + 1, cmdline: i % 2 ? `m${i}` : null })) }],
  ["module-cmdline-empty", { modules: [{ size: 10, cmdline: "" }] }],
  ["memory-32MiB", { memoryBytes: 32 * MIB }],
  ["memory-6GiB", { memoryBytes: 6 * GIB }],
  ["reloc-note-defaults", { plan: { reloc: { given: 0, alignLog2: 21, minMiB: 0, maxSlackMiB: null, beyondMemory: false } } }],
  ["reloc-note-all-values", { plan: { reloc: { given: 3, alignLog2: 12, minMiB: 4, maxSlackMiB: 8, beyondMemory: false } } }],
  ["reloc-needed", { plan: { reloc: { given: 2, alignLog2: 21, minMiB: 2, maxSlackMiB: null, beyondMemory: true } } }],
];

const targets = await suiteTargets();

for (const t of targets) {
  for (const variant of t.variants) {
    const caps = t.adapter.capabilities(variant);
    const fits = ([, s]: [string, ExampleSpec]): boolean =>
      (s.memoryBytes ?? 128 * MIB) <= caps.memory.max &&
      (s.modules?.length ?? 0) <= caps.maxModules &&
      (caps.moduleCmdlines || !(s.modules ?? []).some((m) => m.cmdline)) &&
      ((s.cmdline ?? "").length <= caps.maxCmdline) &&
      caps.elfClasses.includes(s.plan?.elfClass ?? 64) &&
      (caps.relocation || !s.plan?.reloc?.beyondMemory);
    describe.skipIf(t.skip !== undefined)(`${t.adapter.id}/${variant}: boundary cases`, () => {
      it.each(examples.filter(fits))("%s", async (name, spec) => {
        const c = exampleCase(name, spec);
        const obs = await t.adapter.boot(c, variant);
        const verdicts = judge(c, obs);
        const bad = unexpectedVerdicts(t.adapter.id, variant, c, verdicts);
        expect(bad.map((v) => `${v.requirement} ${v.status}: ${v.message}`)).toEqual([]);
        // A refusal or crash must be a known deviation (then pvh.load.accept-valid says so); else it failed above.
        if (obs.outcome !== "entered") expect(verdicts.some((v) => BAD.has(v.status))).toBe(true);
      });

      const refused = Object.entries(malformedFamilies).filter(([, f]) => f.refuse);
      it.skipIf(!caps.malformed).each(refused.map(([k, f]) => [k, f.requirement] as const))("malformed kernel %s (breaks %s) is refused", async (family) => {
        const c = exampleCase(family, { malformed: family as keyof typeof malformedFamilies });
        const obs = await t.adapter.boot(c, variant);
        const verdicts = judge(c, obs);
        const v = verdicts.find((x) => x.requirement === "pvh.load.refuse-invalid");
        if (v?.status !== "PASS") expect(unexpectedVerdicts(t.adapter.id, variant, c, verdicts).map((x) => `${x.requirement} ${x.status}: ${x.message}`)).toEqual([]);
      });
    });
  }
}
