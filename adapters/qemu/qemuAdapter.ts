import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { CapturedMemory } from "../../src/capture/CapturedMemory.js";
import { captureForChecks } from "../../src/capture/captureForChecks.js";
import { entryTripwires } from "../../src/capture/entryTripwires.js";
import type { BootCase } from "../../src/model/BootCase.js";
import { GIB, MIB, type Capabilities } from "../../src/model/Capabilities.js";
import { moduleBytes } from "../../src/model/moduleBytes.js";
import type { Observation } from "../../src/model/Observation.js";
import type { Adapter, AdapterOptions, Availability, Variant } from "../Adapter.js";
import { listOption, stringOption } from "../_internals/options.js";
import { reproCommand } from "../_internals/reproCommand.js";
import { trackChild, trackTempDir } from "../_internals/children.js";
import { findOnPath } from "../_internals/findOnPath.js";
import { GdbClient, GdbTimeout } from "./GdbClient.js";
import { parseInfoRegisters, parseMemoryMap } from "./parseInfoRegisters.js";
import { QmpClient } from "./QmpClient.js";

const run = promisify(execFile);

export const MACHINES = ["pc", "q35", "microvm"] as const;
/** `--qemu PATH`: shared with the Xen adapter, whose hypervisor QEMU runs. */
export const QEMU_OPTION = { flag: "qemu", key: "qemu", value: "PATH", help: "the qemu-system-x86_64 to run (default: from PATH)" } as const;
export const ACCELS = ["tcg", "kvm"] as const;

interface Settings {
  binary: string | undefined;
  extraArgs: string[];
  bootTimeoutMs: number;
}

const COST = { runCases: 100, suiteCases: 200, bootSeconds: 1, timeoutSeconds: 20 };
const settings: Settings = { binary: undefined, extraArgs: [], bootTimeoutMs: COST.timeoutSeconds * 1000 };
/** How long QEMU may run a malformed image before that counts as not refusing it. */
const MALFORMED_GRACE_MS = 2_000;

const isObservation = (x: unknown): x is Observation => typeof x === "object" && x !== null && "outcome" in x;

function findBinary(): string | undefined {
  return settings.binary ?? findOnPath("qemu-system-x86_64");
}

const caps: Capabilities = {
  elfClasses: [32, 64],
  memory: { min: 32 * MIB, max: 6 * GIB },
  // -initrd is module 0; QEMU has no way to pass a second module or a module command line.
  maxModules: 1,
  moduleCmdlines: false,
  maxCmdline: 4096,
  relocation: false,
  malformed: true,
};

let versionCache: Promise<string> | undefined;
function qemuVersion(bin: string): Promise<string> {
  versionCache ??= run(bin, ["--version"], { timeout: 10_000 }).then((r) => r.stdout.split("\n")[0]!.trim());
  return versionCache;
}

const kvmProbe = new Map<string, Promise<Availability>>();

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** The QEMU command line for a case. */
export function qemuArgs(c: BootCase, machine: string, accel: string, dir: string): string[] {
  const args = [
    "-accel", accel,
    "-machine", machine,
    "-m", `${Math.round(c.memoryBytes / MIB)}M`,
    "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot", "-S",
    "-chardev", `socket,id=gdb0,path=${join(dir, "gdb.sock")},server=on,wait=off`,
    "-gdb", "chardev:gdb0",
    "-qmp", `unix:${join(dir, "qmp.sock")},server=on,wait=off`,
    "-serial", `file:${join(dir, "serial.log")}`,
    "-kernel", join(dir, "kernel.elf"),
  ];
  if (c.cmdline !== null) args.push("-append", c.cmdline);
  if (c.modules.length > 0) args.push("-initrd", join(dir, "module0.bin"));
  return [...args, ...settings.extraArgs];
}

