import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseProbeReport } from "../../probe/parseProbeReport.js";
import { ProbeReportError } from "../../probe/ProbeReportError.js";
import { probeCaseObservation } from "../../probe/judgeProbe.js";
import { probeObservation } from "../../probe/probeObservation.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { MIB, type Capabilities } from "../../src/model/Capabilities.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";
import type { Observation } from "../../src/model/Observation.js";
import type { Adapter, AdapterOptions } from "../Adapter.js";
import { trackChild, trackTempDir } from "../_internals/children.js";
import { findOnPath } from "../_internals/findOnPath.js";
import { stringOption } from "../_internals/options.js";
import { reproCommand } from "../_internals/reproCommand.js";
import { QEMU_OPTION } from "../qemu/qemuAdapter.js";
import { xenArgs } from "./xenArgs.js";
import { DEFAULT_XEN_RELEASE, isXenRelease, XEN_RELEASES, xenImage, xenRelocates, xenVersion, type XenRelease } from "./xenImage.js";

// A boot is Xen's own start under TCG: seconds, not milliseconds.
const COST = { runCases: 20, suiteCases: 20, bootSeconds: 10, timeoutSeconds: 90 };
const settings: { xen: string | undefined; bootTimeoutMs: number; qemu: string | undefined } = { xen: undefined, bootTimeoutMs: COST.timeoutSeconds * 1000, qemu: undefined };

/** How long a malformed image may run after Xen starts dom0 before that counts as not refused. */
const MALFORMED_GRACE_MS = 1_500;

const baseCaps: Omit<Capabilities, "relocation"> = {
  elfClasses: [32, 64],
  // dom0_mem: the machine gets this plus room for Xen itself.
  memory: { min: 64 * MIB, max: 1024 * MIB },
  // Xen's PVH dom0 builder passes one module (the initrd) to dom0.
  maxModules: 1,
  moduleCmdlines: false,
  maxCmdline: 512,
  malformed: true,
  entryCode: "probe",
};

function qemuBinary(): string | undefined {
  return settings.qemu ?? findOnPath("qemu-system-x86_64");
}

/** The Debian release selected, or undefined when --xen named an image. */
function selectedRelease(): XenRelease | undefined {
  if (settings.xen === undefined) return DEFAULT_XEN_RELEASE;
  return isXenRelease(settings.xen) ? settings.xen : undefined;
}

const imageCache = new Map<string, Promise<string>>();
function xenPath(): Promise<string> {
  const release = selectedRelease();
  if (!release) return Promise.resolve(settings.xen!);
  if (!imageCache.has(release)) imageCache.set(release, xenImage(release));
  return imageCache.get(release)!;
}

const versionCache = new Map<string, string>();
/** Whether the selected Xen moves PHYS32_RELOC kernels, so that cases may need it: by release, or by the image's banner. */
function relocates(): boolean {
  const release = selectedRelease();
  if (release) return xenRelocates(release);
  const image = settings.xen!;
  if (!versionCache.has(image)) versionCache.set(image, xenVersion(image));
  return xenRelocates(versionCache.get(image)!);
}

/** Xen's console lines from dom0 (port 0xe9 writes), without the "(d0) " prefix. */
function dom0Lines(console: string): string[] {
  return console
    .split("\n")
    .filter((l) => l.startsWith("(d0) "))
    .map((l) => l.slice(5).replace(/\r$/, ""));
}

/** Console lines around a refusal that say nothing about it: banners, memory map rows, blank lines. */
const NOISE = /^\s*$|\*\*\*|^\s*\[[0-9a-f]+, [0-9a-f]+\]|has maximum \d+ PIRQs|New Xen image base|Manual reset required|^\s*Panic on CPU/;

/**
 * What Xen said when it would not build or run dom0, if it said anything: the lines
 * before its panic and the panic's own words, boilerplate left out, e.g. "Kernel does
 * not support Dom0 operation; Failed to load Dom0 kernel; Could not construct domain 0".
 */
function xenRefusal(console: string): string | undefined {
  const lines = console.split("\n").map((l) => l.replace(/\r$/, ""));
  const panic = lines.findIndex((l) => /Panic on CPU|Could not (set up|construct) DOM0/.test(l));
  if (panic < 0) return undefined;
  const said = lines
    .slice(Math.max(0, panic - 6), panic + 6)
    .filter((l) => l.startsWith("(XEN)"))
    .map((l) => l.slice(5).trim())
    .filter((l) => !NOISE.test(l));
  return said.length ? said.join("; ") : "Xen panicked";
}

