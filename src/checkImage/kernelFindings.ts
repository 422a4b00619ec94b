import type { ElfFile, ElfNote, ElfNoteRegion, ElfProgramHeader } from "../elf/elfTypes.js";
import { ELF } from "../elf/ELF.js";
import { decodeXenNote } from "../notes/decodeXenNote.js";
import { loadSpec } from "../spec/loadSpec.js";
import type { Finding, ReportedNote } from "./ImageReport.js";
import { findMultibootHeader } from "./findMultibootHeader.js";
import { makeFinding } from "./makeFinding.js";

// gABI program header constants.
const PT_LOAD = 1;
const PF_X = 1;
const XEN_OWNER = "Xen";
const TYPE_PHYS32_ENTRY = 18;
const TYPE_PHYS32_RELOC = 19;
const FOUR_GIB = 1n << 32n;
const { EM_386, EM_X86_64 } = ELF;
/** A few machines a mistaken image is likely built for, to name them in the finding. */
const MACHINE_NAMES: Record<number, string> = { 0: "EM_NONE", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64", 40: "EM_ARM", 50: "EM_IA_64", 183: "EM_AARCH64", 243: "EM_RISCV" };

export interface KernelFacts {
  entry: number | null;
  reloc: { align: number; min: number; max: number } | null;
  notes: ReportedNote[];
  findings: Finding[];
}

interface PlacedNote {
  note: ElfNote;
  in: string[];
  inSegment: boolean;
}

const hex = (v: bigint | number): string => "0x" + v.toString(16);

function regionLabel(r: ElfNoteRegion): string {
  return r.source.kind === "segment" ? `PT_NOTE segment ${r.source.index}` : `section ${r.source.name ?? `#${r.source.index}`}`;
}

/** Merge the notes seen through segments and through sections: a record at one offset is one note. */
function placeNotes(elf: ElfFile): PlacedNote[] {
  const byOffset = new Map<number, PlacedNote>();
  for (const region of [...elf.segmentNotes, ...elf.sectionNotes]) {
    for (const note of region.notes) {
      const seen = byOffset.get(note.offset);
      if (seen) {
        seen.in.push(regionLabel(region));
        seen.inSegment ||= region.source.kind === "segment";
      } else {
        byOffset.set(note.offset, { note, in: [regionLabel(region)], inSegment: region.source.kind === "segment" });
      }
    }
  }
  return [...byOffset.values()].sort((a, b) => a.note.offset - b.note.offset);
}

const isXen = (n: ElfNote): boolean => n.name === XEN_OWNER && n.nameTerminated;
const nearXen = (n: ElfNote): boolean => !isXen(n) && n.name.replace(/\0+$/, "").toLowerCase() === "xen";

function loadSegments(elf: ElfFile): ElfProgramHeader[] {
  return elf.programHeaders.filter((p) => p.type === PT_LOAD);
}

/**
 * The kernel-side requirements of the catalogue, judged on a parsed ELF image:
 * what a loader will find in the notes, and whether it makes sense.
 */
export function kernelFindings(elf: ElfFile, image?: Uint8Array): KernelFacts {
  const findings: Finding[] = [];
  const mb = image ? findMultibootHeader(image) : null;
  if (mb) {
    findings.push(
      makeFinding("pvh.image.no-multiboot", "multiboot-header", `a multiboot${mb.version === 2 ? "2" : ""} header at file offset ${hex(mb.offset)}: QEMU's -kernel boots such an ELF as multiboot and never uses its PVH note`),
    );
  }
  if (elf.header.machine !== EM_386 && elf.header.machine !== EM_X86_64) {
    findings.push(
      makeFinding("pvh.image.machine", "not-x86", `e_machine is ${elf.header.machine}${MACHINE_NAMES[elf.header.machine] ? ` (${MACHINE_NAMES[elf.header.machine]})` : ""}, not EM_386 (3) or EM_X86_64 (62): not an x86 image`),
    );
  }
  const placed = placeNotes(elf);

  for (const region of [...elf.segmentNotes, ...elf.sectionNotes]) {
    for (const p of region.problems) {
      if (p.code === "need-more") continue;
      findings.push(makeFinding("pvh.note.record", p.code, `${regionLabel(region)}: ${p.message}`));
    }
  }

  const notes: ReportedNote[] = placed.map(({ note, in: where }) => {
    const xen = isXen(note);
    const decoded = xen ? decodeXenNote(note) : undefined;
    return {
      owner: note.name,
      type: note.type,
      name: decoded?.name ?? String(note.type),
      descsz: note.descsz,
      value: decoded?.display ?? Buffer.from(note.desc).toString("hex"),
      desc: Buffer.from(note.desc).toString("hex"),
      offset: note.offset,
      in: where,
    };
  });

  for (const { note } of placed) {
    if (nearXen(note) && (note.type === TYPE_PHYS32_ENTRY || note.type === TYPE_PHYS32_RELOC)) {
      findings.push(
        makeFinding(
          "pvh.note.owner",
          "owner-not-xen",
          `note of type ${note.type} at ${hex(note.offset)} has owner ${JSON.stringify(note.name)}${note.nameTerminated ? "" : " without a terminating NUL"} (namesz ${note.namesz}); loaders look for "Xen\\0"`,
        ),
      );
    }
  }

  const xenNotes = placed.filter((p) => isXen(p.note));
  const outside = xenNotes.filter((p) => !p.inSegment);
  if (outside.length > 0) {
    findings.push(
      makeFinding(
        "pvh.note.in-pt-note",
        "note-outside-pt-note",
        `${outside.length} Xen note(s) are only in ${[...new Set(outside.flatMap((p) => p.in))].join(", ")}, not in a PT_NOTE segment`,
      ),
    );
  }

  // PHYS32_ENTRY
  let entry: number | null = null;
  const entries = xenNotes.filter((p) => p.note.type === TYPE_PHYS32_ENTRY);
  if (entries.length === 0) {
    findings.push(makeFinding("pvh.note.entry.present", "no-entry-note", 'no note with owner "Xen" and type 18 (PHYS32_ENTRY): the image cannot be booted through PVH'));
  } else {
    if (!entries.some((p) => p.inSegment)) {
      findings.push(
        makeFinding("pvh.note.in-pt-note.vmm", "entry-note-not-in-segment", `the PHYS32_ENTRY note is only in ${entries[0]!.in.join(", ")}: QEMU, cloud-hypervisor and Firecracker will not find it`),
      );
    }
    const values = new Set<bigint>();
    for (const { note } of entries) {
      const d = decodeXenNote(note);
      if (d.value.kind !== "numeric") {
        findings.push(makeFinding("pvh.note.entry.size", "entry-desc-size", `PHYS32_ENTRY note at ${hex(note.offset)} has a ${note.descsz}-byte descriptor; 4 or 8 bytes expected`));
        continue;
      }
      values.add(d.value.value);
    }
    if (values.size > 1) {
      findings.push(makeFinding("pvh.note.entry.unique", "entry-notes-disagree", `${values.size} PHYS32_ENTRY notes give different entries: ${[...values].map(hex).join(", ")}`));
    }
    const first = [...values][0];
    if (first !== undefined) {
      if (first >= FOUR_GIB) {
        findings.push(makeFinding("pvh.note.entry.below-4g", "entry-above-4g", `PHYS32_ENTRY ${hex(first)} is not a 32-bit physical address`));
      } else {
        entry = Number(first);
        findings.push(...entryPlacement(elf, first));
      }
    }
  }

  const reloc = relocFacts(elf, xenNotes.filter((p) => p.note.type === TYPE_PHYS32_RELOC).map((p) => p.note), findings);
  return { entry, reloc, notes, findings };
}

function entryPlacement(elf: ElfFile, entry: bigint): Finding[] {
  const loads = loadSegments(elf);
  const inFile = loads.find((p) => entry >= p.paddr && entry < p.paddr + p.filesz);
  if (inFile) {
    return inFile.flags & PF_X
      ? []
      : [makeFinding("pvh.note.entry.executable", "entry-not-executable", `entry ${hex(entry)} is in PT_LOAD segment ${inFile.index}, which is not executable (flags ${hex(inFile.flags)})`)];
  }
  const inTail = loads.find((p) => entry >= p.paddr && entry < p.paddr + p.memsz);
  if (inTail) {
    return [makeFinding("pvh.note.entry.loaded", "entry-in-bss", `entry ${hex(entry)} is in the zero-filled tail of PT_LOAD segment ${inTail.index} (file bytes end at ${hex(inTail.paddr + inTail.filesz)})`)];
  }
  const ranges = loads.map((p) => `${hex(p.paddr)}-${hex(p.paddr + p.memsz)}`).join(", ") || "none";
  return [makeFinding("pvh.note.entry.loaded", "entry-outside-image", `entry ${hex(entry)} is outside every PT_LOAD segment (physical ranges: ${ranges})`)];
}

function isPowerOfTwo(v: bigint): boolean {
  return v > 0n && (v & (v - 1n)) === 0n;
}

function relocFacts(elf: ElfFile, relocs: ElfNote[], findings: Finding[]): KernelFacts["reloc"] {
  const note = relocs[0];
  if (!note) return null;
  const d = decodeXenNote(note);
  for (const p of d.problems) findings.push(makeFinding("pvh.note.reloc.format", "reloc-desc", `PHYS32_RELOC at ${hex(note.offset)}: ${p}`));
  if (d.value.kind !== "structured") return null;
  const v = d.value.values;
  // elfnote.h: without an alignment in the note, the largest PT_LOAD p_align of at
  // least 4 KiB applies, else the default.
  let align = v["align"]!;
  if (!d.value.given.includes("align")) {
    const fromLoads = loadSegments(elf).reduce((m, p) => (p.align > m ? p.align : m), 0n);
    if (fromLoads >= 0x1000n) align = fromLoads;
  }
  const min = v["min"]!;
  const max = v["max"]!;
  if (!isPowerOfTwo(align)) {
    findings.push(makeFinding("pvh.note.reloc.align", "reloc-align", `PHYS32_RELOC alignment ${hex(align)} is not a power of two`));
  }
  if (min > max) {
    findings.push(makeFinding("pvh.note.reloc.range", "reloc-min-above-max", `PHYS32_RELOC minimum ${hex(min)} is above its maximum ${hex(max)}`));
  } else if (isPowerOfTwo(align)) {
    const loads = loadSegments(elf);
    if (loads.length > 0) {
      const lo = loads.reduce((m, p) => (p.paddr < m ? p.paddr : m), loads[0]!.paddr);
      const hi = loads.reduce((m, p) => (p.paddr + p.memsz > m ? p.paddr + p.memsz : m), 0n);
      const size = hi - lo;
      const start = ((min + align - 1n) / align) * align;
      if (size > 0n && start + size - 1n > max) {
        findings.push(
          makeFinding("pvh.note.reloc.range", "reloc-image-does-not-fit", `the image (${hex(size)} bytes) cannot start at a multiple of ${hex(align)} at or above ${hex(min)} and end by ${hex(max)}`),
        );
      }
    }
  }
  return { align: Number(align), min: Number(min), max: Number(max) };
}
