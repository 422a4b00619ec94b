import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { parseProbeReport } from "../../probe/parseProbeReport.js";
import { ProbeReportError } from "../../probe/ProbeReportError.js";
import { probeObservation } from "../../probe/probeObservation.js";
import type { BootCase } from "../../src/model/BootCase.js";
import type { SegmentName, SegmentState } from "../../src/model/CpuState.js";
import { MIB, type Capabilities } from "../../src/model/Capabilities.js";
import type { Observation } from "../../src/model/Observation.js";
import type { Adapter, AdapterOptions, BatchObservation } from "../Adapter.js";
import { trackTempDir } from "../_internals/children.js";
import { stringOption } from "../_internals/options.js";
import { spawnVmm } from "../_internals/spawnVmm.js";
import { QEMU_OPTION } from "../qemu/qemuAdapter.js";
import { findOnPath } from "../_internals/findOnPath.js";
import { xenImage, xenVersion } from "../xen/xenImage.js";
import { cpioNewc } from "./cpio.js";
import { batchEntries, xlConfig } from "./xlBatch.js";
import { parseVmcbDump } from "./vmcbDump.js";
import { dom0Parts, XL_RELEASES, type XlRelease } from "./xlDom0.js";

const settings: { qemu: string | undefined; caseTimeoutMs: number; bootTimeoutMs: number } = { qemu: undefined, caseTimeoutMs: 30_000, bootTimeoutMs: 180_000 };

/** Dom0's fixed memory; the machine gets this, the largest domU of the batch, and room for Xen. */
const DOM0_MIB = 512;
const XEN_ROOM_MIB = 256;
/** How long a malformed image may run before that counts as not refused (it carries no probe to wait for). */
const MALFORMED_RUN_S = 1;
/**
 * Extra seconds a case's report needs on Xen's console beyond the base deadline: the
 * probe prints its command line as MEM lines (about 5 console bytes per byte of it),
 * and Xen's console reaches the host through QEMU's emulated UART, which keeps to
 * 115200 baud (about 11 KB/s). A 64 KiB command line is about 30 s of console.
 */
function reportSeconds(c: BootCase): number {
  return Math.ceil(((c.cmdline?.length ?? 0) * 5 * 2) / 11_000);
}
/** QEMU's CPU time so far (user and system, /proc/PID/stat), in seconds; 0 when it cannot be read. */
function qemuCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the command), in clock ticks (USER_HZ, 100 on Linux/x86).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
/** However loaded the host, a dom0 boot or one case that takes this long on the wall clock has stopped. */
const WALL_CAP_MS = 30 * 60_000;
/** Slack (QEMU CPU time) beyond a case's own deadline in dom0, for xl itself (a 16 MiB ramdisk). */
const HOST_SLACK_MS = 60_000;
/** At most this many cases, and case bytes, in one dom0 (its initramfs lives in dom0's 512 MiB). */
const MAX_BATCH_CASES = 48;
const MAX_BATCH_BYTES = 96 * MIB;

const caps: Capabilities = {
  elfClasses: [32, 64],
  // A domU's memory, in whole MiB; the machine is sized for it (DOM0_MIB + this + XEN_ROOM_MIB).
  memory: { min: 32 * MIB, max: 512 * MIB },
  // xl's config has one ramdisk and no module command line.
  maxModules: 1,
  moduleCmdlines: false,
  maxCmdline: 64 * 1024,
  // libxenguest reads PHYS32_RELOC (4.20); what it does with a kernel that must move is measured, not assumed.
  relocation: true,
  malformed: true,
  entryCode: "probe",
};

function qemuBinary(): string | undefined {
  return settings.qemu ?? findOnPath("qemu-system-x86_64");
}

function release(variant: string): XlRelease {
  if (!Object.hasOwn(XL_RELEASES, variant)) throw new Error(`xl has no variant ${JSON.stringify(variant)} (${Object.keys(XL_RELEASES).join(", ")})`);
  return variant as XlRelease;
}

const hypervisors = new Map<XlRelease, Promise<string>>();
function hypervisor(r: XlRelease): Promise<string> {
  if (!hypervisors.has(r)) {
    const p = xenImage(XL_RELEASES[r].hypervisor);
    p.catch(() => hypervisors.delete(r));
    hypervisors.set(r, p);
  }
  return hypervisors.get(r)!;
}

