import type { CpuState, SegmentName, SegmentState } from "../src/model/CpuState.js";
import { SEGMENT_NAMES } from "../src/model/CpuState.js";
import type { Observation } from "../src/model/Observation.js";
import type { ProbeReport } from "./ProbeReport.js";
import { ProbeMemory } from "./ProbeMemory.js";

/** The longest string the probe scans for its NUL (probe.S MAXSTR). */
const PROBE_MAX_STRING = 0x10400;

export interface ProbeObservationOptions {
  adapter: string;
  variant: string;
  /** The guest's RAM as the harness configured it (-m), for the memory-map checks. */
  ram?: { start: number; end: number }[];
  /** What the guest can write, when the harness knows. */
  writable?: { start: number; end: number }[];
  /** What the guest can read (RAM and ROM), when the harness knows: has() answers for it. */
  readable?: { start: number; end: number }[];
  log?: string;
  command?: string[];
  /** The harness's temporary folder the command named (Observation.workDir). */
  workDir?: string;
}

/** An entered Observation built from a probe report, and the requirements it cannot judge. */
export interface ProbeObservation {
  observation: Observation;
  /** Requirement id -> why the probe's report cannot decide it (judgeProbe makes those SKIP). */
  unseen: Map<string, string>;
}

const hex = (v: number | bigint): string => "0x" + v.toString(16);
const FOUR_GIB = 0x1_0000_0000n;

/**
 * Which checks read each item start_info points at, beyond the pointer itself. Those
 * that place boot data (src/checks/layout.ts bootDataRanges) need an item's length
 * or entries; a string's start alone still places it, so addresses-32bit is judged.
 */
const PLACED = ["pvh.start-info.in-ram", "pvh.layout.no-overlap", "pvh.interop.boot-data-reserved"];
const READERS = {
  modlist: ["pvh.module.content", "pvh.module.cmdline", "pvh.module.reserved", "pvh.start-info.no-zero-address", "pvh.interop.low-tables", "pvh.interop.addresses-32bit", ...PLACED],
  memmap: ["pvh.memmap.table", "pvh.memmap.types", "pvh.memmap.reserved", "pvh.memmap.ram", "pvh.interop.memmap-disjoint", "pvh.interop.low-tables", ...PLACED],
  cmdline: ["pvh.cmdline.terminated", "pvh.cmdline.content", ...PLACED],
  moduleCmdline: ["pvh.module.cmdline", ...PLACED],
  // The modlist gives a module's place and size: only whether it is RAM is left.
  module: ["pvh.module.content", "pvh.start-info.in-ram"],
  rsdp: ["pvh.rsdp.valid"],
};

/** What start_info points at that the probe could not read, with the checks that would read it. */
function unreachable(report: ProbeReport): [string, string[]][] {
  const info = report.startInfo?.fields;
  if (!info) return [];
  const out: [string, string[]][] = [];
  const far = (at: bigint, len: bigint): boolean => at !== 0n && at + len > FOUR_GIB;
  if (info.nr_modules > 0 && far(info.modlist_paddr, BigInt(info.nr_modules) * 32n)) out.push([`the modlist at ${hex(info.modlist_paddr)}`, READERS.modlist]);
  if (report.startInfo && info.version >= 1 && (info.memmap_entries ?? 0) > 0 && far(info.memmap_paddr ?? 0n, BigInt(info.memmap_entries ?? 0) * 24n)) out.push([`the memory map at ${hex(info.memmap_paddr ?? 0n)}`, READERS.memmap]);
  if (far(info.cmdline_paddr, 1n)) out.push([`the command line at ${hex(info.cmdline_paddr)}`, READERS.cmdline]);
  if (far(info.rsdp_paddr, 20n)) out.push([`the RSDP at ${hex(info.rsdp_paddr)}`, READERS.rsdp]);
  report.modlist.forEach((e, i) => {
    if (far(e.cmdline_paddr, 1n)) out.push([`module ${i}'s command line at ${hex(e.cmdline_paddr)}`, READERS.moduleCmdline]);
    if (far(e.paddr, e.size)) out.push([`module ${i} at ${hex(e.paddr)}`, READERS.module]);
  });
  return out;
}

