import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BootCase } from "../../src/model/BootCase.js";
import { MIB } from "../../src/model/Capabilities.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";

export interface ProbeRun {
  /** Port 0xe9 (-debugcon) and COM1 logs. */
  e9: string;
  com1: string;
  /** QEMU's exit status: 33 when the probe wrote 0x10 to isa-debug-exit. */
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  ms: number;
}

/** Boot a probe kernel on QEMU and let it run to its end (isa-debug-exit), or kill it after timeoutMs. */
export async function bootProbeQemu(c: BootCase, machine: string, timeoutMs = 60_000): Promise<ProbeRun> {
  const dir = mkdtempSync(join(tmpdir(), "pvh-probe-run-"));
  try {
    writeFileSync(join(dir, "kernel.elf"), c.kernelImage);
    const args = [
      "-accel", "tcg", "-machine", machine, "-m", `${Math.round(c.memoryBytes / MIB)}M`,
      "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
      "-debugcon", `file:${join(dir, "e9.log")}`, "-serial", `file:${join(dir, "com1.log")}`,
      "-kernel", join(dir, "kernel.elf"),
    ];
    if (c.cmdline !== null) args.push("-append", c.cmdline);
    if (c.modules.length > 0) {
      writeFileSync(join(dir, "module0.bin"), c.moduleData?.[0] ?? moduleBytes(c.modules[0]!.seed, c.modules[0]!.size));
      args.push("-initrd", join(dir, "module0.bin"));
    }
    const t0 = performance.now();
    const child = spawn("qemu-system-x86_64", args, { stdio: "ignore" });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (status, sig) => resolve([status, sig]));
    }).finally(() => clearTimeout(timer));
    const read = (f: string): string => {
      try {
        return readFileSync(join(dir, f), "latin1");
      } catch {
        return "";
      }
    };
    return { e9: read("e9.log"), com1: read("com1.log"), code, signal, killed, ms: performance.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
