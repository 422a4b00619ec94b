import { bootData } from "../checks/bootData.js";
import type { BootCase } from "../model/BootCase.js";
import type { SegmentName, SegmentState } from "../model/CpuState.js";
import type { Observation } from "../model/Observation.js";

export interface Divergence {
  field: string;
  reference: string;
  other: string;
  /** The requirement whose text defines the field. */
  requirement: string;
}

const hex = (v: number | bigint | undefined | null): string => (v === undefined || v === null ? "-" : "0x" + v.toString(16));

/** The decoded attributes the ABI defines for a segment (selector, accessed bit and the rest are free). */
function segmentFacts(s: SegmentState, name: SegmentName): string {
  if (name === "tr") return `type ${hex(s.type)} S=${s.s} P=${s.present ? 1 : 0} base ${hex(s.base)} limit ${hex(s.limit)}`;
  const kind = s.type & 8 ? `code${s.type & 2 ? " readable" : ""}` : `data${s.type & 2 ? " writable" : ""}${s.type & 4 ? " expand-down" : ""}`;
  return `${kind} S=${s.s} P=${s.present ? 1 : 0} D/B=${s.db} base ${hex(s.base)} limit ${hex(s.limit)}`;
}

/**
 * The fields the ABI defines, compared between two loaders' observations of one
 * case: where they differ, at least one of them breaks a requirement. Addresses the
 * loader may choose freely (where start_info lies, selector values) are not compared.
 */
export function compareObservations(c: BootCase, ref: Observation, other: Observation): Divergence[] {
  const out: Divergence[] = [];
  // What one side could not observe (a probe that cannot see a descriptor cache, a
  // module it did not hash) is not a difference: its check is skipped as well.
  const unseen = (requirement: string): boolean => ref.unjudgeable?.has(requirement) === true || other.unjudgeable?.has(requirement) === true;
  const add = (field: string, requirement: string, a: string, b: string): void => {
    if (a !== b && !unseen(requirement)) out.push({ field, reference: a, other: b, requirement });
  };
  // The reference loader is strict: where it refuses, the image is malformed and the
  // other loader broke the refusal requirement; where it enters, the image is valid.
  add("outcome", ref.outcome === "rejected" ? "pvh.load.refuse-invalid" : "pvh.load.accept-valid", ref.outcome, other.outcome);
  if (ref.outcome !== "entered" || other.outcome !== "entered" || !ref.cpu || !other.cpu) return out;
  const a = ref.cpu;
  const b = other.cpu;
  const reloc = c.kernel.reloc;
  if (!reloc) add("eip", "pvh.cpu.eip", hex(a.eip), hex(b.eip));
  // A relocatable image may go anywhere its note allows, so two loaders' EIPs differ
  // freely; what must agree is that the move is a multiple of the note's alignment.
  else if (reloc.align > 0) {
    const offset = (eip: number): string => hex((((eip - c.kernel.entry) % reloc.align) + reloc.align) % reloc.align);
    add("eip less the entry, modulo the note's alignment", "pvh.load.reloc-constraints", offset(a.eip), offset(b.eip));
  }
  add("cr0 (ET ignored)", "pvh.cpu.cr0", hex(a.cr0 & ~0x10), hex(b.cr0 & ~0x10));
  add("cr4", "pvh.cpu.cr4", hex(a.cr4), hex(b.cr4));
  add("eflags VM/IF/TF", "pvh.cpu.eflags", hex(a.eflags & 0x20300), hex(b.eflags & 0x20300));
  for (const s of ["cs", "ds", "es", "ss", "tr"] as const) add(s, `pvh.cpu.${s}`, segmentFacts(a.segments[s], s), segmentFacts(b.segments[s], s));
  const ra = bootData(ref);
  const rb = bootData(other);
  add("start_info magic", "pvh.start-info.magic", hex(ra.info?.magic), hex(rb.info?.magic));
  add("start_info flags outside SIF_PRIVILEGED|SIF_INITDOMAIN", "pvh.start-info.flags", hex((ra.info?.flags ?? 0) & ~3), hex((rb.info?.flags ?? 0) & ~3));
  add("nr_modules", "pvh.modlist.count", String(ra.info?.nr_modules), String(rb.info?.nr_modules));
  const text = (x: typeof ra.cmdline): string => (x ? JSON.stringify(Buffer.from(x.bytes).toString("latin1").slice(0, 64)) : "none");
  // An empty command line and none are the same to a guest (see pvh.cmdline.content).
  const norm = (s: string): string => (s === '""' ? "none" : s);
  add("cmdline", "pvh.cmdline.content", norm(text(ra.cmdline)), norm(text(rb.cmdline)));
  for (let i = 0; i < c.modules.length; i++) {
    const ea = ra.modlist.entries[i];
    const eb = rb.modlist.entries[i];
    // A module without an entry on one side is one divergence (the loader lost the module),
    // not also a difference in every field of an entry that does not exist.
    add(`module ${i} has a modlist entry`, "pvh.module.content", String(ea !== undefined), String(eb !== undefined));
    if (!ea || !eb) continue;
    const crc = (o: Observation, e: typeof ea): string => hex(o.memory!.crc32(Number(e.paddr), Number(e.size)));
    add(`module ${i} size`, "pvh.module.content", String(ea.size), String(eb.size));
    add(`module ${i} crc32`, "pvh.module.content", crc(ref, ea), crc(other, eb));
    add(`module ${i} reserved is zero`, "pvh.module.reserved", String(ea.reserved === 0n), String(eb.reserved === 0n));
  }
  // Which types a map uses is the loader's business; that they are all defined is the ABI's.
  const defined = (x: typeof ra): string => String(x.memmap.entries.every((e) => e.type >= 1 && e.type <= 7));
  add("memmap types all defined", "pvh.memmap.types", defined(ra), defined(rb));
  return out;
}
