import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { qemuAdapter } from "../../adapters/qemu/qemuAdapter.js";
import { liveChildren } from "../../adapters/_internals/children.js";
import { exampleCase } from "../../generators/exampleCase.js";
import { generateCase } from "../../generators/generateCase.js";
import { judge } from "../../src/checks/judge.js";
import { main } from "../../src/cli/main.js";
import { readResults } from "../../src/results/readResults.js";
import { divergencesFromReference } from "../../src/differential/divergencesFromReference.js";
import { qemuReleasesUnderTest } from "../_support/qemuReleases.js";

/** Debian's 7.2 (the host's) and 10.0 (fetched): every real-QEMU test runs on each. */
const RELEASES = await qemuReleasesUnderTest();
const MACHINES = ["pc-tcg", "q35-tcg", "microvm-tcg"];
const fakes = mkdtempSync(join(tmpdir(), "pvh-fake-qemu-"));
afterAll(() => rmSync(fakes, { recursive: true, force: true }));

const leftovers = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith(`pvh-qemu-${process.pid}-`));
afterEach(() => {
  qemuAdapter.configure!({ qemu: "", qemuArgs: [], bootTimeoutMs: 20_000 });
  // Every outcome leaves no QEMU process and no temporary folder behind.
  expect(liveChildren()).toBe(0);
  expect(leftovers()).toEqual([]);
});

function fakeQemu(name: string, script: string): string {
  const p = join(fakes, name);
  writeFileSync(p, `#!/bin/sh\n${script}\n`);
  chmodSync(p, 0o755);
  return p;
}