async function bootOnce(c: BootCase, variant: string): Promise<Observation> {
  const [machine, accel] = variant.split("-") as [string, string];
  const bin = findBinary();
  if (!bin) throw new Error("qemu-system-x86_64 not found");
  const dir = mkdtempSync(join(tmpdir(), `pvh-qemu-${process.pid}-`));
  const untrackDir = trackTempDir(dir);
  const base = { adapter: "qemu", variant, workDir: dir } as const;
  let gdb: GdbClient | undefined;
  let qmp: QmpClient | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  let output = "";
  try {
    writeFileSync(join(dir, "kernel.elf"), c.kernelImage);
    if (c.modules.length > 0) writeFileSync(join(dir, "module0.bin"), c.moduleData?.[0] ?? moduleBytes(c.modules[0]!.seed, c.modules[0]!.size));
    const args = qemuArgs(c, machine, accel, dir);
    const command = [bin, ...args];
    const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    trackChild(proc);
    const keep = (d: Buffer): void => {
      if (output.length < 65536) output += d.toString("utf8");
    };
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void exited.then((e) => (exit = e));
    const ended = (e: { code: number | null; signal: NodeJS.Signals | null }): Observation => {
      const msg = output.trim() || "(no output)";
      if (e.signal) return { ...base, outcome: "crashed", message: `QEMU died by ${e.signal}: ${msg}`, command };
      if (e.code !== 0) return { ...base, outcome: "rejected", message: `QEMU exited with status ${e.code}: ${msg}`, command };
      return { ...base, outcome: "crashed", message: `QEMU exited before the entry was reached (guest reset or shut down): ${msg}`, command, log: serial(dir) };
    };

    // Wait for the sockets, or for QEMU to refuse the image and exit.
    const deadline = Date.now() + settings.bootTimeoutMs;
    while (!existsSync(join(dir, "gdb.sock")) || !existsSync(join(dir, "qmp.sock"))) {
      if (exit) return ended(exit);
      if (Date.now() > deadline) {
        return { ...base, outcome: "timeout", message: `QEMU did not open its gdb and QMP sockets in ${settings.bootTimeoutMs / 1000} s: ${output.trim() || "(no output)"}`, command };
      }
      await sleep(5);
    }
    // QEMU opens its sockets before it loads the kernel: if it then refuses the image,
    // the connections break while it exits. Any failure here is judged by how QEMU ended.
    const orExit = async <T>(p: Promise<T>): Promise<T | Observation> => {
      try {
        return await p;
      } catch (err) {
        const e = exit ?? (await Promise.race([exited, sleep(3_000).then(() => undefined)]));
        if (e) return ended(e);
        throw err;
      }
    };
    const g = await orExit(GdbClient.connect(join(dir, "gdb.sock"), 10_000));
    if (!(g instanceof GdbClient)) return g;
    gdb = g;
    const q = await orExit(QmpClient.connect(join(dir, "qmp.sock"), 10_000));
    if (!(q instanceof QmpClient)) return q;
    qmp = q;

    // A malformed image has no trustworthy entry: what matters is whether QEMU refuses
    // it. Still running after the grace period means it did not.
    if (c.kernel.malformed) {
      const resumed = await orExit(qmp.execute("cont"));
      if (isObservation(resumed)) return resumed;
      const e = await Promise.race([exited, sleep(MALFORMED_GRACE_MS).then(() => undefined)]);
      if (e) return ended(e);
      return { ...base, outcome: "entered", message: `QEMU did not refuse the image: still running ${MALFORMED_GRACE_MS / 1000} s after start`, command, log: serial(dir) };
    }
    const bp = await orExit(gdb.breakpoint(c.kernel.entry, accel === "kvm"));
    if (isObservation(bp)) return bp;
    // Under KVM breakpoints are debug registers: four in all, one taken by the entry.
    const tripwires = entryTripwires(c, accel === "kvm" ? 3 : 8);
    for (const t of tripwires) {
      const r = await orExit(gdb.breakpoint(t.address, accel === "kvm"));
      if (isObservation(r)) return r;
    }
    let stop;
    try {
      stop = await Promise.race([gdb.continueUntilStop(settings.bootTimeoutMs), exited.then(() => ({ kind: "closed" as const }))]);
    } catch (err) {
      if (!(err instanceof GdbTimeout)) throw err;
      await gdb.interrupt().catch(() => undefined);
      const regs = await qmp.hmp("info registers").catch(() => "");
      const eip = /EIP=([0-9a-f]+)|RIP=([0-9a-f]+)/.exec(regs);
      // RIP may be a 64-bit address: BigInt keeps it exact.
      const at = eip ? BigInt(`0x${eip[1] ?? eip[2]}`) : undefined;
      return {
        ...base,
        outcome: "timeout",
        message: `the entry 0x${c.kernel.entry.toString(16)} was not reached in ${settings.bootTimeoutMs / 1000} s; ${whereTheCpuIs(c, at)}`,
        log: `${regs}\n--- serial ---\n${serial(dir)}`,
        command,
      };
    }
    // W/X packets: the stub reports the guest gone (QEMU exiting), not a stop.
    if (stop.kind === "closed" || /^[WX]/.test(stop.reply)) return ended(exit ?? (await exited));

    const regs = await orExit(qmp.hmp("info registers"));
    if (isObservation(regs)) return regs;
    const cpu = parseInfoRegisters(regs);
    const tripped = tripwires.find((t) => t.address === cpu.eip);
    if (cpu.eip !== c.kernel.entry && !tripped) {
      return { ...base, outcome: "crashed", message: `QEMU stopped at EIP 0x${cpu.eip.toString(16)}, not at the breakpoint on the entry 0x${c.kernel.entry.toString(16)} (stop reply ${stop.reply})`, command, log: regs };
    }
    const mtree = await orExit(qmp.hmp("info mtree -f"));
    if (isObservation(mtree)) return mtree;
    const map = parseMemoryMap(mtree);
    const memory = new CapturedMemory(map.readable);
    const obs: Observation = {
      ...base,
      outcome: "entered",
      cpu,
      memory,
      ram: map.ram,
      writable: map.writable,
      command,
      // Entered the image, but not at the note's entry: captured there, and judged (pvh.cpu.eip fails).
      ...(tripped ? { message: `QEMU entered the image at 0x${tripped.address.toString(16)} (${tripped.why}), not at the note's entry 0x${c.kernel.entry.toString(16)}` } : {}),
    };
    let n = 0;
    const captured = await orExit(captureForChecks(c, obs, memory, async (addr, len) => {
      const file = join(dir, `mem${n++}.bin`);
      await qmp!.execute("pmemsave", { val: addr, size: len, filename: file });
      const bytes = new Uint8Array(readFileSync(file));
      rmSync(file, { force: true });
      if (bytes.length !== len) throw new Error(`pmemsave of 0x${addr.toString(16)}+0x${len.toString(16)} returned ${bytes.length} bytes`);
      return bytes;
    }));
    if (isObservation(captured)) return captured;
    return obs;
  } finally {
    gdb?.close();
    if (qmp) {
      await qmp.execute("quit", undefined, 2_000).catch(() => undefined);
      qmp.close();
    }
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child!.once("exit", r));
      const t = setTimeout(() => child!.kill("SIGKILL"), 3_000);
      child.kill("SIGTERM");
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
    untrackDir();
  }
}