/**
 * Turn a probe report into the Observation every check reads. Segment registers
 * come from the descriptor tables (the probe cannot see the hidden caches); where
 * the table has nothing for a selector, the segment is a placeholder and its
 * requirements are listed in `unseen`, as is everything else the report cannot
 * decide (see probe/README.md, "What the probe cannot see").
 */
export function probeObservation(report: ProbeReport, opts: ProbeObservationOptions): ProbeObservation {
  const unseen = new Map<string, string>();
  const segments = {} as Record<SegmentName, SegmentState>;
  for (const name of SEGMENT_NAMES) {
    const seg = report.segments[name];
    if (seg.state) {
      segments[name] = seg.state;
      continue;
    }
    segments[name] = { selector: seg.selector, base: 0, limit: 0, type: 0, s: 0, dpl: 0, present: false, db: 0, l: 0, g: 0, avl: 0 };
    const why = `${name.toUpperCase()} selector ${hex(seg.selector)} names no descriptor in the ${seg.selector & 4 ? "LDT" : "GDT"}, and the probe cannot read the hidden descriptor cache`;
    if (name === "cs" || name === "ds" || name === "es" || name === "ss" || name === "tr") unseen.set(`pvh.cpu.${name}`, why);
    if (name === "cs" || name === "ds" || name === "es" || name === "ss") unseen.set("pvh.interop.cpl0", why);
  }
  const cpu: CpuState = {
    ...report.registers,
    eip: report.eip,
    eflags: report.eflags,
    cr0: report.cr0,
    cr3: report.cr3,
    cr4: report.cr4,
    efer: report.efer === null ? 0 : Number(report.efer),
    segments,
    gdtr: report.gdtr,
    idtr: report.idtr,
  };

  const zeros = report.loads.filter((l) => l.firstNonZero === null && l.memsz > l.filesz).map((l) => ({ start: l.addr + l.filesz, end: l.addr + l.memsz }));
  const hashed = [
    ...report.loads.map((l) => ({ start: l.addr, len: l.filesz, crc32: l.crc32 })),
    ...report.modules.filter((m) => m.crc32 !== null).map((m) => ({ start: m.addr, len: m.size, crc32: m.crc32! })),
  ];
  const memory = new ProbeMemory(report.memory, zeros, hashed, opts.readable ?? []);

  // Bounds of the probe itself, not of the loader: those verdicts would be the probe's.
  const cut = (s: { bytes: Uint8Array; terminated: boolean } | null): boolean => s !== null && !s.terminated && s.bytes.length >= PROBE_MAX_STRING;
  if (cut(report.cmdline)) {
    const why = `the command line is longer than the ${PROBE_MAX_STRING} bytes the probe scans`;
    unseen.set("pvh.cmdline.terminated", why);
    unseen.set("pvh.cmdline.content", why);
  }
  if (report.moduleCmdlines.some(cut)) unseen.set("pvh.module.cmdline", `a module command line is longer than the ${PROBE_MAX_STRING} bytes the probe scans`);
  const unhashed = report.modules.filter((m) => m.status !== "hashed");
  if (unhashed.length) {
    unseen.set("pvh.module.content", unhashed.map((m) => `module ${m.index} not hashed (${m.status === "above-4g" ? "beyond 4 GiB, out of a 32-bit guest's reach" : "larger than the probe hashes"})`).join("; "));
  }
  for (const [item, ids] of unreachable(report)) for (const id of ids) unseen.set(id, `${item} lies beyond 4 GiB, out of reach of a 32-bit guest without paging`);
  if (!opts.ram) {
    unseen.set("pvh.memmap.ram", "the harness did not say what RAM the guest has");
    if (!opts.writable) unseen.set("pvh.interop.start-info-writable", "the harness did not say what memory the guest can write");
  }

  const observation: Observation = {
    adapter: opts.adapter,
    variant: opts.variant,
    outcome: "entered",
    cpu,
    memory,
    ...(opts.ram ? { ram: opts.ram } : {}),
    ...(opts.writable ? { writable: opts.writable } : {}),
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.command ? { command: opts.command } : {}),
    ...(opts.workDir ? { workDir: opts.workDir } : {}),
  };
  return { observation, unseen };
}
