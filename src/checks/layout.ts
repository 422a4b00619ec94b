import { codecs } from "../abi/codecs.js";
import type { CheckInput } from "./Check.js";
import { bootData } from "./bootData.js";

export interface Placed {
  what: string;
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * How far the loader moved the image: EIP less the note's entry when the image may
 * be relocated, else 0 (a move without the note is judged by its own check).
 */
export function loadDelta({ bootCase, obs }: CheckInput): number {
  return bootCase.kernel.reloc ? obs.cpu!.eip - bootCase.kernel.entry : 0;
}

export function kernelRanges(input: CheckInput, delta = loadDelta(input)): Placed[] {
  return input.bootCase.kernel.segments
    .filter((s) => s.memsz > 0)
    .map((s, i) => ({ what: `kernel segment ${i}`, start: s.paddr + delta, end: s.paddr + delta + s.memsz }));
}

/** Everything the loader placed for the guest, by what start_info says (kernel segments apart). */
export function bootDataRanges(input: CheckInput): Placed[] {
  const b = bootData(input.obs);
  const out: Placed[] = [];
  if (!b.info) return out;
  out.push({ what: "start_info", start: b.at, end: b.at + b.size });
  // The tables where start_info puts them, readable or not (a table out of reach is still there).
  const n = b.info.nr_modules;
  if (n > 0 && b.info.modlist_paddr !== 0n) out.push({ what: "modlist", start: Number(b.info.modlist_paddr), end: Number(b.info.modlist_paddr) + n * codecs.modlistEntry().size() });
  const m = b.truncated ? 0 : (b.info.memmap_entries ?? 0);
  if (m > 0 && (b.info.memmap_paddr ?? 0n) !== 0n) out.push({ what: "memmap", start: Number(b.info.memmap_paddr), end: Number(b.info.memmap_paddr) + m * codecs.memmapEntry().size() });
  if (b.cmdline) out.push({ what: "cmdline", start: b.cmdline.at, end: b.cmdline.at + b.cmdline.bytes.length + 1 });
  b.modlist.entries.forEach((e, i) => {
    if (e.size > 0n) out.push({ what: `module ${i}`, start: Number(e.paddr), end: Number(e.paddr + e.size) });
    const c = b.moduleCmdlines[i];
    if (c) out.push({ what: `module ${i} cmdline`, start: c.at, end: c.at + c.bytes.length + 1 });
  });
  return out;
}
