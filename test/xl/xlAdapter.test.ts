import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { BatchObservation } from "../../adapters/Adapter.js";
import { liveChildren } from "../../adapters/_internals/children.js";
import { xlAdapter } from "../../adapters/xl/xlAdapter.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { judge } from "../../src/checks/judge.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { runSuite } from "../../src/runner/runSuite.js";
import { loadSpec } from "../../src/spec/loadSpec.js";
import { packageRoot } from "../../src/_internals/packageRoot.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";

const qemuSkip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");

afterEach(() => {
  expect(liveChildren()).toBe(0);
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`pvh-xl-${process.pid}-`))).toEqual([]);
});

/** The case's image with the bytes at its entry replaced (the halt stub is f4 eb fd). */
function patchedEntry(c: BootCase, bytes: number[]): BootCase {
  const image = c.kernelImage.slice();
  const seg = c.kernel.segments.find((s) => c.kernel.entry >= s.paddr && c.kernel.entry < s.paddr + s.filesz)!;
  const at = seg.offset + (c.kernel.entry - seg.paddr);
  expect([...image.subarray(at, at + 3)]).toEqual([0xf4, 0xeb, 0xfd]);
  image.set(bytes, at);
  return { ...c, kernelImage: image };
}

async function collect(it: AsyncIterable<BatchObservation>): Promise<BatchObservation[]> {
  const out: BatchObservation[] = [];
  for await (const o of it) out.push(o);
  return out;
}