/** Console lines from the dom0 runner: `XLRUN <WORD> <rest>` anywhere in a line (Xen's console may put text before it). */
const RUNNER = /XLRUN ([A-Z]+)(?: (.*))?$/;
/** libxl's clean-up after a failed create, which says nothing about why it failed. */
const CLEANUP = /Getting domain info: No such process|Non-existant domain|Unable to destroy guest|Destruction of domain failed|unable to find domain info|xenstore read failed: `\/libxl\/\d+\/type'|unable to get domain type/;

/**
 * libxl's and libxenguest's words for a refusal, from `xl -vvv`: every error, and each
 * loader libxenguest tried with what it said ("ELF-generic loader: loader probe
 * failed"). It tries its loaders in turn, so the last error alone often names the
 * wrong one (the HVM loader's "ELF image is not 32bit" for a PVH kernel the ELF
 * loader turned down).
 */
export function refusal(lines: readonly string[]): string {
  const out: string[] = [];
  let loader: string | undefined;
  for (const l of lines) {
    if (CLEANUP.test(l)) continue;
    const trying = /xc_dom_find_loader: trying (.+?) \.\.\.\s*$/.exec(l);
    if (trying) {
      loader = trying[1]!;
      continue;
    }
    if (/loader probe failed/.test(l)) {
      out.push(`${loader ?? "a loader"}: probe failed`);
      continue;
    }
    if (/: (error|warning):|panic|Failed to/.test(l)) out.push(l.replace(/^(xc|libxl|domainbuilder): /, "$1: "));
  }
  return out.length ? out.filter((l, i) => out.indexOf(l) === i).join("; ") : lines.length ? lines.slice(-3).join("; ") : "xl said nothing";
}

interface CaseState {
  n: number;
  domid?: number;
  refusedRc?: number;
  errors: string[];
  console: string[];
  /** Xen's console between CREATED and DUMPED: the VMCB dump of the paused domain. */
  dump: string[] | null;
  /** The entry segment registers from that dump, when it had the domain's vCPU 0. */
  vmcb?: Partial<Record<SegmentName, SegmentState>> | null;
}

/** What one dom0 run made of each case it reached. */
type CaseResult = { n: number; observation: Observation };

/** Xen's own console lines that name domain `domid` (d5, d5v0). */
const aboutDomain = (line: string, domid: number): boolean => new RegExp(`\\bd${domid}(v\\d+)?\\b`).test(line);

function judgeable(c: BootCase, variant: string, st: CaseState, end: string, log: string): Observation {
  const base = { adapter: "xl", variant, log } as const;
  if (st.refusedRc !== undefined) return { ...base, outcome: "rejected", message: `xl create failed (exit ${st.refusedRc}): ${refusal(st.errors)}` };
  if (c.kernel.malformed !== null) {
    return { ...base, outcome: "entered", message: `xl built the domain and it ran (${end === "timeout" ? "it was still running after " + MALFORMED_RUN_S + " s" : "it ended: " + end})` };
  }
  const lines = st.console;
  try {
    const report = parseProbeReport(lines);
    const ram = [{ start: 0, end: Math.ceil(c.memoryBytes / MIB) * MIB }];
    const { observation, unseen } = probeObservation(report, { adapter: "xl", variant, ram, writable: ram, log });
    return withVmcbSegments(observation, unseen, st.vmcb ?? null);
  } catch (err) {
    if (!(err instanceof ProbeReportError)) throw err;
    if (end === "timeout") return { ...base, outcome: "timeout", message: `no complete probe report in ${Math.ceil(settings.caseTimeoutMs / 1000) + reportSeconds(c)} s of the domain's CPU time (xl destroyed the domain): ${err.message}` };
    return { ...base, outcome: "crashed", message: `the probe's report is incomplete (the domain ended, ${end === "gone" ? "destroyed by xl" : end}, before reporting): ${err.message}` };
  }
}

/** The segments the ABI states, and the requirements the probe left unjudged for want of them. */
const VMCB_SEGMENTS = ["cs", "ds", "es", "ss", "tr"] as const;

/**
 * The probe cannot read a segment's hidden cache (libxenguest loads null selectors);
 * Xen's VMCB dump of the paused domain, taken before its first instruction, holds it.
 * Those segments are taken from there, and the observation's log says so.
 */
