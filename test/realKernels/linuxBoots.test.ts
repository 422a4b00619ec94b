import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qemuAdapter } from "../../adapters/qemu/qemuAdapter.js";
import { judge } from "../../src/checks/judge.js";
import { checkImage } from "../../src/checkImage/checkImage.js";
import { fetchDebianPackage } from "../../src/corpus/fetchDebianPackage.js";
import { userKernelCase } from "../../src/runner/userKernelCase.js";
import { inCI, skipUnlessTool } from "../_support/requireTool.js";

/** A newc cpio holding one small file, then the trailer: an initrd Linux will unpack. */
function cpio(): Uint8Array {
  const entry = (name: string, data: string, mode: number, ino: number): Buffer => {
    const hex = (v: number) => v.toString(16).padStart(8, "0");
    const namez = name + "\0";
    const head = "070701" + [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, namez.length, 0].map(hex).join("");
    const pad = (n: number) => "\0".repeat((4 - (n % 4)) % 4);
    return Buffer.from(head + namez + pad(head.length + namez.length) + data + pad(data.length), "latin1");
  };
  return Buffer.concat([entry("pvh-marker.txt", "pvh-conformance\n", 0o100644, 1), entry("TRAILER!!!", "", 0, 0)]);
}

const qemuSkip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");
const grubSkip = skipUnlessTool("grub-mkimage", ["--version"], "apt-get install grub-common grub-xen-bin");
const work = mkdtempSync(join(tmpdir(), "pvh-linux-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run QEMU until the serial log holds every pattern (or the time runs out); returns the log. */
async function bootUntil(args: string[], log: string, patterns: RegExp[], timeoutMs: number): Promise<string> {
  const p = spawn("qemu-system-x86_64", [...args, "-serial", `file:${log}`], { stdio: "ignore" });
  const deadline = Date.now() + timeoutMs;
  let text = "";
  try {
    while (Date.now() < deadline && p.exitCode === null) {
      await new Promise((r) => setTimeout(r, 250));
      try {
        text = readFileSync(log, "latin1");
      } catch {
        continue;
      }
      if (patterns.every((re) => re.test(text))) break;
    }
  } finally {
    p.kill("SIGKILL");
    await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(undefined) : p.once("exit", r)));
  }
  return text;
}

const bootDir = (root: string): string => join(root, "boot", readdirSync(join(root, "boot")).find((f) => f.startsWith("vmlinuz"))!);
const IMAGES = [
  { name: "linux-image-amd64 (xz)", pkg: "linux-image-amd64", path: bootDir },
  { name: "linux-image-cloud-amd64 (lz4)", pkg: "linux-image-cloud-amd64", path: bootDir },
  { name: "xen-shim (ELF32)", pkg: "xen-utils-4.17", path: (root: string) => join(root, "usr", "lib", "xen-4.17", "boot", "xen-shim") },
];

