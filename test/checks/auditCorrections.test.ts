import { describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { judge } from "../../src/checks/judge.js";
import type { BootCase } from "../../src/model/BootCase.js";
import type { Observation } from "../../src/model/Observation.js";
import type { Faults } from "../../src/reference/Faults.js";
import { referenceLoad } from "../../src/reference/referenceLoad.js";
import { loadSpec } from "../../src/spec/loadSpec.js";

/**
 * The judgements the audit of issue 12 corrected, each against the text (see the
 * catalogue's notes). Every case here got the other verdict before the correction:
 * a FAIL on state the text leaves open, or a level stronger than the text.
 */
const c: BootCase = exampleCase("audit", { cmdline: "console=ttyS0", modules: [{ size: 4096, cmdline: "m0" }], memoryBytes: 128 << 20 });
const load = (faults?: Faults): Observation => referenceLoad(c, faults ? { faults } : {});
const verdicts = (o: Observation): Map<string, string> => new Map(judge(c, o).map((v) => [v.requirement, `${v.status} ${v.code}`]));
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;
const CR0_PG = 1 << 31;

describe("audit of issue 12: CS's L bit", () => {
  it("L=1 with D=1 outside IA-32e mode (EFER.LMA clear, paging off) is a 32-bit segment: pvh.cpu.cs PASSes", () => {
    const v = verdicts(load({ cpu: (cpu) => void (cpu.segments.cs.l = 1) }));
    expect(v.get("pvh.cpu.cs")).toBe("PASS ok");
  });

  it("EFER.LME alone (the text leaves EFER open) does not make it 64-bit", () => {
    const v = verdicts(load({ cpu: (cpu) => void ((cpu.segments.cs.l = 1), (cpu.efer = EFER_LME)) }));
    expect(v.get("pvh.cpu.cs")).toBe("PASS ok");
  });

  it("L=1 with EFER.LMA set is 64-bit code: FAIL", () => {
    const v = verdicts(load({ cpu: (cpu) => void ((cpu.segments.cs.l = 1), (cpu.efer = EFER_LME | EFER_LMA), (cpu.cr0 = (cpu.cr0 | CR0_PG) >>> 0)) }));
    expect(v.get("pvh.cpu.cs")).toBe("FAIL cs-not-flat");
  });

  it("still judged: D=0 fails, and the accessed bit, G and the selector do not matter when the effective limit is 4 GiB", () => {
    expect(verdicts(load({ cpu: (cpu) => void (cpu.segments.cs.db = 0) })).get("pvh.cpu.cs")).toBe("FAIL cs-not-flat");
    const v = verdicts(load({ cpu: (cpu) => void Object.assign(cpu.segments.cs, { type: cpu.segments.cs.type ^ 1, g: 0, selector: 0x1234 & ~3 }) }));
    expect(v.get("pvh.cpu.cs")).toBe("PASS ok");
  });
});

describe("audit of issue 12: start_info flags", () => {
  it("SIF_MOD_START_PFN and the xen-pm byte are SIF flags xen.h defines: PASS", () => {
    expect(verdicts(load({ startInfo: (si) => void (si.flags |= 1 << 3) })).get("pvh.start-info.flags")).toBe("PASS ok");
    expect(verdicts(load({ startInfo: (si) => void (si.flags |= 0xff00) })).get("pvh.start-info.flags")).toBe("PASS ok");
  });

  it("a bit xen.h defines no flag for is not an SIF flag: FAIL, at the text's level (must)", () => {
    for (const bit of [5, 7, 16, 31]) {
      expect(verdicts(load({ startInfo: (si) => void (si.flags = (si.flags | (1 << bit)) >>> 0) })).get("pvh.start-info.flags"), `bit ${bit}`).toBe("FAIL flags-unknown");
    }
    expect(loadSpec().requirements.requirements.find((r) => r.id === "pvh.start-info.flags")!.level).toBe("must");
  });
});

describe("audit of issue 12: the memory map's order", () => {
  it("an unsorted map of disjoint entries: no guest relies on the order, so nothing FAILs", () => {
    const v = verdicts(load({ memmap: (m) => [m[1]!, m[0]!, ...m.slice(2)] }));
    expect([...v].filter(([, s]) => s.startsWith("FAIL"))).toEqual([]);
    expect(v.get("pvh.interop.memmap-disjoint")).toBe("PASS ok");
  });

  it("an empty entry at 0 after the others (qboot's last entry) overlaps nothing", () => {
    const v = verdicts(load({ memmap: (m) => [...m, { addr: 0n, size: 0n, type: 2, reserved: 0 }] }));
    expect(v.get("pvh.interop.memmap-disjoint")).toBe("PASS ok");
  });

  it("overlapping entries, sorted or not, FAIL pvh.interop.memmap-disjoint (FreeBSD drops the second)", () => {
    const grow = (m: { addr: bigint; size: bigint; type: number; reserved: number }[]) => m.map((e, i) => (i === 0 ? { ...e, size: e.size + 0x1000n + (m[1]!.addr - e.addr - e.size) } : e));
    expect(verdicts(load({ memmap: grow })).get("pvh.interop.memmap-disjoint")).toBe("FAIL memmap-overlap");
    expect(verdicts(load({ memmap: (m) => { const g = grow(m); return [g[1]!, g[0]!, ...g.slice(2)]; } })).get("pvh.interop.memmap-disjoint")).toBe("FAIL memmap-overlap");
  });

  it("pvh.interop.memmap-sorted is withdrawn and gets no verdict", () => {
    expect(loadSpec().requirements.requirements.find((r) => r.id === "pvh.interop.memmap-sorted")!.status).toBe("withdrawn");
    expect(verdicts(load()).has("pvh.interop.memmap-sorted")).toBe(false);
  });
});

describe("audit of issue 12: levels no stronger than the text", () => {
  it("a modlist entry's reserved field is a should (the text says reserved, not must be zero)", () => {
    const r = loadSpec().requirements.requirements.find((x) => x.id === "pvh.module.reserved")!;
    expect(r.level).toBe("should");
  });

  it("every should and must that the text does not state in words says so in its note, and every interop names who relies on it", () => {
    const reqs = loadSpec().requirements.requirements.filter((r) => r.status === "active");
    const guests = /Linux|FreeBSD|OVMF|Xen|QEMU|linux-loader|cloud-hypervisor|Firecracker/;
    expect(reqs.filter((r) => r.level === "interop" && !guests.test(`${r.statement} ${r.note ?? ""}`)).map((r) => r.id)).toEqual([]);
    // An interop requirement rests on a guest's or a loader's source, never on the normative text.
    expect(reqs.filter((r) => r.level === "interop" && /^(pvh\.pandoc|start_info\.h|elfnote\.h|xen\.h)#/.test(r.source)).map((r) => r.id)).toEqual([]);
  });
});