function withVmcbSegments(o: Observation, unseen: Map<string, string>, vmcb: Partial<Record<SegmentName, SegmentState>> | null): Observation {
  if (!vmcb || !o.cpu || !VMCB_SEGMENTS.every((n) => vmcb[n])) {
    return { ...o, unjudgeable: unseen, log: `${o.log ?? ""}\nsegment registers: the probe's view only (no VMCB dump of the domain)` };
  }
  const segments = { ...o.cpu.segments };
  for (const n of VMCB_SEGMENTS) {
    segments[n] = vmcb[n]!;
    unseen.delete(`pvh.cpu.${n}`);
  }
  // CPL is SS's DPL (and CS's): both now come from the VMCB.
  unseen.delete("pvh.interop.cpl0");
  const from = VMCB_SEGMENTS.map((n) => `${n.toUpperCase()} sel ${vmcb[n]!.selector.toString(16)} base ${vmcb[n]!.base.toString(16)} limit ${vmcb[n]!.limit.toString(16)}`).join(", ");
  return { ...o, cpu: { ...o.cpu, segments }, unjudgeable: unseen, log: `${o.log ?? ""}\nsegment registers CS DS ES SS TR: from Xen's VMCB dump (xl debug-keys v, the domain paused before its first instruction): ${from}; the rest from the probe` };
}

/**
 * Boot one dom0 with `cases` in its initramfs and report each case as it ends. Stops
 * early (returning what it reached) when dom0 or QEMU stops answering: the caller
 * runs the rest in a fresh dom0.
 */