function serial(dir: string): string {
  const f = join(dir, "serial.log");
  try {
    return statSync(f).size > 0 ? readFileSync(f, "utf8").slice(-16384) : "";
  } catch {
    return "";
  }
}

/** Does a KVM guest actually start here? Boots a tiny PVH image under KVM once. */
async function kvmAvailable(machine: string): Promise<Availability> {
  if (!existsSync("/dev/kvm")) return { ok: false, reason: "no /dev/kvm" };
  let p = kvmProbe.get(machine);
  if (!p) {
    p = (async () => {
      const { exampleCase } = await import("../../generators/exampleCase.js");
      const saved = settings.bootTimeoutMs;
      try {
        settings.bootTimeoutMs = 30_000;
        const o = await bootOnce(exampleCase("kvm-probe"), `${machine}-kvm`);
        return o.outcome === "entered" ? { ok: true as const } : { ok: false as const, reason: `a KVM guest did not reach its entry (${o.outcome}: ${(o.message ?? "").slice(0, 200)})` };
      } catch (err) {
        return { ok: false as const, reason: `a KVM guest did not start: ${(err as Error).message.slice(0, 200)}` };
      } finally {
        settings.bootTimeoutMs = saved;
      }
    })();
    kvmProbe.set(machine, p);
  }
  return p;
}

