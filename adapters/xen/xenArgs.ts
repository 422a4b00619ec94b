import { join } from "node:path";
import type { BootCase } from "../../src/model/BootCase.js";

const MIB = 1024 * 1024;
/** Memory QEMU gives the machine beyond dom0's: Xen's own heap and tables. */
export const XEN_OVERHEAD = 256 * MIB;

/** Multiboot module strings are split on spaces by Xen: a command line is passed as is after the file name. */
export function xenArgs(c: BootCase, xen: string, dir: string, extra: string[]): string[] {
  const dom0Mem = Math.round(c.memoryBytes / MIB);
  const kernel = [join(dir, "kernel.elf"), ...(c.cmdline !== null && c.cmdline !== "" ? [c.cmdline] : [])].join(" ");
  const modules = c.modules.map((m, i) => [join(dir, `module${i}.bin`), ...(m.cmdline ? [m.cmdline] : [])].join(" "));
  return [
    "-accel", "tcg",
    // The Debian build has no shadow paging: a PVH dom0 needs the CPU to offer NPT.
    "-cpu", "qemu64,+svm,+npt",
    "-m", `${dom0Mem + XEN_OVERHEAD / MIB}M`,
    "-smp", "1",
    "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
    "-serial", `file:${join(dir, "console.log")}`,
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
    "-kernel", xen,
    "-append", `console=com1 com1=115200,8n1 dom0=pvh dom0-iommu=none dom0_mem=${dom0Mem}M,max:${dom0Mem}M loglvl=all guest_loglvl=all noreboot`,
    // QEMU's multiboot loader takes the modules comma-separated; commas inside a string are doubled.
    "-initrd", [kernel, ...modules].map((m) => m.replace(/,/g, ",,")).join(","),
    ...extra,
  ];
}
