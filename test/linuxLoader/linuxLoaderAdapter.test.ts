import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { liveChildren } from "../../adapters/_internals/children.js";
import { harness } from "../../adapters/linux-loader/harnessBuild.js";
import { LinuxLoaderHarnessError, linuxLoaderAdapter, runHarness, UNJUDGEABLE } from "../../adapters/linux-loader/linuxLoaderAdapter.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { malformedFamilies } from "../../generators/malformedKernelArb.js";
import { judge } from "../../src/checks/judge.js";
import type { BootCase } from "../../src/model/BootCase.js";
import type { Verdict } from "../../src/model/Verdict.js";
import { inCI } from "../_support/requireTool.js";

const MIB = 1 << 20;
let unavailable: string | undefined;

beforeAll(async () => {
  // The real build: Debian sid's crates from the corpus cache, rustup's cargo, offline.
  const av = await linuxLoaderAdapter.available();
  if (!av.ok) {
    if (inCI) throw new Error(`CI: ${av.reason}`);
    console.warn(`skipping: ${av.reason}`);
    unavailable = av.reason;
  }
}, 900_000);

afterEach(() => {
  expect(liveChildren()).toBe(0);
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`pvh-lloader-${process.pid}-`))).toEqual([]);
});

async function verdicts(c: BootCase): Promise<{ outcome: string; message: string | undefined; v: Map<string, Verdict> }> {
  const o = await linuxLoaderAdapter.boot(c, "elf");
  return { outcome: o.outcome, message: o.message, v: new Map(judge(c, o).map((x) => [x.requirement, x])) };
}

const gnu = { name: "GNU", type: 3, desc: new Uint8Array(20) };
const linux = { name: "Linux", type: 0x100, desc: new Uint8Array(6) };

