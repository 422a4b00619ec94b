import { describe, expect, it } from "vitest";
import { planText, vmmPlan, PlanError } from "../../adapters/linux-loader/vmmPlan.js";
import { HarnessMemory } from "../../adapters/linux-loader/HarnessMemory.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { crc32 } from "node:zlib";

const MIB = 1 << 20;
const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

describe("the harness's VMM plan (this project's choices, not linux-loader's)", () => {
  it("puts the boot data in the low window and the modules beside the kernel, never over it", () => {
    const c = exampleCase("p", { cmdline: "x".repeat(64 * 1024), modules: [{ size: 5 * MIB, cmdline: "m0" }, { size: 7 }], memoryBytes: 48 * MIB });
    const p = vmmPlan(c);
    const kernel = c.kernel.segments.map((s) => ({ start: s.paddr, end: s.paddr + s.memsz }));
    for (const b of p.bootData) for (const k of kernel) expect(overlaps(b, k), `${JSON.stringify(b)} over ${JSON.stringify(k)}`).toBe(false);
    for (let i = 0; i < p.bootData.length; i++) for (let j = i + 1; j < p.bootData.length; j++) expect(overlaps(p.bootData[i]!, p.bootData[j]!)).toBe(false);
    expect(p.bootData[0]!.end).toBeLessThanOrEqual(0x9f000);
    for (const m of p.modules) expect(m.at % 0x1000).toBe(0);
    expect(p.ram).toEqual([{ start: 0, end: 48 * MIB }]);
  });

  it("moves a module below a kernel segment at the top of RAM", () => {
    const c = exampleCase("top", { memoryBytes: 32 * MIB, modules: [{ size: 1 * MIB }] });
    const top = Math.max(...c.kernel.segments.map((s) => s.paddr + s.memsz));
    const p = vmmPlan({ ...c, kernel: { ...c.kernel, segments: [...c.kernel.segments, { ...c.kernel.segments[0]!, paddr: 32 * MIB - 0x3000, memsz: 0x3000, filesz: 0 }] } });
    expect(p.modules[0]!.at + MIB).toBeLessThanOrEqual(32 * MIB - 0x3000);
    expect(top).toBeLessThan(32 * MIB);
  });

  it("refuses what it cannot place, as a PlanError", () => {
    const c = exampleCase("big", { memoryBytes: 32 * MIB, modules: [{ size: 1 }] });
    expect(() => vmmPlan(c)).not.toThrow();
    expect(() => vmmPlan({ ...c, modules: [{ ...c.modules[0]!, size: 40 * MIB }] })).toThrow(PlanError);
    expect(() => vmmPlan({ ...c, modules: Array.from({ length: 9 }, () => c.modules[0]!) })).toThrow(PlanError);
    // A valid kernel in the boot data window would be overwritten: refused, never loaded over.
    const low = { ...c, kernel: { ...c.kernel, segments: [{ ...c.kernel.segments[0]!, paddr: 0x9000 }] } };
    expect(() => vmmPlan(low)).toThrow(/boot data window/);
    expect(() => vmmPlan({ ...low, kernel: { ...low.kernel, malformed: "entry-in-bss" } })).not.toThrow();
  });

  it("writes the command line as hex, so any byte survives the line format", () => {
    const c = exampleCase("hex", { cmdline: "a b\nc", modules: [{ size: 10, cmdline: "m" }] });
    const text = planText(c, vmmPlan(c), { kernel: "/k", modules: ["/m0"] });
    expect(text).toContain(`cmdline ${vmmPlan(c).cmdline} ${Buffer.from("a b\nc").toString("hex")}\n`);
    expect(text).toMatch(/^module \d+ \d+ \/m0$/m);
    expect(text).toMatch(/^hash \d+ 10$/m);
    expect(text.split("\n").filter((l) => l.startsWith("e820")).length).toBe(3);
  });
});

describe("HarnessMemory: the pages the harness printed, zeros elsewhere in RAM", () => {
  const page = new Uint8Array(4096).fill(7);
  const mem = new HarnessMemory([{ addr: 0x1000, data: page }], [{ addr: 0x10000, len: 0x2100, crc32: 1234 }], [{ start: 0, end: 0x20000 }]);

  it("answers printed bytes, zeros for untouched RAM, null outside RAM", () => {
    expect(mem.read(0xffe, 4)).toEqual(new Uint8Array([0, 0, 7, 7]));
    expect(mem.read(0x3000, 2)).toEqual(new Uint8Array(2));
    expect(mem.read(0x1ffff, 2)).toBeNull();
    expect(mem.has(0x20000, 0)).toBe(true);
    expect(mem.crc32(0x1000, 4096)).toBe(crc32(page) >>> 0);
  });

  it("knows a hashed range by its CRC only: its inner pages are not zeros", () => {
    expect(mem.crc32(0x10000, 0x2100)).toBe(1234);
    expect(mem.read(0x10000, 1)).toBeNull();
    expect(mem.read(0x11fff, 1)).toBeNull();
    // The last, partial page is printed in full by the harness (not wholly inside the range): here untouched.
    expect(mem.read(0x12000, 4)).toEqual(new Uint8Array(4));
  });
});
