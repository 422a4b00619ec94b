import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BootCase } from "../../src/model/BootCase.js";
import { GIB, MIB, type Capabilities } from "../../src/model/Capabilities.js";
import type { CpuState, SegmentState } from "../../src/model/CpuState.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";
import type { Observation } from "../../src/model/Observation.js";
import type { Adapter, AdapterOptions } from "../Adapter.js";
import { trackChild, trackTempDir } from "../_internals/children.js";
import { harness, HarnessBuildError, rustcVersion } from "./harnessBuild.js";
import { HarnessMemory } from "./HarnessMemory.js";
import { planText, vmmPlan } from "./vmmPlan.js";

const settings = { timeoutMs: 60_000 };

const caps: Capabilities = {
  // Fed both; linux-loader's Elf::load reads ELF64 headers only, which is a finding, not a limit of the harness.
  elfClasses: [32, 64],
  memory: { min: 32 * MIB, max: 6 * GIB },
  // The configurator writes any number of modlist entries; the harness places up to 8.
  maxModules: 8,
  // Written by the harness (linux-loader has no call for them), so pvh.module.cmdline is not judged.
  moduleCmdlines: true,
  maxCmdline: 64 * 1024,
  // linux-loader reads no PHYS32_RELOC note: it loads every segment at its p_paddr.
  relocation: false,
  malformed: true,
};

const NO_CPU = "linux-loader sets no CPU state: the VMM that calls it does (cloud-hypervisor and Firecracker each with their own code), and this harness runs no vCPU";
const MEMMAP = "the memory map's entries are the harness's own (the VMM's part): linux-loader's configurator copies the entries it is given";
const PLACEMENT = "where start_info, its tables, the command lines and the modules go is the VMM's choice (here the harness's), not linux-loader's";

/**
 * Requirements decided by the harness, playing the VMM's part, rather than by
 * linux-loader: judge() makes them SKIP (cannot-observe) with the reason, so that no
 * verdict passes or fails on this project's own choices.
 */
export const UNJUDGEABLE: ReadonlyMap<string, string> = new Map([
  ...["pvh.cpu.ebx", "pvh.cpu.cr0", "pvh.cpu.cr4", "pvh.cpu.cs", "pvh.cpu.ds", "pvh.cpu.es", "pvh.cpu.ss", "pvh.cpu.tr", "pvh.cpu.eflags", "pvh.interop.cpl0"].map((id) => [id, NO_CPU] as const),
  ...["pvh.memmap.table", "pvh.memmap.types", "pvh.memmap.reserved", "pvh.memmap.ram", "pvh.interop.memmap-limit", "pvh.interop.memmap-disjoint", "pvh.interop.boot-data-reserved"].map((id) => [id, MEMMAP] as const),
  ...["pvh.start-info.in-ram", "pvh.start-info.no-zero-address", "pvh.layout.no-overlap", "pvh.interop.low-tables", "pvh.interop.addresses-32bit", "pvh.interop.start-info-writable"].map((id) => [id, PLACEMENT] as const),
  ["pvh.interop.version-1", "the start_info version is the harness's choice (it fills hvm_start_info; the configurator copies it)"],
  ["pvh.interop.empty-modlist", "modlist_paddr is the harness's choice (it fills hvm_start_info; the configurator copies it)"],
  ["pvh.rsdp.valid", "ACPI tables are the VMM's to build (linux-loader has none); the harness hands over rsdp_paddr 0"],
  ["pvh.interop.rsdp-present", "ACPI tables are the VMM's to build (linux-loader has none); the harness hands over rsdp_paddr 0"],
  ["pvh.module.cmdline", "module command lines are written by the harness: linux-loader has no call for them"],
]);

/** What the harness prints (harness/src/main.rs, print_report). */
interface HarnessReport {
  outcome: "entered" | "rejected";
  stage: string;
  message: string;
  pvh: string;
  entry: number | null;
  kernelEnd: number | null;
  hashes: { addr: number; len: number; crc32: number | null }[];
  pages: { addr: number; data: string }[];
}

function isReport(x: unknown): x is HarnessReport {
  const r = x as HarnessReport;
  return typeof r === "object" && r !== null && (r.outcome === "entered" || r.outcome === "rejected") && Array.isArray(r.pages) && Array.isArray(r.hashes);
}

/** The harness could not do its part (a bad plan, an unreadable report): the suite's fault, never linux-loader's. */
export class LinuxLoaderHarnessError extends Error {
  override name = "LinuxLoaderHarnessError";
}

const flat = (selector: number, type: number): SegmentState => ({ selector, base: 0, limit: 0xffffffff, type, s: 1, dpl: 0, present: true, db: 1, l: 0, g: 1, avl: 0 });

/**
 * A placeholder CPU state (every CPU requirement but EIP is in UNJUDGEABLE): EIP is the
 * entry linux-loader reported, EBX where the harness put start_info, the rest the ABI's
 * values, so nothing downstream reads an undefined field.
 */
function cpuState(entry: number, startInfo: number): CpuState {
  const tss: SegmentState = { selector: 0x18, base: 0, limit: 0x67, type: 11, s: 0, dpl: 0, present: true, db: 0, l: 0, g: 0, avl: 0 };
  const none: SegmentState = { selector: 0, base: 0, limit: 0, type: 0, s: 0, dpl: 0, present: false, db: 0, l: 0, g: 0, avl: 0 };
  return {
    eax: 0, ebx: startInfo, ecx: 0, edx: 0, esi: 0, edi: 0, ebp: 0, esp: 0,
    eip: entry, eflags: 0x2, cr0: 0x11, cr3: 0, cr4: 0, efer: 0,
    segments: { cs: flat(0x8, 11), ds: flat(0x10, 3), es: flat(0x10, 3), ss: flat(0x10, 3), fs: flat(0x10, 3), gs: flat(0x10, 3), tr: tss, ldtr: none },
    gdtr: { base: 0, limit: 0 },
    idtr: { base: 0, limit: 0 },
  };
}

