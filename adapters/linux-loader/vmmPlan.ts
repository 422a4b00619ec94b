import type { BootCase } from "../../src/model/BootCase.js";
import { ramLayout } from "../../src/reference/platform.js";

/**
 * The VMM's part of a boot that linux-loader leaves to its caller: the guest's RAM,
 * where start_info, the modlist, the memory map, the command lines and the modules
 * go, and what the memory map lists. These are this project's own choices (none is
 * judged: see linuxLoaderAdapter.ts, UNJUDGEABLE), kept simple and apart from the
 * kernel: boot data in one low window, modules at the top of low RAM.
 */
export interface VmmPlan {
  ram: { start: number; end: number }[];
  startInfo: number;
  modlist: number;
  memmap: number;
  memmapEntries: { addr: number; size: number; type: number }[];
  /** Where the command line goes (when the case has one). */
  cmdline: number;
  modules: { at: number; size: number; cmdlineAt: number }[];
  /** Every range the plan puts boot data in, for the overlap test. */
  bootData: { start: number; end: number }[];
}

export class PlanError extends Error {
  override name = "PlanError";
}

const PAGE = 0x1000;
/** The boot data window: above the real-mode IVT/BDA area, below the legacy VGA/BIOS area. */
const WINDOW_START = 0x8000;
const WINDOW_END = 0x9_f000;
const LEGACY_END = 0x10_0000;
const MAX_MODULES = 8;
const MODLIST_ENTRY = 32;
const MEMMAP_ENTRY = 24;
const START_INFO_V1 = 56;

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;
const alignDown = (v: number, a: number): number => Math.floor(v / a) * a;
const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;

export function vmmPlan(c: BootCase): VmmPlan {
  if (c.modules.length > MAX_MODULES) throw new PlanError(`the harness places at most ${MAX_MODULES} modules`);
  const ram = ramLayout(c.memoryBytes);
  const lowEnd = ram[0]!.end;
  const kernel = c.kernel.segments.map((s) => ({ start: s.paddr, end: s.paddr + Math.max(s.memsz, s.filesz) }));

  const startInfo = WINDOW_START;
  const modlist = alignUp(startInfo + START_INFO_V1, 64);
  const memmap = alignUp(modlist + MAX_MODULES * MODLIST_ENTRY, 64);
  const cmdline = alignUp(memmap + 8 * MEMMAP_ENTRY, PAGE);
  let next = alignUp(cmdline + (c.cmdline === null ? 0 : Buffer.byteLength(c.cmdline, "utf8") + 1), 16);
  const bootData = [{ start: startInfo, end: next }];
  const moduleCmdlines = c.modules.map((m) => {
    if (m.cmdline === null) return 0;
    const at = next;
    next = alignUp(at + Buffer.byteLength(m.cmdline, "utf8") + 1, 16);
    return at;
  });
  bootData[0]!.end = next;
  // A valid image never lies there (generated kernels start at 1 MiB); a malformed one may, and only its refusal is judged.
  if (c.kernel.malformed === null && kernel.some((k) => overlaps(k, { start: WINDOW_START, end: WINDOW_END }))) {
    throw new PlanError(`a kernel segment lies in the harness's boot data window ${WINDOW_START.toString(16)}-${WINDOW_END.toString(16)}`);
  }
  if (next > WINDOW_END) throw new PlanError(`the command lines (${next - cmdline} bytes) do not fit in the harness's boot data window below ${WINDOW_END.toString(16)}`);

  // Modules from the top of low RAM down, page aligned, around the kernel's segments.
  const modules: VmmPlan["modules"] = [];
  let top = lowEnd;
  c.modules.forEach((m, i) => {
    let at = alignDown(top - m.size, PAGE);
    for (;;) {
      if (at < LEGACY_END) throw new PlanError(`no room for module ${i} (${m.size} bytes) in low RAM beside the kernel`);
      const clash = kernel.find((k) => overlaps(k, { start: at, end: at + Math.max(m.size, 1) }));
      if (!clash) break;
      at = alignDown(clash.start - m.size, PAGE);
    }
    modules.push({ at, size: m.size, cmdlineAt: moduleCmdlines[i]! });
    bootData.push({ start: at, end: at + m.size });
    top = at;
  });

  const memmapEntries = [
    { addr: 0, size: WINDOW_END, type: 1 },
    { addr: WINDOW_END, size: LEGACY_END - WINDOW_END, type: 2 },
    ...ram.map((r, i) => (i === 0 ? { addr: LEGACY_END, size: r.end - LEGACY_END, type: 1 } : { addr: r.start, size: r.end - r.start, type: 1 })),
  ];
  return { ram, startInfo, modlist, memmap, memmapEntries, cmdline, modules, bootData };
}

const hexBytes = (s: string): string => Buffer.from(s, "utf8").toString("hex");

/** The plan as the harness reads it on stdin (see harness/src/main.rs, parse_plan). */
/** The byte the reused-memory variant leaves where the kernel goes. */
export const OLD_BYTE = 0xa5;

export function planText(c: BootCase, p: VmmPlan, files: { kernel: string; modules: string[] }, opts: { reusedMemory?: boolean } = {}): string {
  const lines = [`kernel ${files.kernel}`];
  for (const r of p.ram) lines.push(`ram ${r.start} ${r.end - r.start}`);
  if (opts.reusedMemory) {
    // Old bytes over every PT_LOAD segment's whole extent, clipped to RAM: a loader that writes only the file bytes leaves them in the zero tail.
    for (const s of c.kernel.segments) {
      for (const r of p.ram) {
        const start = Math.max(r.start, s.paddr);
        const end = Math.min(r.end, s.paddr + s.memsz);
        if (end > start) lines.push(`fill ${start} ${end - start} ${OLD_BYTE}`);
      }
    }
  }
  if (c.cmdline !== null) lines.push(`cmdline ${p.cmdline} ${hexBytes(c.cmdline)}`);
  lines.push(`start_info ${p.startInfo}`, `modlist ${p.modlist}`, `memmap ${p.memmap}`);
  for (const e of p.memmapEntries) lines.push(`e820 ${e.addr} ${e.size} ${e.type}`);
  c.modules.forEach((m, i) => {
    const at = p.modules[i]!;
    if (m.cmdline !== null) lines.push(`module_cmdline ${at.cmdlineAt} ${hexBytes(m.cmdline)}`);
    lines.push(`module ${at.at} ${at.cmdlineAt} ${files.modules[i]}`);
    // Modules are reported as a CRC-32, not page by page.
    if (m.size > 0) lines.push(`hash ${at.at} ${m.size}`);
  });
  return lines.join("\n") + "\n";
}