async function boot(c: BootCase, variant: string): Promise<Observation> {
  const qemu = qemuBinary();
  if (!qemu) throw new Error("qemu-system-x86_64 not found");
  const xen = await xenPath();
  const dir = mkdtempSync(join(tmpdir(), `pvh-xen-${process.pid}-`));
  const untrackDir = trackTempDir(dir);
  const base = { adapter: "xen", variant, workDir: dir } as const;
  try {
    writeFileSync(join(dir, "kernel.elf"), c.kernelImage);
    c.modules.forEach((m, i) => writeFileSync(join(dir, `module${i}.bin`), c.moduleData?.[i] ?? moduleBytes(m.seed, m.size)));
    const args = xenArgs(c, xen, dir, []);
    const command = [qemu, ...args];
    const child = spawn(qemu, args, { stdio: ["ignore", "ignore", "pipe"] });
    trackChild(child);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => void (stderr.length < 16384 && (stderr += d.toString())));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, settings.bootTimeoutMs);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    // With noreboot, Xen waits forever after a panic, and a probe may end before QEMU
    // does: watch the console and stop QEMU as soon as either is written.
    let done = false;
    const watcher = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 100));
        let text = "";
        try {
          text = readFileSync(join(dir, "console.log"), "latin1");
        } catch {
          continue;
        }
        // A malformed image carries no probe: Xen starting dom0 without a panic is enough to
        // know it did not refuse it (after a short grace for a late panic).
        const started = c.kernel.malformed !== null && /Serial input to DOM0/.test(text);
        if (/Panic on CPU|\(d0\) PVHP END /.test(text) || started) {
          await new Promise((r) => setTimeout(r, started ? MALFORMED_GRACE_MS : 200));
          child.kill("SIGKILL");
          return;
        }
      }
    })();
    const exit = await exited;
    done = true;
    await watcher;
    clearTimeout(timer);
    const log = (() => {
      try {
        return readFileSync(join(dir, "console.log"), "latin1");
      } catch {
        return "";
      }
    })();
    const tail = log.split("\n").slice(-60).join("\n");
    const refusal = xenRefusal(log);
    if (refusal) return { ...base, outcome: "rejected", message: `Xen did not build dom0: ${refusal}`, log: tail, command };
    const lines = dom0Lines(log);
    let report;
    try {
      report = parseProbeReport(lines);
    } catch (err) {
      if (!(err instanceof ProbeReportError)) throw err;
      // A malformed image Xen did not refuse: it ran something, which is all refusal judges.
      if (c.kernel.malformed) return { ...base, outcome: "entered", message: `Xen did not refuse the image (${err.message})`, log: tail, command };
      if (timedOut) return { ...base, outcome: "timeout", message: `no complete probe report in ${settings.bootTimeoutMs / 1000} s: ${err.message}`, log: tail, command };
      if (exit.signal && !timedOut) return { ...base, outcome: "crashed", message: `QEMU died by ${exit.signal}: ${stderr.trim()}`, log: tail, command };
      return { ...base, outcome: "crashed", message: `the probe's report is incomplete (the guest died or was stopped): ${err.message}`, log: tail, command };
    }
    return probeCaseObservation(c, probeObservation(report, { ...base, log: tail, command }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    untrackDir();
  }
}

/** Xen's PVH dom0 builder (Debian's hypervisor, booted by QEMU), observed through the probe guest. */
export const xenAdapter: Adapter = {
  id: "xen",
  description: "Xen's PVH dom0 builder (Debian's xen-hypervisor-4.20, or 4.17 with --xen 4.17, under QEMU TCG with NPT), observed by the self-reporting probe",
  variants: [{ id: "dom0", description: "the kernel as a PVH dom0 (start_info version 0, modules as multiboot modules)", default: true }],
  options: [
    {
      flag: "xen",
      key: "xen",
      value: "R|PATH",
      help: `the Xen hypervisor to test: a Debian build by release, ${DEFAULT_XEN_RELEASE} (the default, from trixie; relocates PHYS32_RELOC kernels) or 4.17 (bookworm), fetched with apt-get download into the cache and unpacked, never installed; or the path of a hypervisor image (gunzipped ELF)`,
    },
    QEMU_OPTION,
  ],
  cost: COST,
  capabilities: () => ({ ...baseCaps, relocation: relocates() }),
  configure(opts: AdapterOptions) {
    const xen = stringOption(opts, "xen");
    if (xen !== undefined) settings.xen = xen === "" ? undefined : isXenRelease(xen) ? xen : resolve(xen);
    const qemu = stringOption(opts, "qemu");
    if (qemu !== undefined) settings.qemu = qemu ? resolve(qemu) : undefined;
    if (opts.bootTimeoutMs) settings.bootTimeoutMs = Math.max(opts.bootTimeoutMs, 5_000);
  },
  reproducer(_c, obs) {
    if (!obs.command) return undefined;
    // The hypervisor image is copied too (from the cache, or --xen PATH), so the folder runs anywhere QEMU is.
    const image = obs.command[obs.command.indexOf("-kernel") + 1];
    const name = image ? basename(image) : undefined;
    const copies = image && name && existsSync(image) ? { [name]: image } : {};
    return {
      body: `# The exact command the suite ran: QEMU boots Xen, which builds the PVH dom0 from
# kernel.elf${_c.modules.length ? " and the module(s)" : ""}. Xen's console, with the probe's report as "(d0) " lines,
# goes to $HERE/console.log; QEMU stops when the guest writes to port 0xf4, else stop it with Ctrl-C.
exec ${reproCommand(obs.command, obs.workDir, image && name ? { [image]: name } : {})} "$@"
`,
      copies,
    };
  },
  async available() {
    if (!qemuBinary()) return { ok: false, reason: "qemu-system-x86_64 is not on PATH (apt-get install qemu-system-x86)" };
    try {
      const x = await xenPath();
      if (!existsSync(x)) return { ok: false, reason: `no Xen image at ${x} (--xen takes a Debian release, ${Object.keys(XEN_RELEASES).join(" or ")}, or the path of a hypervisor image)` };
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `Xen ${selectedRelease()}'s image could not be fetched with apt-get download (${(err as Error).message.split("\n")[0]}); give one with --xen PATH` };
    }
  },
  async runInfo() {
    const x = await xenPath();
    return { adapter: "xen", version: xenVersion(x), binary: x, details: { qemu: qemuBinary() ?? "" } };
  },
  boot,
};
