import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { liveChildren } from "../../adapters/_internals/children.js";
import { xenAdapter } from "../../adapters/xen/xenAdapter.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { judge } from "../../src/checks/judge.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";

const qemuSkip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");

afterEach(() => {
  expect(liveChildren()).toBe(0);
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`pvh-xen-${process.pid}-`))).toEqual([]);
});

describe.skipIf(qemuSkip !== undefined)("Xen adapter: Debian's Xen PVH dom0 builder (4.20 by default), observed by the probe", () => {
  let unavailable: string | undefined;
  beforeAll(async () => {
    const av = await xenAdapter.available();
    if (!av.ok) {
      if (inCI) throw new Error(`CI: ${av.reason}`);
      unavailable = av.reason;
    }
  }, 900_000);

  it("boots a probe kernel as dom0 and judges what the probe reports", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = exampleCase("xen", { plan: { entryCode: "probe" }, cmdline: "console=hvc0 pvh.marker=7", modules: [{ size: 3000 }], memoryBytes: 128 << 20 });
    const o = await xenAdapter.boot(c, "dom0");
    expect(o.outcome, o.message).toBe("entered");
    const v = new Map(judge(c, o).map((x) => [x.requirement, x]));
    // Xen's builder hands over version 0, with the flags a dom0 has, and what the case gave.
    for (const id of ["pvh.cpu.eip", "pvh.cpu.ebx", "pvh.start-info.magic", "pvh.start-info.version", "pvh.cmdline.content", "pvh.module.content", "pvh.load.segments", "pvh.cpu.cr0", "pvh.cpu.eflags"]) {
      expect(v.get(id)?.status, `${id}: ${v.get(id)?.message}`).toBe("PASS");
    }
    expect(v.get("pvh.interop.version-1")?.message).toContain("version 0");
    // Xen loads every segment register with a null selector: the probe cannot see their caches.
    expect(v.get("pvh.cpu.cs")).toMatchObject({ status: "SKIP", code: "cannot-observe" });
    expect(o.command?.join(" ")).toContain("dom0=pvh");
  }, 120_000);

  it("reports Xen's refusal of an image without a PVH note as rejected, with Xen's words, without waiting for a timeout", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = exampleCase("xen-bad", { malformed: "no-entry-note" });
    const o = await xenAdapter.boot(c, "dom0");
    // "rejected", not "timeout": the adapter read Xen's refusal instead of waiting out the boot.
    expect(o.outcome).toBe("rejected");
    expect(o.message).toContain("Failed to load Dom0 kernel");
  }, 120_000);

  it("gives TIMEOUT, with Xen's log, when dom0 runs but never reports (a halt loop at the entry)", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = exampleCase("xen-silent", {});
    xenAdapter.configure!({ bootTimeoutMs: 10_000 });
    try {
      const o = await xenAdapter.boot(c, "dom0");
      expect(o.outcome, o.message).toBe("timeout");
      expect(o.message).toMatch(/no complete probe report in 10 s/);
      expect(o.log).toContain("Building a PVH Dom0");
    } finally {
      xenAdapter.configure!({ bootTimeoutMs: 90_000 });
    }
  }, 120_000);

  it("gives CRASH, with Xen's log, when dom0 dies before reporting (ud2 at the entry, no IDT: a triple fault)", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = exampleCase("xen-fault", {});
    const image = c.kernelImage.slice();
    const seg = c.kernel.segments.find((s) => c.kernel.entry >= s.paddr && c.kernel.entry < s.paddr + s.filesz)!;
    const at = seg.offset + (c.kernel.entry - seg.paddr);
    expect([...image.subarray(at, at + 3)]).toEqual([0xf4, 0xeb, 0xfd]);
    image.set([0x0f, 0x0b], at);
    const o = await xenAdapter.boot({ ...c, kernelImage: image }, "dom0");
    expect(o.outcome, o.message).toBe("crashed");
    expect(o.message).toContain("the probe's report is incomplete");
    expect(o.log).toMatch(/Dom0 crashed|domain_crash|Triple fault/i);
  }, 120_000);

  it("relocates a kernel linked beyond dom0's memory, within what its PHYS32_RELOC note allows (Xen 4.20)", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    expect(xenAdapter.capabilities("dom0").relocation).toBe(true);
    const c = relocCase();
    const o = await xenAdapter.boot(c, "dom0");
    expect(o.outcome, o.message).toBe("entered");
    const moved = o.cpu!.eip - c.kernel.entry;
    expect(moved).not.toBe(0);
    const v = new Map(judge(c, o).map((x) => [x.requirement, x]));
    for (const id of ["pvh.load.segments", "pvh.load.reloc-constraints", "pvh.cpu.eip", "pvh.start-info.magic", "pvh.cmdline.content"]) {
      expect(v.get(id)?.status, `${id}: ${v.get(id)?.message}`).toBe("PASS");
    }
    expect(v.get("pvh.load.reloc-constraints")?.message).toMatch(/^relocated to 0x/);
    // The note is what let Xen move it: without one, the same image is refused.
    const plain = { ...c, id: "example-xen-reloc-unmarked", kernelImage: withoutRelocNote(c.kernelImage) };
    const refused = await xenAdapter.boot(plain, "dom0");
    expect(refused.outcome, refused.message).toBe("rejected");
  }, 180_000);

  it("does not relocate on Xen 4.17, whose dom0 builder predates PHYS32_RELOC, and says so in its capabilities", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    xenAdapter.configure!({ xen: "4.17" });
    try {
      expect(xenAdapter.capabilities("dom0").relocation).toBe(false);
      const av = await xenAdapter.available();
      expect(av.ok, av.ok ? "" : av.reason).toBe(true);
      expect((await xenAdapter.runInfo()).version).toMatch(/^Xen 4\.17\./);
      const o = await xenAdapter.boot(relocCase(), "dom0");
      expect(o.outcome, o.message).toBe("rejected");
    } finally {
      xenAdapter.configure!({ xen: "" });
    }
  }, 900_000);
});

/** A probe kernel linked 16 MiB or more above dom0's memory, with a note allowing 2 MiB-aligned starts from 4 MiB up. */
function relocCase() {
  return exampleCase("xen-reloc", {
    plan: { entryCode: "probe", reloc: { given: 2, alignLog2: 21, minMiB: 4, maxSlackMiB: null, beyondMemory: true } },
    cmdline: "console=hvc0",
    memoryBytes: 128 << 20,
  });
}

/** The image with its PHYS32_RELOC note (type 19) renamed to an unknown type, so no loader reads it. */
function withoutRelocNote(image: Uint8Array): Uint8Array {
  const header = Buffer.from([4, 0, 0, 0, 8, 0, 0, 0, 19, 0, 0, 0, 0x58, 0x65, 0x6e, 0]); // namesz 4, descsz 8, type 19, "Xen\0"
  const at = Buffer.from(image).indexOf(header);
  if (at < 0) throw new Error("no PHYS32_RELOC note in the image");
  const out = image.slice();
  out[at + 8] = 0x7f;
  return out;
}
