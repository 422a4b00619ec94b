import { describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { bootData } from "../../src/checks/bootData.js";
import { judge } from "../../src/checks/judge.js";
import type { BootCase } from "../../src/model/BootCase.js";
import type { GuestMemory } from "../../src/model/GuestMemory.js";
import type { Observation } from "../../src/model/Observation.js";
import type { Faults } from "../../src/reference/Faults.js";
import { referenceLoad } from "../../src/reference/referenceLoad.js";

/**
 * A check must not PASS on evidence it could not read. Each case below hides part of
 * what a loader handed over, or points start_info at nothing, and demands that the
 * requirements concerned FAIL or are not applicable, never PASS, while a check that
 * can still see its evidence keeps judging it.
 */
const c = exampleCase("unreadable", { cmdline: "console=ttyS0 marker=1", modules: [{ size: 5000, cmdline: "mod0" }], memoryBytes: 128 << 20 });
const noCmdline: BootCase = { ...c, cmdline: null };

/** The observation with [start, end) unreadable, as memory a debugger or probe could not get. */
function hide(o: Observation, start: number, end: number): Observation {
  const m = o.memory!;
  const hit = (a: number, n: number): boolean => a < end && start < a + Math.max(n, 1);
  const memory: GuestMemory = {
    read: (a, n) => (hit(a, n) ? null : m.read(a, n)),
    has: (a, n) => !hit(a, n) && m.has(a, n),
    crc32: (a, n) => (hit(a, n) ? null : m.crc32(a, n)),
  };
  return { ...o, memory };
}

const status = (bc: BootCase, o: Observation): Map<string, string> => new Map(judge(bc, o).map((v) => [v.requirement, `${v.status} ${v.code}`]));
const load = (bc: BootCase, faults?: Faults): Observation => referenceLoad(bc, faults ? { faults } : {});

describe("checks do not pass on evidence they cannot read", () => {
  it("the unbroken observation passes them all (the baseline the others break)", () => {
    const v = status(c, load(c));
    for (const id of ["pvh.memmap.table", "pvh.memmap.types", "pvh.memmap.reserved", "pvh.cmdline.content", "pvh.module.cmdline", "pvh.layout.no-overlap", "pvh.start-info.in-ram", "pvh.interop.low-tables", "pvh.start-info.no-zero-address"]) {
      expect(v.get(id)!.startsWith("PASS"), id).toBe(true);
    }
  });

  it("memmap_paddr 0 with entries: the table FAILs and its contents are not judged", () => {
    const v = status(c, load(c, { startInfo: (si) => void (si.memmap_paddr = 0n) }));
    expect(v.get("pvh.memmap.table")).toBe("FAIL memmap-absent");
    expect(v.get("pvh.memmap.types")).toBe("SKIP not-applicable");
    expect(v.get("pvh.memmap.reserved")).toBe("SKIP not-applicable");
  });

  it("a map longer than the entries the checks decode: the whole table must be readable", () => {
    const o = load(c, { startInfo: (si) => void (si.memmap_entries = 5000) });
    const at = Number(bootData(o).info!.memmap_paddr);
    // Everything past the 4096 entries the checks decode is out of reach.
    const v = status(c, hide(o, at + 4096 * 24, 0xffff_ffff));
    expect(v.get("pvh.memmap.table")).toBe("FAIL memmap-unreadable");
  });

  it("a command line at an address that is not memory, none given: FAIL, not 'none handed over'", () => {
    const o = load(noCmdline, { startInfo: (si) => void (si.cmdline_paddr = 0xf000_0000n) });
    expect(status(noCmdline, o).get("pvh.cmdline.content")).toBe("FAIL cmdline-unreadable");
  });

  it("the given command line without a readable NUL after it: FAIL", () => {
    const o = load(c);
    const b = bootData(o);
    const nul = b.cmdline!.at + c.cmdline!.length;
    expect(status(c, hide(o, nul, nul + 1)).get("pvh.cmdline.content")).toBe("FAIL cmdline-unreadable");
  });

  it("modules given but no modlist entries: a module's command line is not judged, not passed", () => {
    const v = status(c, load(c, { startInfo: (si) => void (si.nr_modules = 0) }));
    expect(v.get("pvh.module.cmdline")).toBe("SKIP not-applicable");
    expect(v.get("pvh.modlist.count")).toBe("FAIL nr-modules");
  });

  it("a module command line that is not readable, none given: FAIL", () => {
    const bc: BootCase = { ...c, modules: c.modules.map((m) => ({ ...m, cmdline: null })) };
    const o = load(bc, { modules: (e) => void (e[0]!.cmdline_paddr = 0xf000_0000n) });
    expect(status(bc, o).get("pvh.module.cmdline")).toBe("FAIL module-cmdline");
  });

  it("an unreadable modlist: where the modules lie is unknown, so overlap and address 0 are not judged", () => {
    const o = load(c);
    const at = Number(bootData(o).info!.modlist_paddr);
    const v = status(c, hide(o, at, at + 32));
    expect(v.get("pvh.layout.no-overlap")).toBe("SKIP not-applicable");
    expect(v.get("pvh.start-info.no-zero-address")).toBe("SKIP not-applicable");
    expect(v.get("pvh.start-info.in-ram")).toBe("FAIL outside-ram");
  });

  it("no readable start_info: overlap FAILs like every start_info check", () => {
    const o = load(c, { cpu: (cpu) => void (cpu.ebx = 0xf000_0000) });
    expect(status(c, o).get("pvh.layout.no-overlap")).toBe("FAIL start-info-unreadable");
  });

  it("version 1 cut short by the end of memory: the memory map FAILs, version 0's pointers are still followed", () => {
    const o = load(c);
    const at = bootData(o).at;
    const cut = hide(o, at + 48, at + 56);
    const b = bootData(cut);
    expect(b.truncated).toBe(true);
    expect(b.modlist.entries).toHaveLength(1);
    expect(b.cmdline?.terminated).toBe(true);
    const v = status(c, cut);
    expect(v.get("pvh.memmap.table")).toBe("FAIL start-info-truncated");
    expect(v.get("pvh.interop.memmap-limit")).toBe("SKIP not-applicable");
    expect(v.get("pvh.module.content")!.startsWith("PASS")).toBe(true);
    expect(v.get("pvh.start-info.in-ram")).toBe("FAIL outside-ram");
  });

  it("start_info running off the end of RAM is not writable as a whole, though its first 48 bytes are", () => {
    const o = load(c);
    const at = bootData(o).at;
    const ram = [{ start: 0, end: at + 50 }];
    const cut: Observation = { ...hide(o, at + 50, 0xffff_ffff), ram };
    delete cut.writable;
    expect(bootData(cut).truncated).toBe(true);
    expect(status(c, cut).get("pvh.interop.start-info-writable")).toMatch(/^FAIL/);
  });

  it("an image without PHYS32_RELOC passes 'not moved' only when it is seen where it belongs", () => {
    expect(c.kernel.reloc).toBeNull();
    const o = load(c);
    expect(status(c, o).get("pvh.load.reloc-only-with-note")).toBe("PASS ok");
    const s = c.kernel.segments[0]!;
    expect(status(c, hide(o, s.paddr, s.paddr + s.filesz)).get("pvh.load.reloc-only-with-note")).toBe("SKIP not-applicable");
  });

  it("tables placed where the guest cannot read them still count for where they lie (above 1 GiB)", () => {
    const o = load(c, { startInfo: (si) => void (si.memmap_paddr = 0x5000_0000n) });
    expect(status(c, o).get("pvh.interop.low-tables")).toMatch(/^FAIL/);
  });

  it("no readable start_info: where the tables and strings lie is unknown, so the low-address needs are not judged (they passed before the audit of issue 12)", () => {
    const o = load(c, { cpu: (cpu) => void (cpu.ebx = 0xf000_0000) });
    const v = status(c, o);
    expect(v.get("pvh.interop.low-tables")).toBe("SKIP not-applicable");
    expect(v.get("pvh.interop.addresses-32bit")).toBe("SKIP not-applicable");
  });

  it("an unreadable modlist: module 0's address is unknown, so addresses-32bit is not judged, unless the command line already fails it", () => {
    const o = load(c);
    const at = Number(bootData(o).info!.modlist_paddr);
    expect(status(c, hide(o, at, at + 32)).get("pvh.interop.addresses-32bit")).toBe("SKIP not-applicable");
    const high = load(c, { startInfo: (si) => void (si.cmdline_paddr = 0x1_2000_0000n) });
    expect(status(c, hide(high, at, at + 32)).get("pvh.interop.addresses-32bit")).toMatch(/^FAIL above-4g/);
  });

  it("an unreadable modlist: whether the modules lie in RAM is unknown, so boot-data-reserved is not judged unless something else already fails it", () => {
    // The reference loader reserves its boot data; mark the map's RAM over everything to see a FAIL still found.
    const o = load(c);
    const at = Number(bootData(o).info!.modlist_paddr);
    expect(status(c, hide(o, at, at + 32)).get("pvh.interop.boot-data-reserved")).toBe("SKIP not-applicable");
    const asRam = load(c, { memmap: (m) => m.map((e) => ({ ...e, type: 1 })) });
    const at2 = Number(bootData(asRam).info!.modlist_paddr);
    expect(status(c, hide(asRam, at2, at2 + 32)).get("pvh.interop.boot-data-reserved")).toMatch(/^FAIL boot-data-in-ram/);
  });
});