describe.skipIf(qemuSkip !== undefined)("xl adapter: Debian's Xen toolstack building PVH domUs in a dom0 under QEMU", () => {
  const unavailable = new Map<string, string>();
  beforeAll(async () => {
    for (const v of ["4.20", "4.17"]) {
      const av = await xlAdapter.variantAvailable!(v);
      if (!av.ok) {
        if (inCI) throw new Error(`CI: ${av.reason}`);
        unavailable.set(v, av.reason);
      }
    }
  }, 900_000);

  it("gives a refusal, a TIMEOUT (a guest that spins) and a CRASH (a triple fault) their verdicts in one dom0, and the cases after a runaway guest still run", async (ctx) => {
    const why = unavailable.get("4.20");
    if (why) return ctx.skip(why);
    const probe = exampleCase("xl-probe", { plan: { entryCode: "probe" }, cmdline: "console=hvc0 pvh.marker=7", modules: [{ size: 3000 }], memoryBytes: 64 << 20 });
    const cases = [
      exampleCase("xl-refused", { malformed: "no-entry-note" }),
      // jmp $ at the entry: runs until the deadline, then xl destroys it.
      patchedEntry(exampleCase("xl-spin", { memoryBytes: 32 << 20 }), [0xeb, 0xfe]),
      // ud2 at the entry, no IDT: a triple fault, which xl sees as a reboot (on_reboot = destroy).
      patchedEntry(exampleCase("xl-fault", { memoryBytes: 32 << 20 }), [0x0f, 0x0b]),
      probe,
    ];
    xlAdapter.configure!({ bootTimeoutMs: 8_000 });
    let got: BatchObservation[];
    try {
      got = await collect(xlAdapter.bootBatch!(cases, "4.20"));
    } finally {
      xlAdapter.configure!({ bootTimeoutMs: 30_000 });
    }
    expect(got.map((g) => g.index).sort()).toEqual([0, 1, 2, 3]);
    const by = new Map(got.map((g) => [cases[g.index]!.id, g.observation]));
    const refused = by.get("example-xl-refused")!;
    expect(refused.outcome, refused.message).toBe("rejected");
    // libxl's and libxenguest's own words, not a summary of ours.
    expect(refused.message).toMatch(/^xl create failed \(exit \d+\): .*xc_dom_parse_image failed/);
    const spin = by.get("example-xl-spin")!;
    expect(spin.outcome, spin.message).toBe("timeout");
    expect(spin.message).toMatch(/no complete probe report in \d+ s of the domain.s CPU time/);
    const fault = by.get("example-xl-fault")!;
    expect(fault.outcome, fault.message).toBe("crashed");
    expect(fault.log).toMatch(/Triple fault/i);
    const o = by.get("example-xl-probe")!;
    expect(o.outcome, o.message).toBe("entered");
    const v = new Map(judge(probe, o).map((x) => [x.requirement, x]));
    for (const id of ["pvh.cpu.eip", "pvh.cpu.ebx", "pvh.start-info.magic", "pvh.cmdline.content", "pvh.module.content", "pvh.load.segments", "pvh.memmap.table", "pvh.memmap.ram", "pvh.interop.version-1"]) {
      expect(v.get(id)?.status, `${id}: ${v.get(id)?.message}`).toBe("PASS");
    }
    // The segment caches behind libxenguest's null selectors come from Xen's VMCB dump of the paused domain:
    // judged, not SKIP (the probe alone cannot see them).
    for (const id of ["pvh.cpu.cs", "pvh.cpu.ds", "pvh.cpu.es", "pvh.cpu.ss", "pvh.cpu.tr", "pvh.interop.cpl0"]) {
      expect(v.get(id)?.status, `${id}: ${v.get(id)?.message}`).toBe("PASS");
    }
    expect(o.log).toContain("from Xen's VMCB dump");
    expect(o.cpu!.segments.cs.selector).toBe(0);
    expect(o.cpu!.segments.tr.limit).toBe(0x67);
    // The verdicts above, in the judged order: a refusal is a refusal of the image, which is valid only for the probe case.
    expect(judge(cases[0]!, refused).find((x) => x.requirement === "pvh.load.refuse-invalid")?.status).toBe("PASS");
    expect(judge(cases[1]!, spin).find((x) => x.requirement === "pvh.load.accept-valid")?.status).toBe("TIMEOUT");
    expect(judge(cases[2]!, fault).find((x) => x.requirement === "pvh.load.accept-valid")?.status).toBe("CRASH");
  }, 900_000);

  for (const variant of ["4.20", "4.17"]) {
    it(`judges a small campaign on Xen ${variant}'s toolstack: every case has verdicts, every loader must-requirement is judged on an entered case`, async (ctx) => {
      const why = unavailable.get(variant);
      if (why) return ctx.skip(why);
      const results = await runSuite({
        selections: [{ adapter: xlAdapter, variants: [variant] }],
        cases: 3,
        seed: 1,
        examples: ["plain", "cmdline-all-printable", "module-empty", "reloc-needed", "malformed-not-elf"],
        concurrency: 1,
        suiteVersion: "test",
        command: ["test"],
      });
      expect(results.run.adapters[0]!.version).toMatch(new RegExp(`^Xen ${variant.replace(".", "\\.")}\\.`));
      expect(results.cases).toHaveLength(8);
      expect(results.cases.filter((c) => c.outcome === "harness-error")).toEqual([]);
      expect(results.records.filter((r) => r.status === "ERROR")).toEqual([]);
      const notElf = results.cases.find((c) => c.caseId === "example-malformed-not-elf")!;
      expect(notElf.outcome, notElf.message ?? "").toBe("rejected");
      const plain = results.cases.find((c) => c.caseId === "example-plain")!;
      expect(plain.outcome, plain.message ?? "").toBe("entered");
      // The command line went through xl's config quoting unchanged: every printable character.
      const printable = results.records.find((r) => r.caseId === "example-cmdline-all-printable" && r.requirement === "pvh.cmdline.content");
      expect(printable?.status, printable?.message).toBe("PASS");
      // On the plain case, every must requirement of the loader is judged from evidence
      // (PASS or FAIL): the segment caches the probe cannot see included, from Xen's VMCB dump.
      const must = loadSpec().requirements.requirements.filter((r) => r.status === "active" && r.level === "must" && r.side === "loader" && r.unchecked === undefined);
      const recs = new Map(results.records.filter((r) => r.caseId === "example-plain").map((r) => [r.requirement, r]));
      const unjudged = must.map((r) => recs.get(r.id)!).filter((r) => r.status !== "PASS" && r.status !== "FAIL" && !r.notApplicable);
      expect(unjudged.map((r) => `${r.requirement} ${r.status} ${r.message}`)).toEqual([]);
    }, 900_000);
  }

  const bin = join(packageRoot(), "bin", "pvh-conformance.js");
  const built = existsSync(join(packageRoot(), "dist", "adapters", "xl", "xlAdapter.js"));
  it.skipIf(!built)("Ctrl-C in the middle of a batch leaves no QEMU (so no dom0 and no domain) and no temporary folder", async (ctx) => {
    const why = unavailable.get("4.20");
    if (why) return ctx.skip(why);
    const out = mkdtempSync(join(tmpdir(), "pvh-sig-"));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const child = spawn("node", [bin, "run", "--adapter", "xl", "--cases", "4", "--seed", "3", "--skip-examples", "-q", "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    onTestFinished(() => void child.kill("SIGTERM"));
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const prefix = `pvh-xl-${child.pid}-`;
    const t0 = Date.now();
    while (!readdirSync(tmpdir()).some((f) => f.startsWith(prefix)) && Date.now() - t0 < 600_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(tmpdir()).some((f) => f.startsWith(prefix)), stderr).toBe(true);
    // QEMU is running (its files are in that folder).
    const qemus = (): string[] => spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.includes(prefix));
    while (qemus().length === 0 && Date.now() - t0 < 600_000) await new Promise((r) => setTimeout(r, 50));
    expect(qemus().length).toBeGreaterThan(0);
    const gone = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGINT");
    expect(await gone).toBe(130);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(prefix))).toEqual([]);
    expect(qemus()).toEqual([]);
  }, 900_000);
});