describe.skipIf(qemuSkip !== undefined)("Debian's Linux through PVH on QEMU", () => {
  let vmlinuz = "";
  const files = new Map<string, string>();
  let unavailable: string | undefined;
  beforeAll(async () => {
    try {
      for (const img of IMAGES) files.set(img.name, img.path((await fetchDebianPackage(img.pkg)).root));
      vmlinuz = files.get(IMAGES[0]!.name)!;
    } catch (err) {
      if (inCI) throw err;
      unavailable = (err as Error).message;
    }
  }, 900_000);

  // xen-shim carries a multiboot header, so QEMU boots it as multiboot: it is tested below for that.
  const grid = IMAGES.filter((i) => i.pkg !== "xen-utils-4.17").flatMap((img) => ["pc-tcg", "q35-tcg", "microvm-tcg"].map((v) => [img.name, v] as const));
  it.for(grid)("%s on %s: stops at its PVH entry, where the loader checks apply", { timeout: 120_000 }, async ([name, variant], ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    // A bzImage is booted as its vmlinux, taken out by the project's own decompressor.
    const c = await userKernelCase({ kernel: files.get(name)!, cmdline: "console=ttyS0 pvh.marker=entry", memoryBytes: 512 << 20 });
    const o = await qemuAdapter.boot(c, variant);
    expect(o.outcome, o.message).toBe("entered");
    expect(o.cpu!.eip).toBe(c.kernel.entry);
    const v = new Map(judge(c, o).map((x) => [x.requirement, x.status]));
    for (const id of ["pvh.cpu.eip", "pvh.cpu.ebx", "pvh.load.segments", "pvh.cmdline.content", "pvh.start-info.magic", "pvh.note.entry.present"]) expect(v.get(id), id).toBe("PASS");
  });

  it("xen-shim: QEMU takes its multiboot header, not its PVH note, as check-image warns, and is caught entering at e_entry", async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const shim = files.get("xen-shim (ELF32)")!;
    expect((await checkImage(shim)).findings.map((f) => f.requirement)).toEqual(["pvh.image.no-multiboot"]);
    const c = await userKernelCase({ kernel: shim, cmdline: null, memoryBytes: 512 << 20 });
    qemuAdapter.configure!({ bootTimeoutMs: 20_000 });
    try {
      const o = await qemuAdapter.boot(c, "pc-tcg");
      // The multiboot path jumps to e_entry, where the adapter watches too: a loader that
      // entered the image elsewhere than its PVH entry, captured there.
      expect(o.outcome, o.message).toBe("entered");
      expect(o.message).toMatch(new RegExp(`^QEMU entered the image at 0x[0-9a-f]+ \\(e_entry[^)]*\\), not at the note's entry 0x${c.kernel.entry.toString(16)}$`));
      const eip = judge(c, o).find((v) => v.requirement === "pvh.cpu.eip")!;
      expect(eip.status, eip.message).toBe("FAIL");
      expect(eip.evidence?.expected).toBe(`0x${c.kernel.entry.toString(16)}`);
    } finally {
      qemuAdapter.configure!({ bootTimeoutMs: 20_000 });
    }
  }, 120_000);

  it.skipIf(grubSkip !== undefined).each(["pc-tcg", "q35-tcg", "microvm-tcg"])("a GRUB image built for PVH (grub-mkimage -O i386-xen_pvh) is valid and stops at its PVH entry on %s", async (variant) => {
    const img = join(work, "grub-pvh.elf");
    execFileSync("grub-mkimage", ["-O", "i386-xen_pvh", "-o", img, "-p", "/boot/grub", "normal", "echo"]);
    const report = await checkImage(img);
    expect([report.verdict, report.format, report.entry]).toEqual(["valid", "elf32", 0x100000]);
    const c = await userKernelCase({ kernel: img, cmdline: null, memoryBytes: 256 << 20 });
    const o = await qemuAdapter.boot(c, variant);
    expect(o.outcome, o.message).toBe("entered");
    const v = new Map(judge(c, o).map((x) => [x.requirement, x.status]));
    for (const id of ["pvh.cpu.eip", "pvh.cpu.ebx", "pvh.load.segments", "pvh.load.zero-fill", "pvh.start-info.magic"]) expect(v.get(id), id).toBe("PASS");
  }, 120_000);

  it.for(["4.20", "4.17"] as const)("boots to its version banner as Xen's PVH dom0 (Debian's Xen %s), with the suite's command line", { timeout: 300_000 }, async (release, ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const { xenImage } = await import("../../adapters/xen/xenImage.js");
    const xen = await xenImage(release);
    const c = await userKernelCase({ kernel: vmlinuz, cmdline: null, memoryBytes: 512 << 20 });
    const elf = join(work, `vmlinux-dom0-${release}`);
    writeFileSync(elf, c.kernelImage);
    const marker = `pvh.marker=xen${process.pid}`;
    const text = await bootUntil(
      ["-accel", "tcg", "-cpu", "qemu64,+svm,+npt", "-m", "768M", "-smp", "1", "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
        "-kernel", xen, "-append", "console=com1 com1=115200,8n1 dom0=pvh dom0-iommu=none dom0_mem=384M loglvl=all guest_loglvl=all noreboot",
        "-initrd", `${elf} console=hvc0 earlyprintk=xen ${marker}`],
      join(work, `xen-${release}-serial.log`),
      [/Building a PVH Dom0/, /Linux version 6\./, new RegExp(`Command line: .*${marker}`)],
      240_000,
    );
    expect(text).toMatch(/Building a PVH Dom0/);
    expect(text).toMatch(/Linux version 6\./);
    expect(text).toMatch(new RegExp(`Command line: .*${marker}`));
  });

  it.for(IMAGES.slice(0, 2).map((i) => i.name))("%s boots to its version banner, with the suite's command line and its initrd as module 0", { timeout: 300_000 }, async (name, ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const c = await userKernelCase({ kernel: files.get(name)!, cmdline: null, memoryBytes: 512 << 20 });
    const tag = name.replace(/\W+/g, "-");
    const elf = join(work, `vmlinux-${tag}`);
    writeFileSync(elf, c.kernelImage);
    writeFileSync(join(work, `initrd-${tag}.cpio`), cpio());
    const marker = `pvh.marker=${process.pid}`;
    const text = await bootUntil(
      ["-accel", "tcg", "-machine", "pc", "-m", "512M", "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
        "-kernel", elf, "-append", `console=ttyS0 ${marker} panic=-1`, "-initrd", join(work, `initrd-${tag}.cpio`)],
      join(work, `serial-${tag}.log`),
      [/Linux version 6\./, new RegExp(`Command line: .*${marker}`), /Unpacking initramfs|Trying to unpack rootfs|Freeing initrd memory/],
      240_000,
    );
    expect(text).toMatch(/Linux version 6\./);
    expect(text).toMatch(new RegExp(`Command line: .*${marker}`));
    expect(text).toMatch(/Unpacking initramfs|Trying to unpack rootfs|Freeing initrd memory/);
  });
});