export function runHarness(binary: string, plan: string, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ["pipe", "pipe", "pipe"] });
    trackChild(child);
    const out: Buffer[] = [];
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => void (stderr.length < 16384 && (stderr += d.toString())));
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString("latin1"), stderr, timedOut });
    });
    // A harness that exits before reading all of the plan closes the pipe: that is its exit's to report.
    child.stdin!.on("error", () => {});
    child.stdin!.end(plan);
  });
}

async function boot(c: BootCase, variant: string): Promise<Observation> {
  if (variant !== "elf" && variant !== "reused-memory") throw new LinuxLoaderHarnessError(`linux-loader adapter has no variant ${variant}`);
  const built = await harness();
  const base = { adapter: "linux-loader", variant } as const;
  const plan = vmmPlan(c);
  const dir = mkdtempSync(join(tmpdir(), `pvh-lloader-${process.pid}-`));
  const untrack = trackTempDir(dir);
  try {
    const kernel = join(dir, "kernel.elf");
    writeFileSync(kernel, c.kernelImage);
    const modules = c.modules.map((m, i) => {
      const f = join(dir, `module${i}.bin`);
      writeFileSync(f, c.moduleData?.[i] ?? moduleBytes(m.seed, m.size));
      return f;
    });
    const text = planText(c, plan, { kernel, modules }, { reusedMemory: variant === "reused-memory" });
    // No `command` on the Observation: the plan names files in this temporary folder, so a
    // reproducer replays the case from its seed instead (as for the in-process reference loader).
    const r = await runHarness(built.binary, text, settings.timeoutMs);
    if (r.timedOut) return { ...base, outcome: "timeout", message: `the harness did not finish in ${settings.timeoutMs / 1000} s` };
    if (r.signal || (r.code !== 0 && r.code !== 2)) {
      // A Rust panic (exit 101) or a signal inside linux-loader: the loader crashed on this case.
      return { ...base, outcome: "crashed", message: `the harness ${r.signal ? `died by ${r.signal}` : `exited ${r.code}`}: ${r.stderr.trim().split("\n").slice(0, 4).join(" ")}` };
    }
    if (r.code === 2) throw new LinuxLoaderHarnessError(`the linux-loader harness refused its plan: ${r.stderr.trim()}`);
    let report: unknown;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      throw new LinuxLoaderHarnessError(`the linux-loader harness printed no JSON report: ${r.stdout.slice(0, 200)}`);
    }
    if (!isReport(report)) throw new LinuxLoaderHarnessError(`the linux-loader harness's report has an unexpected shape: ${r.stdout.slice(0, 200)}`);
    if (report.outcome === "rejected") return { ...base, outcome: "rejected", message: `linux-loader (${report.stage}): ${report.message}` };
    if (report.entry === null) throw new LinuxLoaderHarnessError("the linux-loader harness entered without an entry");
    const pages = report.pages.map((p) => ({ addr: p.addr, data: new Uint8Array(Buffer.from(p.data, "base64")) }));
    return {
      ...base,
      outcome: "entered",
      message: report.pvh,
      cpu: cpuState(report.entry, plan.startInfo),
      memory: new HarnessMemory(pages, report.hashes, plan.ram),
      ram: plan.ram,
      writable: plan.ram,
      unjudgeable: UNJUDGEABLE,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    untrack();
  }
}

/** rust-vmm's linux-loader (the PVH loading library of cloud-hypervisor and Firecracker), through a harness of this project's own. */
export const linuxLoaderAdapter: Adapter = {
  id: "linux-loader",
  description: "rust-vmm's linux-loader crate (Debian sid's 0.14, the PVH loader cloud-hypervisor and Firecracker use; not those VMMs), driven by this project's harness",
  variants: [
    { id: "elf", description: "loader::elf::Elf::load at p_paddr, load_cmdline, PvhBootConfigurator (start_info version 1), into fresh guest memory", default: true },
    { id: "reused-memory", description: "the same, into guest memory that still holds old bytes where the kernel goes (as memory a VMM reuses), so the zero tail is linux-loader's to write", default: false },
  ],
  // One boot is a process start and a few milliseconds of loading; the build, once, is about 20 s.
  cost: { runCases: 100, suiteCases: 50, bootSeconds: 0.3, timeoutSeconds: 60 },
  capabilities: () => caps,
  configure(opts: AdapterOptions) {
    if (opts.bootTimeoutMs) settings.timeoutMs = Math.max(opts.bootTimeoutMs, 5_000);
  },
  async available() {
    try {
      await harness();
      return { ok: true };
    } catch (err) {
      if (err instanceof HarnessBuildError) return { ok: false, reason: err.message };
      throw err;
    }
  },
  async runInfo() {
    const h = await harness();
    const pkg = (n: string): string => h.packages.get(n) ?? "unknown";
    return {
      adapter: "linux-loader",
      version: h.crates.get("linux-loader") ?? "unknown",
      binary: h.binary,
      details: {
        "linux-loader": h.crates.get("linux-loader") ?? "unknown",
        "vm-memory": h.crates.get("vm-memory") ?? "unknown",
        "librust-linux-loader-dev": pkg("librust-linux-loader-dev"),
        "librust-vm-memory-dev": pkg("librust-vm-memory-dev"),
        rustc: await rustcVersion(h.cargo),
      },
    };
  },
  boot,
};
