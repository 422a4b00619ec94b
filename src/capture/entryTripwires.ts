import { analyzeKernel } from "../checkImage/analyzeKernel.js";
import type { BootCase } from "../model/BootCase.js";

const FOUR_GIB = 2n ** 32n;

export interface Tripwire {
  address: number;
  /** What a loader that entered here most likely did wrong. */
  why: string;
}

/**
 * Addresses, besides the note's entry, where a loader that misreads the image would
 * enter it: the ELF header's e_entry (as a physical address, as its low 32 bits, and
 * translated from virtual to physical through the segment that holds it) and the
 * start of each PT_LOAD, where they lie inside the loaded image. A debugger that stops at these as well as at the entry turns
 * a loader entering the wrong place into an observation judged like any other (a
 * FAIL of pvh.cpu.eip, with the state there), instead of a TIMEOUT. At most `max`,
 * e_entry's first; none for an image that is not ELF.
 */
export function entryTripwires(c: BootCase, max: number): Tripwire[] {
  const a = analyzeKernel(c.kernelImage);
  if (!a.ok) return [];
  const out: Tripwire[] = [];
  const loads = a.elf.programHeaders.filter((p) => p.type === 1 && p.memsz > 0n);
  // Only inside the image as loaded: elsewhere firmware may run code of its own (a
  // 32-bit e_entry of 0xc0000000 and up can land on the BIOS's reset vector).
  const add = (addr: bigint, why: string): void => {
    if (addr < 0n || addr >= FOUR_GIB || !loads.some((p) => addr >= p.paddr && addr < p.paddr + p.memsz)) return;
    const address = Number(addr);
    if (address === c.kernel.entry || out.some((t) => t.address === address)) return;
    out.push({ address, why });
  };
  const e = a.elf.header.entry;
  const holder = loads.find((p) => e >= p.vaddr && e < p.vaddr + p.memsz);
  if (holder) add(e - holder.vaddr + holder.paddr, "e_entry, translated to a physical address");
  add(e, "e_entry taken as a physical address");
  add(e & 0xffffffffn, "e_entry cut to 32 bits");
  loads.forEach((p, i) => add(p.paddr, `the start of PT_LOAD ${i}`));
  return out.slice(0, max);
}