async function* dom0Run(cases: readonly BootCase[], variant: string): AsyncGenerator<CaseResult, { stalled: number | null; why: string }> {
  const qemu = qemuBinary();
  if (!qemu) throw new Error("qemu-system-x86_64 not found");
  const r = release(variant);
  const [parts, xen] = await Promise.all([dom0Parts(r), hypervisor(r)]);
  const dir = mkdtempSync(join(tmpdir(), `pvh-xl-${process.pid}-`));
  const untrackDir = trackTempDir(dir);
  // Seconds of the domain's CPU time, and a cap on dom0's clock. A malformed image xl built and started is not refused: a moment is enough.
  const deadlines = cases.map((c) => {
    const cpu = c.kernel.malformed !== null ? MALFORMED_RUN_S : Math.ceil(settings.caseTimeoutMs / 1000) + reportSeconds(c);
    return { cpu, wall: c.kernel.malformed !== null ? 2 : 120 + 10 * cpu };
  });
  try {
    const initrd = join(dir, "initrd.gz");
    writeFileSync(initrd, Buffer.concat([parts.initramfs, gzipSync(cpioNewc(batchEntries(cases, deadlines, (c) => c.kernel.malformed === null)), { level: 1 })]));
    const maxMib = Math.max(...cases.map((c) => Math.ceil(c.memoryBytes / MIB)));
    const args = [
      "-accel", "tcg",
      // NPT: Debian's Xen has no shadow paging, and PVH needs HAP; RDRAND: without it the first xl create waits on getrandom().
      "-cpu", "qemu64,+svm,+npt,+rdrand",
      "-m", `${DOM0_MIB + maxMib + XEN_ROOM_MIB}M`,
      "-smp", "1",
      "-nodefaults", "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
      "-serial", "stdio",
      "-kernel", xen,
      // serial_tx_buffer: Xen drops console output when its buffer (16 KiB by default) is full, and a long
      // command line's report is hundreds of KiB at the UART's 115200 baud: the runner's lines went with it.
      "-append", `console=com1 com1=115200,8n1 serial_tx_buffer=4M dom0_mem=${DOM0_MIB}M,max:${DOM0_MIB}M loglvl=all guest_loglvl=all noreboot`,
      "-initrd", `${parts.kernel} console=hvc0 quiet,${initrd}`,
    ];
    // With a parent-death signal, registered for the exit hooks: no QEMU outlives the suite.
    const child = spawnVmm(qemu, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => void (stderr.length < 16384 && (stderr += d.toString())));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

    // Console lines as they come; a waiter wakes on each.
    const queue: string[] = [];
    let partial = "";
    let wake: (() => void) | undefined;
    let closed = false;
    child.stdout!.on("data", (d: Buffer) => {
      const text = partial + d.toString("latin1");
      const lines = text.split("\n");
      partial = lines.pop()!;
      queue.push(...lines.map((l) => l.replace(/\r+$/, "")));
      wake?.();
    });
    child.stdout!.once("close", () => {
      closed = true;
      if (partial) queue.push(partial);
      wake?.();
    });
    const all: string[] = [];
    const states = cases.map((_c, n): CaseState => ({ n, errors: [], console: [], dump: null }));
    let current: number | null = null;
    // Deadlines in QEMU's CPU time (on a loaded host a boot can wait minutes for a core),
    // and a wall-clock cap in case QEMU itself stops running.
    const cpu0 = () => qemuCpuSeconds(child.pid);
    let budget = { cpuFrom: cpu0(), cpu: settings.bootTimeoutMs / 1000, wallEnd: Date.now() + WALL_CAP_MS };
    const expired = (): boolean => cpu0() - budget.cpuFrom > budget.cpu || Date.now() > budget.wallEnd;
    const byDomid = new Map<number, CaseState>();
    try {
      for (;;) {
        while (queue.length === 0 && !closed && !expired()) {
          await new Promise<void>((res) => {
            wake = res;
            setTimeout(res, 1000);
          });
          wake = undefined;
        }
        if (queue.length === 0) {
          const tail = all.slice(-40).join("\n");
          if (closed) return { stalled: current, why: `QEMU ended before dom0's runner finished${current !== null ? ` (during case ${current})` : ""}: ${stderr.trim() || "no error from QEMU"}\n${tail}` };
          const spent = `${Math.round(cpu0() - budget.cpuFrom)} s of QEMU's CPU time`;
          return { stalled: current, why: current === null ? `dom0 did not start its runner in ${spent}\n${tail}` : `case ${current} did not end in ${spent} (dom0 stopped answering)\n${tail}` };
        }
        const line = queue.shift()!;
        if (all.length < 200_000) all.push(line);
        const dm = /^\(d(\d+)\) (.*)$/.exec(line);
        if (dm) {
          const domid = Number(dm[1]);
          // Kept by domid even before the runner's CREATED line names it (a line Xen's console may drop).
          if (!byDomid.has(domid)) byDomid.set(domid, { n: -1, errors: [], console: [], dump: null, domid });
          const st = byDomid.get(domid)!;
          if (st.console.length < 100_000) st.console.push(dm[2]!);
          continue;
        }
        for (const [domid, st] of byDomid) if (line.startsWith("(XEN)") && aboutDomain(line, domid)) st.console.push(line);
        if (current !== null && states[current]!.dump && line.startsWith("(XEN)")) states[current]!.dump!.push(line);
        const m = RUNNER.exec(line);
        if (!m) continue;
        const [word, rest = ""] = [m[1]!, m[2]];
        if (word === "FATAL") throw new Error(`dom0 could not start the toolstack: ${rest}\n${all.slice(-40).join("\n")}`);
        if (word === "DONE") return { stalled: null, why: "" };
        const [nText, ...more] = rest.split(" ");
        const n = Number(nText);
        const st = states[n];
        if (!st) continue;
        if (word === "BEGIN") {
          current = n;
          budget = { cpuFrom: cpu0(), cpu: deadlines[n]!.cpu + HOST_SLACK_MS / 1000, wallEnd: Date.now() + (deadlines[n]!.wall + 60) * 1000 + WALL_CAP_MS / 10 };
        } else if (word === "CREATED") {
          st.domid = Number(more[0]);
          st.console.unshift(...(byDomid.get(st.domid)?.console ?? []));
          byDomid.set(st.domid, st);
          st.dump = [];
        } else if (word === "DUMPED") {
          st.console.push(...(st.dump ?? []).filter((l) => /Domain \d+ <<<|VCPU|: [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{8} [0-9a-f]{16}/.test(l)));
          st.vmcb = parseVmcbDump(st.dump ?? []).get(st.domid ?? -1) ?? null;
          st.dump = null;
        } else if (word === "REFUSED") st.refusedRc = Number(more[0]);
        else if (word === "ERR") st.errors.push(more.join(" ").trim());
        else if (word === "END") {
          const end = more[0] ?? "gone";
          const c = cases[n]!;
          // The END line names the domain too, should Xen's console have dropped the CREATED line.
          if (st.domid === undefined && more[1] && /^\d+$/.test(more[1])) {
            st.domid = Number(more[1]);
            st.console.push(...(byDomid.get(st.domid)?.console ?? []));
          }
          const log = [`xl config:`, xlConfig(c, n).trimEnd(), `dom0 runner: ${end}${st.domid !== undefined ? `, domid ${st.domid}` : ""}`, ...st.errors.map((e) => `xl: ${e}`), ...st.console.slice(-60)].join("\n");
          if (st.domid !== undefined) byDomid.delete(st.domid);
          current = null;
          yield { n, observation: judgeable(c, variant, st, end, log) };
        }
      }
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    untrackDir();
  }
}

/** Cases into dom0 runs: at most MAX_BATCH_CASES, and MAX_BATCH_BYTES of kernels and ramdisks, each. */
function chunks(cases: readonly BootCase[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  cases.forEach((c, i) => {
    const size = c.kernelImage.length + c.modules.reduce((a, m) => a + m.size, 0);
    if (cur.length && (cur.length >= MAX_BATCH_CASES || bytes + size > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(i);
    bytes += size;
  });
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Every case through xl in as few dom0 boots as the limits allow. A case during which
 * dom0 or QEMU stopped answering is a TIMEOUT (or CRASH, when QEMU ended) and the
 * cases after it go to a fresh dom0, so one runaway guest does not stall the batch.
 */
async function* bootBatch(cases: readonly BootCase[], variant: string): AsyncGenerator<BatchObservation> {
  const pending = chunks(cases);
  while (pending.length) {
    const idx = pending.shift()!;
    const sub = idx.map((i) => cases[i]!);
    const done = new Set<number>();
    const run = dom0Run(sub, variant);
    let step;
    try {
      step = await run.next();
      while (!step.done) {
        done.add(step.value.n);
        yield { index: idx[step.value.n]!, observation: step.value.observation };
        step = await run.next();
      }
    } finally {
      // A caller that stops early (boot() takes the one case it asked for) ends the batch:
      // the dom0's QEMU is killed and its folder removed before this returns.
      if (!step?.done) await run.return({ stalled: null, why: "stopped by the caller" });
    }
    const { stalled, why } = step.value;
    if (stalled === null && done.size === sub.length) continue;
    // Nothing reached at all: the machine is broken, not a case.
    if (done.size === 0 && stalled === null) throw new Error(`xl: dom0 ran no case: ${why}`);
    if (stalled !== null) {
      const outcome = why.startsWith("QEMU ended") ? "crashed" : "timeout";
      yield { index: idx[stalled]!, observation: { adapter: "xl", variant, outcome, message: why.split("\n")[0]!, log: why } };
      done.add(stalled);
    }
    const rest = idx.filter((_i, k) => !done.has(k));
    if (rest.length) pending.unshift(rest);
  }
}

async function boot(c: BootCase, variant: string): Promise<Observation> {
  for await (const o of bootBatch([c], variant)) return o.observation;
  throw new Error("xl: the batch gave no observation");
}

/** Xen's toolstack (xl, libxl, libxenguest) building PVH domUs inside a dom0 that QEMU boots, observed through the probe. */
export const xlAdapter: Adapter = {
  id: "xl",
  description: "Xen's toolstack: `xl create` of type=\"pvh\" domUs (libxl and libxenguest) in a Debian dom0 under Xen under QEMU TCG, observed by the self-reporting probe",
  variants: [
    { id: "4.20", description: "Debian 13's Xen 4.20 hypervisor and xen-utils-4.20", default: true },
    { id: "4.17", description: "Debian 12's Xen 4.17 hypervisor and xen-utils-4.17", default: false },
  ],
  options: [QEMU_OPTION],
  // A case takes 1.5-5.5 s of a batch, on top of 8-14 s to boot the batch's dom0.
  cost: { runCases: 20, suiteCases: 8, bootSeconds: 4, timeoutSeconds: 30 },
  capabilities: () => caps,
  configure(opts: AdapterOptions) {
    const qemu = stringOption(opts, "qemu");
    if (qemu !== undefined) settings.qemu = qemu ? resolve(qemu) : undefined;
    if (opts.bootTimeoutMs) settings.caseTimeoutMs = Math.max(opts.bootTimeoutMs, 5_000);
  },
  async available() {
    if (!qemuBinary()) return { ok: false, reason: "qemu-system-x86_64 is not on PATH (apt-get install qemu-system-x86)" };
    return this.variantAvailable!("4.20");
  },
  async variantAvailable(variant: string) {
    try {
      const r = release(variant);
      await Promise.all([dom0Parts(r), hypervisor(r)]);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `xl ${variant}: the dom0 could not be put together from Debian's packages (${(err as Error).message.split("\n")[0]})` };
    }
  },
  async runInfo(variants?: readonly string[]) {
    const chosen = (variants?.length ? variants : ["4.20"]).map(release);
    const versions = await Promise.all(chosen.map(async (r) => ({ r, xen: xenVersion(await hypervisor(r)), parts: await dom0Parts(r) })));
    const details: Record<string, string> = { qemu: qemuBinary() ?? "" };
    for (const v of versions) for (const [k, ver] of Object.entries(v.parts.versions)) details[k] = ver;
    return { adapter: "xl", version: versions.map((v) => v.xen).join(", "), binary: null, details };
  },
  boot,
  bootBatch,
};
