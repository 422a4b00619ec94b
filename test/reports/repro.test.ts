import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exampleCase } from "../../generators/exampleCase.js";
import { writeReproducer } from "../../reports/repro/writeReproducer.js";
import { main } from "../../src/cli/main.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";

const dir = mkdtempSync(join(tmpdir(), "pvh-repro-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("reproducers", () => {
  it("a failing run writes repro/<case-id>/ with the kernel, the case and a run.sh", async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await main(["run", "--adapter", "reference", "--variant", "v0", "--cases", "3", "--seed", "4", "--skip-examples", "--out", dir, "-q"], io)).toBe(1);
    const ids = readdirSync(join(dir, "repro"));
    expect(ids.length).toBe(3);
    const d = join(dir, "repro", ids[0]!);
    const run = readFileSync(join(d, "run.sh"), "utf8");
    expect(run).toContain("FAIL pvh.interop.version-1");
    expect(run).toMatch(/exec pvh-conformance run --adapter reference --variant v0 --seed 4 --case \d/);
    expect(statSync(join(d, "run.sh")).mode & 0o111).not.toBe(0);
    const c = JSON.parse(readFileSync(join(d, "case.json"), "utf8")) as { id: string; tags: string[]; kernel: { entry: number } };
    expect(c.id).toBe(ids[0]);
    expect(readFileSync(join(d, "kernel.elf")).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  });

  it("rewrites a VMM command line to the reproducer's own copies of the files", async () => {
    const c = exampleCase("cmd", { modules: [{ size: 77 }] });
    const tmp = "/tmp/pvh-qemu-1-abc";
    const obs = {
      adapter: "qemu", variant: "pc-tcg", outcome: "entered" as const, workDir: tmp,
      command: ["/usr/bin/qemu-system-x86_64", "-machine", "pc", "-append", "console=ttyS0 it's", "-kernel", `${tmp}/kernel.elf`, "-initrd", `${tmp}/module0.bin`, "-serial", `file:${tmp}/serial.log`],
    };
    const { qemuAdapter } = await import("../../adapters/qemu/qemuAdapter.js");
    writeReproducer(join(dir, "manual"), { bootCase: c, obs, adapter: qemuAdapter, bad: [{ requirement: "pvh.cpu.tr", adapter: "qemu", variant: "pc-tcg", caseId: c.id, status: "FAIL", code: "x", message: "TR is limit 0xffff" }], seed: 9 });
    const d = join(dir, "manual", c.id);
    const run = readFileSync(join(d, "run-qemu-pc-tcg.sh"), "utf8");
    expect(run).toContain(`-kernel "$HERE"/kernel.elf`);
    expect(run).toContain(`-initrd "$HERE"/module0.bin`);
    expect(run).toContain(`-serial file:"$HERE"/serial.log`);
    expect(run).toContain(`-append 'console=ttyS0 it'\\''s'`);
    expect(run).not.toContain(tmp);
    expect(Buffer.compare(readFileSync(join(d, "module0.bin")), Buffer.from(moduleBytes(1000, 77)))).toBe(0);
    expect(existsSync(join(d, "verdicts-qemu-pc-tcg.json"))).toBe(true);
  });
});

describe("reproCommand", () => {
  it("rewrites the adapter's temporary folder wherever it occurs, and nothing else", async () => {
    const { reproCommand } = await import("../../adapters/_internals/reproCommand.js");
    const tmp = "/tmp/pvh-xen-7-x1";
    // QEMU's multiboot -initrd lists the kernel and modules in one word.
    const xen = reproCommand(["qemu", "-kernel", "/cache/xen-4.20.gz", "-initrd", `${tmp}/kernel.elf a b,${tmp}/module0.bin`], tmp, { "/cache/xen-4.20.gz": "xen-4.20.gz" });
    expect(xen).toContain(`-kernel "$HERE"/xen-4.20.gz`);
    expect(xen).toContain(`-initrd "$HERE"'/kernel.elf a b,'"$HERE"/module0.bin`);
    expect(xen).not.toContain(tmp);
    // A VMM whose own flag is --kernel (cloud-hypervisor): a path outside the folder stays as it is.
    const chv = reproCommand(["/opt/chv/cloud-hypervisor", "--kernel", `${tmp}/kernel.elf`, "--firmware", "/opt/chv/fw.bin"], tmp);
    expect(chv).toContain("/opt/chv/cloud-hypervisor");
    expect(chv).toContain("--firmware /opt/chv/fw.bin");
    expect(chv).toContain(`--kernel "$HERE"/kernel.elf`);
  });
});

describe("shrinking", () => {
  it("shrinks a failing case to a smaller one that fails the same way, and writes it", async () => {
    const { referenceAdapter } = await import("../../adapters/reference/referenceAdapter.js");
    const { generateCase } = await import("../../generators/generateCase.js");
    const { shrinkCase } = await import("../../src/runner/shrinkCase.js");
    const caps = referenceAdapter.capabilities("v0");
    // v0 fails pvh.interop.version-1 on every valid case: find one with something to shrink.
    let c = generateCase(caps, 21, 0);
    for (let i = 1; c.kernel.malformed || (c.modules.length === 0 && (c.cmdline ?? "").length < 10); i++) c = generateCase(caps, 21, i);
    const s = await shrinkCase(referenceAdapter, "v0", c, "pvh.interop.version-1", "FAIL", 200);
    expect(s).toBeDefined();
    expect(s!.bootCase.modules.length).toBe(0);
    expect(s!.bootCase.cmdline ?? "").toBe("");
    expect(s!.bootCase.kernelImage.length).toBeLessThanOrEqual(c.kernelImage.length);
  });
});
