import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bootCaseArb } from "../../generators/bootCaseArb.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { malformedFamilies } from "../../generators/malformedKernelArb.js";
import { u32le } from "../../generators/_internals/notes.js";
import { referenceAdapter } from "../../adapters/reference/referenceAdapter.js";
import { checkImageBytes } from "../../src/checkImage/checkImage.js";
import { buildElf } from "../../src/elf/buildElf.js";
import { ELF } from "../../src/elf/ELF.js";
import { loadSpec } from "../../src/spec/loadSpec.js";

const caps = referenceAdapter.capabilities("v1");

describe("check-image on generated kernels", () => {
  it("valid generated kernels are valid, with the entry the generator wrote (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(bootCaseArb(caps), async (c) => {
        const r = await checkImageBytes("gen.elf", c.kernelImage);
        expect(r.findings.filter((f) => f.severity === "error")).toEqual([]);
        expect(r.verdict).toBe("valid");
        expect(r.entry).toBe(c.kernel.entry);
        expect(r.format).toBe(c.kernel.elfClass === 32 ? "elf32" : "elf64");
        expect(r.notes.some((n) => n.owner === "Xen" && n.name === "PHYS32_ENTRY")).toBe(true);
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  const levelOf = (id: string): string => loadSpec().requirements.requirements.find((r) => r.id === id)!.level;
  const families = Object.entries(malformedFamilies).map(([k, f]) => [k, f.requirement] as const);

  it.each(families.filter(([, req]) => levelOf(req) === "must"))("malformed family %s is invalid with an error against %s", async (family, requirement) => {
    for (const elfClass of [32, 64] as const) {
      const c = exampleCase(family, { malformed: family as keyof typeof malformedFamilies, plan: { elfClass, entryDescSize: 8 } });
      const r = await checkImageBytes(`${family}.elf`, c.kernelImage);
      expect(r.verdict, JSON.stringify(r.findings)).toBe("invalid");
      expect(r.findings.filter((f) => f.severity === "error").map((f) => f.requirement)).toContain(requirement);
    }
  });

  it.each(families.filter(([, req]) => levelOf(req) !== "must"))("malformed family %s is valid with a warning against %s (not a must)", async (family, requirement) => {
    for (const elfClass of [32, 64] as const) {
      const c = exampleCase(family, { malformed: family as keyof typeof malformedFamilies, plan: { elfClass, entryDescSize: 8 } });
      const r = await checkImageBytes(`${family}.elf`, c.kernelImage);
      expect(r.verdict, JSON.stringify(r.findings)).toBe("valid");
      expect(r.findings.filter((f) => f.severity === "warning").map((f) => f.requirement)).toContain(requirement);
    }
  });

  it("an entry in a segment without PF_X is a warning, and the image is valid (the text names no permission)", async () => {
    const { bytes } = buildElf({
      class: 64,
      segments: [{ kind: "load", vaddr: 0x100000, flags: "RW", data: new Uint8Array(64) }, { kind: "note", notes: [{ name: "Xen", type: 18, desc: u32le(0x100000) }] }],
    });
    const r = await checkImageBytes("rw.elf", bytes);
    expect(r.findings.map((f) => [f.requirement, f.severity])).toEqual([["pvh.note.entry.executable", "warning"]]);
    expect(r.verdict).toBe("valid");
  });

  it("e_machine: EM_386 and EM_X86_64 are x86 in either class (CLOUDHV.fd is ELF64 with EM_386); any other machine is invalid", async () => {
    const image = (cls: 32 | 64, machine: number) =>
      buildElf({
        class: cls,
        machine,
        segments: [{ kind: "load", vaddr: 0x100000, flags: "RX", data: new Uint8Array(64) }, { kind: "note", notes: [{ name: "Xen", type: 18, desc: u32le(0x100000) }] }],
      }).bytes;
    for (const cls of [32, 64] as const) {
      for (const machine of [ELF.EM_386, ELF.EM_X86_64]) {
        const r = await checkImageBytes("x86.elf", image(cls, machine));
        expect(r.findings, `class ${cls} machine ${machine}`).toEqual([]);
        expect(r.verdict).toBe("valid");
      }
      for (const machine of [0, 40, 183, 243]) {
        const r = await checkImageBytes("other.elf", image(cls, machine));
        expect(r.verdict, `class ${cls} machine ${machine}`).toBe("invalid");
        expect(r.findings.map((f) => [f.requirement, f.severity, f.code])).toEqual([["pvh.image.machine", "error", "not-x86"]]);
        expect(r.entry).toBe(0x100000);
      }
    }
    const r = await checkImageBytes("arm64.elf", image(64, 183));
    expect(r.findings[0]!.message).toContain("183 (EM_AARCH64)");
  });

  it("a PHYS32_ENTRY note only in a section (no PT_NOTE) is valid but warned about", async () => {
    const desc = u32le(0x100000);
    const { bytes } = buildElf({
      class: 64,
      entry: 0x100000,
      segments: [{ kind: "load", vaddr: 0x100000, flags: "RX", data: new Uint8Array(64) }],
      noteSections: [{ name: ".note.Xen", notes: [{ name: "Xen", type: 18, desc }] }],
    });
    const r = await checkImageBytes("section.elf", bytes);
    expect(r.verdict).toBe("valid");
    expect(r.entry).toBe(0x100000);
    expect(r.findings.map((f) => [f.requirement, f.severity])).toEqual([
      ["pvh.note.in-pt-note", "warning"],
      ["pvh.note.in-pt-note.vmm", "warning"],
    ]);
  });

  it("two PHYS32_ENTRY notes that disagree are flagged (interop)", async () => {
    const { bytes } = buildElf({
      class: 32,
      segments: [
        { kind: "load", vaddr: 0x100000, flags: "RX", data: new Uint8Array(64) },
        { kind: "note", notes: [{ name: "Xen", type: 18, desc: u32le(0x100000) }, { name: "Xen", type: 18, desc: u32le(0x100010) }] },
      ],
    });
    const r = await checkImageBytes("two.elf", bytes);
    expect(r.findings.map((f) => f.requirement)).toEqual(["pvh.note.entry.unique"]);
    expect(r.verdict).toBe("valid");
  });

  it("never throws on any prefix or any byte mutation of an image, and always gives a verdict", async () => {
    const c = exampleCase("hostile", { plan: { notesBefore: [{ name: "GNU", type: 3, desc: new Uint8Array(20) }] } });
    const img = c.kernelImage;
    for (let n = 0; n < img.length; n += Math.max(1, Math.floor(img.length / 300))) {
      const r = await checkImageBytes("prefix", img.subarray(0, n));
      expect(["valid", "invalid"]).toContain(r.verdict);
    }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(img.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }), async (edits) => {
        const b = img.slice();
        for (const [at, v] of edits) b[at] = v;
        const r = await checkImageBytes("mutated", b);
        expect(["valid", "invalid"]).toContain(r.verdict);
      }),
      { seed: 12, numRuns: 1500 },
    );
  });

  it("a multiboot header (either version, valid checksum) is an interop warning; a bad checksum is no header", async () => {
    const withHeader = (words: number[], at: number): Uint8Array => {
      const { bytes } = buildElf({
        class: 32,
        segments: [{ kind: "load", vaddr: 0x100000, flags: "RX", data: new Uint8Array(64) }, { kind: "note", notes: [{ name: "Xen", type: 18, desc: u32le(0x100000) }] }],
      });
      const out = new Uint8Array(Math.max(bytes.length, at + 64));
      out.set(bytes);
      out.set(u32le(...words), at);
      return out;
    };
    const mb1 = withHeader([0x1badb002, 3, (0 - 0x1badb002 - 3) >>> 0], 0x400);
    const mb2 = withHeader([0xe85250d6, 0, 24, (0 - 0xe85250d6 - 0 - 24) >>> 0], 0x1000);
    const bad = withHeader([0x1badb002, 3, 12345], 0x400);
    for (const [img, want] of [[mb1, ["pvh.image.no-multiboot"]], [mb2, ["pvh.image.no-multiboot"]], [bad, []]] as const) {
      const r = await checkImageBytes("mb.elf", img);
      expect(r.findings.map((f) => f.requirement)).toEqual(want);
      expect(r.verdict).toBe("valid");
    }
  });

  it("an empty file and a file of garbage are invalid, not errors", async () => {
    for (const b of [new Uint8Array(0), new Uint8Array(3), new TextEncoder().encode("#!/bin/sh\necho not a kernel\n")]) {
      const r = await checkImageBytes("junk", b);
      expect(r.verdict).toBe("invalid");
      expect(r.findings[0]!.requirement).toBe("pvh.image.elf");
    }
  });
});