const variants: Variant[] = MACHINES.flatMap((m) =>
  ACCELS.map((a) => ({ id: `${m}-${a}`, description: `QEMU -machine ${m} -accel ${a}`, default: a === "tcg", facets: { machine: m, accel: a } })),
);

/** QEMU loading a PVH kernel with -kernel, stopped at the entry through its gdb stub. */
export const qemuAdapter: Adapter = {
  id: "qemu",
  description: "QEMU -kernel (pc, q35, microvm), captured at the PVH entry through the gdb stub and QMP",
  variants,
  options: [
    { flag: "machine", key: "machine", value: "M", multiple: true, facet: "machine", help: `QEMU machine types to run: ${MACHINES.join(", ")} (default: all)` },
    { flag: "accel", key: "accel", value: "A", multiple: true, facet: "accel", facetDefault: ["tcg"], help: "QEMU accelerators: tcg (default), kvm (only where a KVM guest actually starts)" },
    QEMU_OPTION,
    { flag: "qemu-arg", key: "qemuArgs", value: "ARG", multiple: true, dashValues: true, help: "append ARG to every QEMU command line; repeatable, e.g. --qemu-arg -L --qemu-arg /path/to/firmware" },
  ],
  cost: COST,
  capabilities: () => caps,
  configure(opts: AdapterOptions) {
    const qemu = stringOption(opts, "qemu");
    if (qemu !== undefined) settings.binary = qemu ? resolve(qemu) : undefined;
    const extra = listOption(opts, "qemuArgs");
    if (extra) settings.extraArgs = extra;
    if (opts.bootTimeoutMs) settings.bootTimeoutMs = opts.bootTimeoutMs;
  },
  reproducer(c, obs) {
    if (!obs.command) return undefined;
    return {
      body: `# The exact command the suite ran. QEMU starts paused (-S) with its gdb stub on
# $HERE/gdb.sock; to stop at the PVH entry as the suite did:
#   gdb -ex "target remote $HERE/gdb.sock" -ex 'break *0x${c.kernel.entry.toString(16)}' -ex continue
# then read registers with 'info registers' or QMP on $HERE/qmp.sock.
exec ${reproCommand(obs.command, obs.workDir)} "$@"
`,
    };
  },
  async available() {
    const bin = findBinary();
    if (!bin) return { ok: false, reason: "qemu-system-x86_64 is not on PATH (apt-get install qemu-system-x86, or --qemu PATH)" };
    try {
      await qemuVersion(bin);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `${bin} --version failed: ${(err as Error).message}` };
    }
  },
  async variantAvailable(variant: string) {
    const [machine, accel] = variant.split("-");
    return accel === "kvm" ? kvmAvailable(machine!) : { ok: true };
  },
  async runInfo() {
    const bin = findBinary() ?? "qemu-system-x86_64";
    const details: Record<string, string> = settings.extraArgs.length ? { extraArgs: settings.extraArgs.join(" ") } : {};
    return { adapter: "qemu", version: await qemuVersion(bin), binary: bin, details };
  },
  boot: bootOnce,
};

/**
 * Where a CPU that never reached the entry is, for a TIMEOUT's message: inside one of
 * the kernel's segments means it runs the image's own bytes without having passed its
 * entry, so the loader most likely entered the image somewhere else.
 */
export function whereTheCpuIs(c: BootCase, eip: bigint | undefined): string {
  if (eip === undefined) return "the CPU is at an unknown address";
  const seg = c.kernel.segments.findIndex((s) => eip >= BigInt(s.paddr) && eip < BigInt(s.paddr + s.memsz));
  if (seg < 0) return `the CPU is at 0x${eip.toString(16)}`;
  const s = c.kernel.segments[seg]!;
  return `the CPU is at 0x${eip.toString(16)}, inside the kernel's segment ${seg} (0x${s.paddr.toString(16)}+0x${s.memsz.toString(16)}): the loader may have entered the image elsewhere than the note's entry`;
}