describe.each(RELEASES)("QEMU adapter against Debian's QEMU $release", ({ release, launch, skip }) => {
  beforeEach(() => {
    if (skip) return;
    qemuAdapter.configure!({ qemu: release });
  });

  it.skipIf(skip !== undefined)("run info names the release's version and binary", async () => {
    const info = await qemuAdapter.runInfo();
    expect(info.version).toMatch(new RegExp(`^QEMU emulator version ${release.replace(".", "\\.")}\\.\\d+ \\(Debian `));
    expect(info.binary).toBe(launch!.binary);
    if (release === "10.0") {
      expect(info.binary).toMatch(/qemu-system-x86@bookworm-backports\/usr\/bin\/qemu-system-x86_64$/);
      expect(info.details).toMatchObject({ QEMU_MODULE_DIR: launch!.env["QEMU_MODULE_DIR"], debianPackage: expect.stringMatching(/^qemu-system-x86 1:10\.0\.2\+/) });
    } else {
      expect(info.details).not.toHaveProperty("QEMU_MODULE_DIR");
    }
  });

  it.skipIf(skip !== undefined).each(MACHINES)("%s: boots to the PVH entry and captures registers and memory", async (variant) => {
    const c = exampleCase("capture", { cmdline: "console=ttyS0 pvh.marker=1", modules: [{ size: 5000 }] });
    const o = await qemuAdapter.boot(c, variant);
    expect(o.outcome, o.message).toBe("entered");
    expect(o.cpu!.eip).toBe(c.kernel.entry);
    const v = new Map(judge(c, o).map((x) => [x.requirement, x]));
    // What QEMU gets right: the captured memory and registers are read, not guessed.
    for (const id of ["pvh.cpu.eip", "pvh.cpu.ebx", "pvh.start-info.magic", "pvh.cmdline.content", "pvh.module.content", "pvh.load.segments", "pvh.cpu.cs", "pvh.cpu.cr0"]) {
      expect(v.get(id)?.status, `${id}: ${v.get(id)?.message}`).toBe("PASS");
    }
    // And what it gets wrong on every machine: TR's limit is 0xffff, not 0x67.
    expect(v.get("pvh.cpu.tr")?.evidence?.seen).toContain("limit 0xffff");
    // The command recorded is the one that ran: a fetched build with its module folder and firmware first.
    const env = Object.entries(launch!.env).map(([k, v]) => `${k}=${v}`);
    expect(o.command!.slice(0, 1 + (env.length ? env.length + 1 : 0) + launch!.args.length)).toEqual([...(env.length ? ["env", ...env] : []), launch!.binary, ...launch!.args]);
  });

  it.skipIf(skip !== undefined)("reports QEMU's refusal of an image without a PVH note as rejected, with its message", async () => {
    const c = exampleCase("no-note", { malformed: "no-entry-note" });
    const o = await qemuAdapter.boot(c, "pc-tcg");
    expect(o.outcome).toBe("rejected");
    expect(o.message).toContain("PVH ELF Note");
    expect(judge(c, o).find((x) => x.requirement === "pvh.load.refuse-invalid")?.status).toBe("PASS");
  });

  it.skipIf(skip !== undefined)("a loader entering the image elsewhere than the note's entry is captured there and fails pvh.cpu.eip, with evidence", async () => {
    // QEMU jumps to the note's entry; the case claims the entry is 16 bytes on, so QEMU now
    // plays a loader that entered at e_entry (which is also the segment's first byte).
    const c = exampleCase("elsewhere");
    const claimed = { ...c, kernel: { ...c.kernel, entry: c.kernel.entry + 16 } };
    const o = await qemuAdapter.boot(claimed, "pc-tcg");
    expect(o.outcome, o.message).toBe("entered");
    expect(o.cpu!.eip).toBe(c.kernel.entry);
    expect(o.message).toBe(`QEMU entered the image at 0x${c.kernel.entry.toString(16)} (e_entry, translated to a physical address), not at the note's entry 0x${claimed.kernel.entry.toString(16)}`);
    const eip = judge(claimed, o).find((x) => x.requirement === "pvh.cpu.eip")!;
    expect(eip.status).toBe("FAIL");
    expect(eip.evidence).toMatchObject({ address: c.kernel.entry });
  });

  it.skipIf(skip !== undefined)("gives TIMEOUT, with where the CPU is, when neither the entry nor a likely wrong entry is reached", async () => {
    // The note's entry is mid-segment; the case claims 16 bytes further, and e_entry is
    // patched to the segment's second word, so QEMU's jump trips nothing and halts there.
    const c = exampleCase("lost", { plan: { segments: [{ gapPages: 0, filesz: 8192, tail: 0, flags: "RX" }], entryFraction: 0.5 } });
    const image = c.kernelImage.slice();
    new DataView(image.buffer).setBigUint64(0x18, BigInt(c.kernel.segments[0]!.paddr + 8), true);
    const lost = { ...c, kernelImage: image, kernel: { ...c.kernel, entry: c.kernel.entry + 16 } };
    qemuAdapter.configure!({ bootTimeoutMs: 8_000 });
    const o = await qemuAdapter.boot(lost, "pc-tcg");
    expect(o.outcome).toBe("timeout");
    // The halt stub at the real entry: the CPU sits in the kernel's own segment.
    expect(o.message).toMatch(/was not reached in 8 s; the CPU is at 0x[0-9a-f]+, inside the kernel's segment 0 .*entered the image elsewhere/);
    expect(o.log).toContain("EIP=");
    expect(judge(lost, o).find((x) => x.requirement === "pvh.cpu.cr0")?.status).toBe("TIMEOUT");
  });

  it.skipIf(skip !== undefined)("run records each case's divergences from the reference loader and sums them up; --skip-differential leaves them out", async () => {
    const out = mkdtempSync(join(tmpdir(), "pvh-qemu-run-"));
    try {
      let text = "";
      const io = { stdout: { write: (s: string) => (text += s) }, stderr: { write: () => true } };
      const base = ["run", "--adapter", "qemu", "--qemu", release, "--machine", "pc", "--accel", "tcg", "--seed", "31", "--skip-examples", "--skip-allure", "--shrink", "0", "-q"];
      await main([...base, "--cases", "6", "--out", join(out, "a")], io);
      const results = readResults(join(out, "a", "results.json"));
      expect(results.cases).toHaveLength(6);
      expect(results.cases.every((c) => Array.isArray(c.divergences))).toBe(true);
      // QEMU 7.2's TR (limit 0xffff, not a TSS) differs from the reference on every entered case.
      const entered = results.cases.filter((c) => c.outcome === "entered" && c.malformed === null);
      expect(entered.length).toBeGreaterThan(0);
      for (const c of entered) expect(c.divergences!.find((d) => d.field === "tr")).toMatchObject({ requirement: "pvh.cpu.tr", explained: true });
      const diverging = results.cases.filter((c) => c.divergences!.length > 0).length;
      expect(text).toContain(`qemu/pc-tcg against the reference loader: ${diverging} of 6 cases differ on an ABI-defined field`);
      expect(text).toMatch(/\d+ {2}tr \(pvh\.cpu\.tr\)/);
      // A malformed image QEMU enters is blamed on the refusal requirement.
      for (const c of results.cases.filter((x) => x.outcome === "entered" && x.malformed !== null)) expect(c.divergences).toEqual([expect.objectContaining({ field: "outcome", requirement: "pvh.load.refuse-invalid", explained: true })]);
      expect(readFileSync(join(out, "a", "matrix.html"), "utf8")).toContain(`qemu/pc-tcg: ${diverging} of 6 cases differ`);

      text = "";
      await main([...base, "--cases", "2", "--skip-differential", "--out", join(out, "b")], io);
      expect(readResults(join(out, "b", "results.json")).cases.some((c) => "divergences" in c)).toBe(false);
      expect(text).not.toContain("against the reference loader");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(skip !== undefined)("differential: where QEMU and the reference loader differ on an ABI field, a check fails on QEMU's side", async () => {
    const caps = qemuAdapter.capabilities("pc-tcg");
    let compared = 0;
    const seen = new Set<string>();
    // An empty module first: QEMU 7.2 drops it (nr_modules 0), the divergence every run must blame right.
    const cases = [exampleCase("empty-module", { modules: [{ size: 0 }] }), ...Array.from({ length: 24 }, (_, i) => generateCase(caps, 31, i))];
    for (const c of cases) {
      if (c.kernel.malformed) continue;
      const q = await qemuAdapter.boot(c, "pc-tcg");
      if (q.outcome !== "entered") continue;
      compared++;
      const r = divergencesFromReference(c, q, judge(c, q));
      if (!("divergences" in r)) throw new Error(`${c.id}: ${r.differentialError}`);
      for (const d of r.divergences) {
        seen.add(d.field);
        expect(d.explained, `${c.id}: ${d.field} differs (reference ${d.reference}, QEMU ${d.other}) but ${d.requirement} did not fail`).toBe(true);
      }
    }
    expect(compared).toBeGreaterThan(8);
    expect(seen).toContain("tr");
    expect(seen).toContain("module 0 has a modlist entry");
  }, 120_000);
});

describe("QEMU adapter against a VMM that misbehaves", () => {
  it("reports a VMM that dies by a signal as crashed, and one that exits non-zero at once as rejected", async () => {
    const c = exampleCase("fake");
    qemuAdapter.configure!({ qemu: fakeQemu("segv", "echo dying >&2; kill -SEGV $$") });
    const crashed = await qemuAdapter.boot(c, "pc-tcg");
    expect(crashed.outcome).toBe("crashed");
    expect(crashed.message).toContain("SIGSEGV");
    expect(crashed.message).toContain("dying");
    expect(judge(c, crashed).filter((x) => x.status === "CRASH").length).toBeGreaterThan(30);
    qemuAdapter.configure!({ qemu: fakeQemu("refuse", "echo 'qemu: cannot load kernel' >&2; exit 1") });
    const refused = await qemuAdapter.boot(c, "pc-tcg");
    expect(refused.outcome).toBe("rejected");
    expect(refused.message).toContain("cannot load kernel");
  });

  it("a VMM that hangs before opening its sockets is a TIMEOUT with a reason, and is killed", async () => {
    qemuAdapter.configure!({ qemu: fakeQemu("hang", "echo starting >&2; exec sleep 600"), bootTimeoutMs: 2_000 });
    const o = await qemuAdapter.boot(exampleCase("hang"), "pc-tcg");
    expect(o.outcome).toBe("timeout");
    expect(o.message).toMatch(/did not open its gdb and QMP sockets in 2 s: starting/);
  });
});