describe("linux-loader adapter: Debian sid's linux-loader 0.14 through this project's harness", () => {
  it("records the crate versions it was built from", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const info = await linuxLoaderAdapter.runInfo();
    expect(info.version).toBe("0.14.0");
    expect(info.details).toMatchObject({ "linux-loader": "0.14.0", "vm-memory": "0.18.0" });
    expect(info.details?.["librust-linux-loader-dev"]).toMatch(/^0\.14\.0/);
    expect(info.details?.["rustc"]).toMatch(/^rustc \d/);
  });

  it("loads an ELF64 image, reports its PVH entry, and writes start_info, the modlist and the command line", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = exampleCase("ll-plain", {
      cmdline: "console=ttyS0 pvh.marker=7",
      modules: [{ size: 3000 }, { size: 2 * MIB + 5 }],
      plan: { segments: [{ gapPages: 0, filesz: 5000, tail: 70_000, flags: "RX" }, { gapPages: 3, filesz: 300, tail: 0, flags: "RW" }] },
      memoryBytes: 64 * MIB,
    });
    const { outcome, message, v } = await verdicts(c);
    expect(outcome, message).toBe("entered");
    expect(message).toContain("PVH entry point present");
    for (const id of ["pvh.load.accept-valid", "pvh.cpu.eip", "pvh.load.segments", "pvh.load.zero-fill", "pvh.load.reloc-only-with-note", "pvh.start-info.magic", "pvh.start-info.version", "pvh.start-info.flags", "pvh.start-info.reserved", "pvh.cmdline.terminated", "pvh.cmdline.content", "pvh.modlist.count", "pvh.module.content", "pvh.module.reserved"]) {
      expect(v.get(id)?.status, `${id}: ${v.get(id)?.message}`).toBe("PASS");
    }
    // What the harness decides is never judged: the CPU state, the memory map, placement.
    for (const [id, why] of UNJUDGEABLE) expect(v.get(id), id).toMatchObject({ status: "SKIP", code: "cannot-observe", message: why });
    const harnessDecided = ["pvh.cpu.ebx", "pvh.cpu.cr0", "pvh.cpu.cr4", "pvh.cpu.cs", "pvh.cpu.ds", "pvh.cpu.es", "pvh.cpu.ss", "pvh.cpu.tr", "pvh.cpu.eflags", "pvh.interop.cpl0",
      "pvh.memmap.table", "pvh.memmap.types", "pvh.memmap.reserved", "pvh.memmap.ram", "pvh.interop.memmap-disjoint", "pvh.interop.boot-data-reserved",
      "pvh.layout.no-overlap", "pvh.start-info.in-ram", "pvh.interop.low-tables", "pvh.interop.version-1", "pvh.interop.rsdp-present"];
    for (const id of harnessDecided) expect(v.get(id)?.code, id).toBe("cannot-observe");
    // Nothing else is skipped for want of sight.
    expect([...v.values()].filter((x) => x.code === "cannot-observe").length).toBe(UNJUDGEABLE.size);
  });

  it("judges the bytes it reads back: a module the harness reports wrongly fails pvh.module.content", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = exampleCase("ll-mod", { modules: [{ size: 3 * MIB }] });
    // The same case with another module's CRC: the observation must disagree with it.
    const o = await linuxLoaderAdapter.boot(c, "elf");
    const wrong = { ...c, modules: [{ ...c.modules[0]!, crc32: (c.modules[0]!.crc32 ^ 1) >>> 0 }] };
    expect(judge(c, o).find((x) => x.requirement === "pvh.module.content")?.status).toBe("PASS");
    expect(judge(wrong, o).find((x) => x.requirement === "pvh.module.content")?.status).toBe("FAIL");
    // Untouched RAM reads as zero; a module's inner pages are known by their CRC alone.
    expect(o.memory!.read(0x200_0000 - 16, 16)).toEqual(new Uint8Array(16));
    expect(o.memory!.read(c.memoryBytes, 1)).toBeNull();
  });

  it("writes only the file bytes: in memory that holds old bytes, the zero tail keeps them (variant reused-memory)", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = exampleCase("ll-tail", { plan: { segments: [{ gapPages: 0, filesz: 4000, tail: 9000, flags: "RWX" }] } });
    const fresh = new Map(judge(c, await linuxLoaderAdapter.boot(c, "elf")).map((x) => [x.requirement, x]));
    expect(fresh.get("pvh.load.zero-fill")?.status).toBe("PASS");
    const o = await linuxLoaderAdapter.boot(c, "reused-memory");
    const reused = new Map(judge(c, o).map((x) => [x.requirement, x]));
    expect(reused.get("pvh.load.segments")?.status).toBe("PASS");
    expect(reused.get("pvh.load.zero-fill")?.status).toBe("FAIL");
    const s = c.kernel.segments[0]!;
    expect(o.memory!.read(s.paddr + s.filesz, 4)).toEqual(new Uint8Array([0xa5, 0xa5, 0xa5, 0xa5]));
  });

  it("refuses every ELF32 image: Elf::load reads ELF64 headers only", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const { outcome, message, v } = await verdicts(exampleCase("ll-elf32", { plan: { elfClass: 32, entryDescSize: 4 } }));
    expect(outcome).toBe("rejected");
    expect(message).toContain("Invalid program header size");
    expect(v.get("pvh.load.accept-valid")?.status).toBe("FAIL");
  });

  it("keeps the answer of the last PT_NOTE segment only: an entry note with another PT_NOTE after it is not found", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const before = await verdicts(exampleCase("ll-notes-a", { plan: { noteSegments: 3, notesBefore: [linux], notesAfter: [gnu] } }));
    expect(before.outcome).toBe("rejected");
    expect(before.message).toContain("PVH entry point not present");
    // The same notes with the entry's segment last: found.
    const last = await verdicts(exampleCase("ll-notes-b", { plan: { noteSegments: 3, notesBefore: [linux], notesAfter: [] } }));
    expect(last.outcome, last.message).toBe("entered");
    expect(last.v.get("pvh.cpu.eip")?.status).toBe("PASS");
  });

  it("trims the command line's leading and trailing spaces (Cmdline::insert_str)", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const { outcome, v } = await verdicts(exampleCase("ll-cmd", { cmdline: "  quiet  " }));
    expect(outcome).toBe("entered");
    expect(v.get("pvh.cmdline.content")?.status).toBe("FAIL");
    const plain = await verdicts(exampleCase("ll-cmd2", { cmdline: "quiet loglevel=3" }));
    expect(plain.v.get("pvh.cmdline.content")?.status).toBe("PASS");
  });

  it("enters an image whose entry lies in a zero-filled tail (no check of the entry against the segments)", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    expect(malformedFamilies["entry-in-bss"]).toBeDefined();
    const { outcome, v } = await verdicts(exampleCase("ll-bss", { malformed: "entry-in-bss" }));
    expect(outcome).toBe("entered");
    expect(v.get("pvh.load.refuse-invalid")?.status).toBe("FAIL");
    // A file that is not ELF at all is refused with linux-loader's words.
    const notElf = await verdicts(exampleCase("ll-notelf", { malformed: "not-elf" }));
    expect(notElf.outcome).toBe("rejected");
    expect(notElf.message).toContain("Invalid Elf magic number");
  });

  it("a plan the harness cannot follow is a typed harness error, and leaves nothing behind", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const h = await harness();
    const r = await runHarness(h.binary, "kernel /nonexistent/kernel.elf\nram 0 33554432\n", 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/nonexistent/kernel.elf");
    const bad = await runHarness(h.binary, "frobnicate 1\n", 30_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown plan item");
    await expect(linuxLoaderAdapter.boot(exampleCase("ll-v"), "nope")).rejects.toBeInstanceOf(LinuxLoaderHarnessError);
  });
});
