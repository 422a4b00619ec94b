import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qemuAdapter } from "../../adapters/qemu/qemuAdapter.js";
import { referenceAdapter } from "../../adapters/reference/referenceAdapter.js";
import { judge } from "../../src/checks/judge.js";
import { fetchDebianPackage } from "../../src/corpus/fetchDebianPackage.js";
import { userKernelCase } from "../../src/runner/userKernelCase.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";

/**
 * Firmware on PVH: OVMF built for the PVH entry (CLOUDHV.fd, Debian sid's
 * cloudhv-efi-x86-64, an ELF64 with e_machine EM_386 and its entry at 0x4fffd0), run
 * through every loader the suite drives, as `run --kernel` does. It is built for
 * cloud-hypervisor, so it is not expected to get far under the others: what is judged
 * is the loader's hand-over at its entry.
 */
const ENTRY = 0x4fffd0;
const qemuSkip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");
const work = mkdtempSync(join(tmpdir(), "pvh-cloudhv-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let firmware = "";
let unavailable: string | undefined;
beforeAll(async () => {
  try {
    firmware = join((await fetchDebianPackage("cloudhv-efi-x86-64", { suite: "sid" })).root, "usr", "share", "cloudhv-efi-x86-64", "CLOUDHV.fd");
  } catch (err) {
    if (inCI) throw err;
    unavailable = `apt-get download failed: ${(err as Error).message.split("\n")[0]}`;
  }
}, 900_000);

/** The loader-side requirements that are about the hand-over itself, which every loader here gets right. */
const HAND_OVER = ["pvh.load.accept-valid", "pvh.cpu.eip", "pvh.cpu.ebx", "pvh.cpu.cr0", "pvh.cpu.cr4", "pvh.cpu.cs", "pvh.cpu.ds", "pvh.cpu.es", "pvh.cpu.ss", "pvh.cpu.eflags", "pvh.load.segments", "pvh.start-info.magic", "pvh.start-info.version"];

describe("CLOUDHV.fd (OVMF for PVH) through the loaders, judged at its entry", () => {
  it("the reference loader (v1) hands it over with every check passing", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = await userKernelCase({ kernel: firmware, cmdline: null, memoryBytes: 512 << 20 });
    expect(c.kernel.entry).toBe(ENTRY);
    const o = await referenceAdapter.boot(c, "v1");
    expect(o.outcome, o.message).toBe("entered");
    const bad = judge(c, o).filter((v) => v.status !== "PASS" && v.status !== "SKIP");
    expect(bad.map((v) => `${v.requirement} ${v.status} ${v.code}`)).toEqual([]);
  });

  it.skipIf(qemuSkip !== undefined).for(["pc-tcg", "q35-tcg", "microvm-tcg"])("QEMU %s stops at its PVH entry, where the hand-over checks pass", { timeout: 120_000 }, async (variant, ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = await userKernelCase({ kernel: firmware, cmdline: null, memoryBytes: 512 << 20 });
    const o = await qemuAdapter.boot(c, variant);
    expect(o.outcome, o.message).toBe("entered");
    expect(o.cpu!.eip).toBe(ENTRY);
    const v = new Map(judge(c, o).map((x) => [x.requirement, `${x.status} ${x.code}`]));
    for (const id of HAND_OVER) expect(v.get(id), id).toBe("PASS ok");
    // QEMU's known TR limit (expectations/qemu-7.2.yaml) shows here too.
    expect(v.get("pvh.cpu.tr")).toBe("FAIL tr-not-tss");
  });

  // The Xen adapter observes the entry through the probe the suite's own kernels carry;
  // a foreign image has none, so `run --kernel` cannot judge it there. What can be seen is
  // that Xen's dom0 builder takes it and starts it: the firmware runs past its 32-bit
  // entry into long mode (paging on) before it stops in its own code.
  it.skipIf(qemuSkip !== undefined).for(["4.20", "4.17"] as const)("Xen %s's PVH dom0 builder builds dom0 from it and starts it", { timeout: 300_000 }, async (release, ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const { xenImage } = await import("../../adapters/xen/xenImage.js");
    const xen = await xenImage(release);
    const log = join(work, `xen-${release}.log`);
    const args = ["-accel", "tcg", "-cpu", "qemu64,+svm,+npt", "-m", "768M", "-smp", "1", "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
      "-serial", `file:${log}`, "-kernel", xen, "-append", "console=com1 com1=115200,8n1 dom0=pvh dom0-iommu=none dom0_mem=512M,max:512M loglvl=all guest_loglvl=all noreboot", "-initrd", firmware];
    const p = spawn("qemu-system-x86_64", args, { stdio: "ignore" });
    const deadline = Date.now() + 240_000;
    let text = "";
    try {
      while (Date.now() < deadline && p.exitCode === null) {
        await new Promise((r) => setTimeout(r, 250));
        try {
          text = readFileSync(log, "latin1");
        } catch {
          continue;
        }
        if (/Hardware Dom0 (shutdown|crashed)|Panic on CPU/.test(text)) break;
      }
    } finally {
      p.kill("SIGKILL");
      await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(undefined) : p.once("exit", r)));
    }
    expect(text).toMatch(/\*\*\* Building a PVH Dom0 \*\*\*/);
    expect(text).not.toMatch(/Panic on CPU/);
    // Xen dumps dom0's vCPU when the firmware stops; its CR0 has PG set: it ran past the entry.
    const cr0 = /\bcr0: ([0-9a-f]{16})/.exec(text);
    expect(cr0, "a dump of dom0's vCPU").not.toBeNull();
    expect(BigInt("0x" + cr0![1]!) & (1n << 31n)).toBe(1n << 31n);
  });
});
