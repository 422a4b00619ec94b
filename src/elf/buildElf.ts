import { ELF } from "./ELF.js";
import { writeField } from "./_internals/fieldIO.js";
import { encodedNoteSize, encodeNote, writeNotes, type EncodedNote, type NoteInput, type NoteLayout } from "./_internals/encodeNotes.js";
import { alignUp } from "./_internals/noteLayout.js";
import {
  EHDR,
  IDENT,
  PHDR,
  SHDR,
  type EhdrField,
  type ElfClass,
  type IdentField,
  type PhdrField,
  type ShdrField,
  type Struct,
} from "./_internals/structs.js";

export type { NoteInput, NoteLayout };
export type Int = number | bigint;
/** PF_* bits, or letters: "R", "W", "X" (or readelf's "E") in any order, e.g. "RX". */
export type SegmentFlags = number | string;

export interface LoadSegmentSpec {
  kind: "load";
  vaddr: Int;
  /** Default: vaddr. */
  paddr?: Int;
  /** Default "RX". */
  flags?: SegmentFlags;
  /** p_align. Default 0x1000. The file offset is chosen congruent to vaddr modulo this (when a power of two > 1). */
  align?: Int;
  data: Uint8Array;
  /** Default data.length; larger means a zero-filled tail in memory. Raised to filesz if notes are embedded. */
  memsz?: Int;
  /** Name of the SHT_PROGBITS section describing `data` (embedded notes get their own sections). Default ".load<i>". */
  sectionName?: string;
}

export interface NoteSegmentSpec {
  kind: "note";
  notes: readonly NoteInput[];
  /** p_align. Default 4. */
  align?: Int;
  /** Record padding. Default 8 when align is 8, else 4 (what readelf would walk with). */
  padding?: 4 | 8;
  /** Default 0, or the matching address inside the load for `inLoad`. */
  vaddr?: Int;
  /** Default: vaddr, or the matching address inside the load for `inLoad`. */
  paddr?: Int;
  /**
   * Index (in `segments`) of a load segment to embed the notes in, as a
   * vmlinux does: the records follow that load's data in the file (padded),
   * the load's p_filesz grows to cover them, and this PT_NOTE points inside it.
   */
  inLoad?: number;
  /** Default "R". */
  flags?: SegmentFlags;
  /** Default: the notes' padded size. */
  memsz?: Int;
  /** Emit a SHT_NOTE section covering the segment (when sections are emitted). Default true. */
  section?: boolean;
  /** Default ".note.seg<i>". */
  sectionName?: string;
}

/** Any other program header (PT_GNU_STACK, PT_NULL, PT_INTERP, ...). */
export interface OtherSegmentSpec {
  kind: "other";
  type: number;
  data?: Uint8Array;
  vaddr?: Int;
  paddr?: Int;
  flags?: SegmentFlags;
  /** Default 1. */
  align?: Int;
  memsz?: Int;
}

export type SegmentSpec = LoadSegmentSpec | NoteSegmentSpec | OtherSegmentSpec;

/** A SHT_NOTE section with no PT_NOTE segment. */
export interface NoteSectionSpec {
  notes: readonly NoteInput[];
  /** Default ".note.sec<j>". */
  name?: string;
  /** sh_addralign. Default: padding. */
  addralign?: Int;
  /** Record padding. Default 4. */
  padding?: 4 | 8;
  addr?: Int;
  /** sh_flags. Default 0 (not allocated). */
  flags?: Int;
}

export interface ElfOverrides {
  ident?: Partial<Record<IdentField, number | Uint8Array>>;
  ehdr?: Partial<Record<EhdrField, Int>>;
  /** Keyed by program header index. */
  phdrs?: Readonly<Record<number, Partial<Record<PhdrField, Int>>>>;
  /** Keyed by section header index. */
  shdrs?: Readonly<Record<number, Partial<Record<ShdrField, Int>>>>;
}

export interface ElfSpec {
  class: ElfClass;
  /** Default "lsb". */
  data?: "lsb" | "msb";
  /** Default ET_EXEC. */
  type?: number;
  /** Default EM_386 for ELF32, EM_X86_64 for ELF64. */
  machine?: number;
  /** Default 0. */
  entry?: Int;
  /** e_flags. Default 0. */
  flags?: number;
  osabi?: number;
  /** In program header order. */
  segments?: readonly SegmentSpec[];
  /** "auto" (default): NULL, one section per load/note segment, note sections, .shstrtab. "none": e_shoff = e_shnum = 0. */
  sections?: "auto" | "none";
  noteSections?: readonly NoteSectionSpec[];
  /** Field values written over the laid-out headers (before `patch`). */
  overrides?: ElfOverrides;
  /** Last word: change anything, with the layout at hand. */
  patch?: (p: ElfPatcher) => void;
}

export interface SegmentLayout {
  index: number;
  kind: SegmentSpec["kind"];
  type: number;
  flags: number;
  offset: number;
  filesz: number;
  memsz: bigint;
  vaddr: bigint;
  paddr: bigint;
  align: bigint;
  padding: 4 | 8 | undefined;
  notes: NoteLayout[];
  /** Index of the section describing it, if any. */
  sectionIndex: number | undefined;
}

export interface SectionLayout {
  index: number;
  name: string;
  nameOffset: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  addralign: bigint;
  padding: 4 | 8 | undefined;
  notes: NoteLayout[];
  /** Program header index it covers, if any. */
  segmentIndex: number | undefined;
}

export interface ElfLayout {
  class: ElfClass;
  littleEndian: boolean;
  fileSize: number;
  phoff: number;
  shoff: number;
  shstrndx: number;
  segments: SegmentLayout[];
  sections: SectionLayout[];
}

export interface ElfPatcher {
  readonly bytes: Uint8Array;
  readonly layout: ElfLayout;
  ident(field: IdentField, value: number | Uint8Array): void;
  ehdr(field: EhdrField, value: Int): void;
  /** Writes entry `index` of the program header table at e_phoff as laid out (any index that fits in the file). */
  phdr(index: number, field: PhdrField, value: Int): void;
  shdr(index: number, field: ShdrField, value: Int): void;
}

export interface BuiltElf {
  bytes: Uint8Array;
  layout: ElfLayout;
}

const big = (v: Int): bigint => (typeof v === "bigint" ? v : BigInt(v));

function parseFlags(f: SegmentFlags): number {
  if (typeof f === "number") return f;
  let v = 0;
  for (const ch of f.toUpperCase()) {
    if (ch === "R") v |= ELF.PF_R;
    else if (ch === "W") v |= ELF.PF_W;
    else if (ch === "X" || ch === "E") v |= ELF.PF_X;
    else throw new Error(`segment flags: unknown letter ${JSON.stringify(ch)} in ${JSON.stringify(f)}`);
  }
  return v;
}

const isPow2 = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;

// Default record padding: what readelf would walk the region with (see noteWalkAlign).
const notePadding = (s: NoteSegmentSpec): 4 | 8 => s.padding ?? (big(s.align ?? 4) === 8n ? 8 : 4);

/**
 * First offset >= cursor that is a multiple of `fileAlign` and congruent to
 * vaddr modulo p_align. Loaders only need the congruence (gABI: "p_vaddr
 * should equal p_offset, modulo p_align"); the multiple is for note records.
 * If both cannot hold, congruence wins.
 */
function place(cursor: number, vaddr: bigint, pAlign: bigint, fileAlign: number): number {
  let off = alignUp(cursor, fileAlign);
  if (!isPow2(pAlign) || pAlign === 1n) return off;
  const delta = (((vaddr - BigInt(off)) % pAlign) + pAlign) % pAlign;
  const congruent = off + Number(delta);
  off = congruent;
  if (pAlign < BigInt(fileAlign)) {
    const step = Number(pAlign);
    for (let i = 0; i < fileAlign / step && off % fileAlign !== 0; i++) off += step;
    if (off % fileAlign !== 0) off = congruent;
  }
  return off;
}

/** A section before its index and name offset are known. */
interface PlannedSection extends Omit<SectionLayout, "index" | "nameOffset"> {
  encoded?: { notes: EncodedNote[]; padding: 4 | 8 };
}

/**
 * Builds an ELF image from a declarative spec. Deterministic: the same spec
 * gives the same bytes. Layout: ELF header, program headers, segment
 * contents in spec order (notes embedded with `inLoad` right after their
 * load's data), note-only sections, .shstrtab, section headers.
 * Throws (plain Error / RangeError) on specs it cannot encode, e.g. a value
 * too large for its field in ELF32.
 */
export function buildElf(spec: ElfSpec): BuiltElf {
  const cls = spec.class;
  const littleEndian = (spec.data ?? "lsb") === "lsb";
  const ehdr = EHDR[cls];
  const phdr = PHDR[cls];
  const shdr = SHDR[cls];
  const specs = spec.segments ?? [];
  const withSections = (spec.sections ?? "auto") === "auto";
  const noteSectionSpecs = spec.noteSections ?? [];
  if (!withSections && noteSectionSpecs.length > 0) {
    throw new Error('noteSections need section headers; they cannot be combined with sections: "none"');
  }

  let cursor = ehdr.size;
  const phoff = specs.length > 0 ? cursor : 0;
  cursor += specs.length * phdr.size;

  interface Planned {
    layout: SegmentLayout;
    data: Uint8Array | undefined;
    encoded: EncodedNote[];
  }
  // Note segments that live inside a load are laid out with that load.
  const attached = new Map<number, number[]>();
  specs.forEach((s, i) => {
    if (s.kind !== "note" || s.inLoad === undefined) return;
    if (specs[s.inLoad]?.kind !== "load") throw new Error(`segment ${i}: inLoad ${s.inLoad} is not a load segment`);
    attached.set(s.inLoad, [...(attached.get(s.inLoad) ?? []), i]);
  });
  const planNote = (s: NoteSegmentSpec, index: number, at: number, vaddr: bigint, paddr: bigint): Planned => {
    const align = big(s.align ?? 4);
    const padding = notePadding(s);
    const encoded = s.notes.map(encodeNote);
    const filesz = encoded.reduce((sum, e) => sum + encodedNoteSize(e, padding), 0);
    return {
      data: undefined,
      encoded,
      layout: {
        index,
        kind: "note",
        type: ELF.PT_NOTE,
        flags: parseFlags(s.flags ?? "R"),
        offset: at,
        filesz,
        memsz: big(s.memsz ?? filesz),
        vaddr,
        paddr,
        align,
        padding,
        notes: [],
        sectionIndex: undefined,
      },
    };
  };
  const plannedAt: (Planned | undefined)[] = [];
  specs.forEach((s, index) => {
    if (s.kind === "note") {
      if (s.inLoad !== undefined) return;
      const align = big(s.align ?? 4);
      const vaddr = big(s.vaddr ?? 0);
      const p = planNote(s, index, place(cursor, vaddr, align, notePadding(s)), vaddr, big(s.paddr ?? vaddr));
      cursor = p.layout.offset + p.layout.filesz;
      plannedAt[index] = p;
      return;
    }
    const data = s.data ?? new Uint8Array(0);
    const align = big(s.align ?? (s.kind === "load" ? 0x1000 : 1));
    const vaddr = big(s.vaddr ?? 0);
    const paddr = big(s.paddr ?? vaddr);
    // Embedded notes inherit the load's offset/vaddr relation, so the load is
    // placed congruent modulo the largest alignment any of them asks for;
    // then each note's p_offset = p_vaddr (mod p_align) and its records are
    // aligned in both the file and memory.
    let congruence = isPow2(align) ? align : 1n;
    for (const ni of attached.get(index) ?? []) {
      const ns = specs[ni] as NoteSegmentSpec;
      for (const a of [big(ns.align ?? 4), BigInt(notePadding(ns))]) if (isPow2(a) && a > congruence) congruence = a;
    }
    const offset = place(cursor, vaddr, congruence, 1);
    cursor = offset + data.length;
    for (const ni of attached.get(index) ?? []) {
      const ns = specs[ni] as NoteSegmentSpec;
      const at = alignUp(cursor, notePadding(ns));
      // Derived addresses wrap like the target's address arithmetic would.
      const mask = (1n << BigInt(cls)) - 1n;
      const delta = BigInt(at - offset);
      const p = planNote(ns, ni, at, big(ns.vaddr ?? (vaddr + delta) & mask), big(ns.paddr ?? (paddr + delta) & mask));
      cursor = at + p.layout.filesz;
      plannedAt[ni] = p;
    }
    const filesz = cursor - offset;
    const memsz = big(s.memsz ?? data.length);
    plannedAt[index] = {
      data,
      encoded: [],
      layout: {
        index,
        kind: s.kind,
        type: s.kind === "load" ? ELF.PT_LOAD : s.type,
        flags: parseFlags(s.flags ?? (s.kind === "load" ? "RX" : "R")),
        offset,
        filesz,
        memsz: memsz < BigInt(filesz) ? BigInt(filesz) : memsz,
        vaddr,
        paddr,
        align,
        padding: undefined,
        notes: [],
        sectionIndex: undefined,
      },
    };
  });
  const planned = plannedAt.map((p) => p!);

  const sections: PlannedSection[] = [];
  if (withSections) {
    sections.push({
      name: "",
      type: ELF.SHT_NULL,
      flags: 0n,
      addr: 0n,
      offset: 0,
      size: 0,
      addralign: 0n,
      padding: undefined,
      notes: [],
      segmentIndex: undefined,
    });
    specs.forEach((s, i) => {
      const p = planned[i]!.layout;
      if (s.kind === "load") {
        p.sectionIndex = sections.length;
        sections.push({
          name: s.sectionName ?? `.load${i}`,
          type: ELF.SHT_PROGBITS,
          flags:
            BigInt(ELF.SHF_ALLOC) |
            (p.flags & ELF.PF_W ? BigInt(ELF.SHF_WRITE) : 0n) |
            (p.flags & ELF.PF_X ? BigInt(ELF.SHF_EXECINSTR) : 0n),
          addr: p.vaddr,
          offset: p.offset,
          size: planned[i]!.data?.length ?? 0,
          addralign: p.align === 0n ? 1n : p.align,
          padding: undefined,
          notes: [],
          segmentIndex: i,
        });
      } else if (s.kind === "note" && s.section !== false) {
        p.sectionIndex = sections.length;
        sections.push({
          name: s.sectionName ?? `.note.seg${i}`,
          type: ELF.SHT_NOTE,
          flags: BigInt(ELF.SHF_ALLOC),
          addr: p.vaddr,
          offset: p.offset,
          size: p.filesz,
          addralign: p.align,
          padding: p.padding,
          notes: [],
          segmentIndex: i,
        });
      }
    });
    noteSectionSpecs.forEach((ns, j) => {
      const padding = ns.padding ?? 4;
      const encoded = ns.notes.map(encodeNote);
      const size = encoded.reduce((sum, e) => sum + encodedNoteSize(e, padding), 0);
      const offset = alignUp(cursor, padding);
      cursor = offset + size;
      sections.push({
        name: ns.name ?? `.note.sec${j}`,
        type: ELF.SHT_NOTE,
        flags: big(ns.flags ?? 0),
        addr: big(ns.addr ?? 0),
        offset,
        size,
        addralign: big(ns.addralign ?? padding),
        padding,
        notes: [],
        segmentIndex: undefined,
        encoded: { notes: encoded, padding },
      });
    });
    sections.push({
      name: ".shstrtab",
      type: ELF.SHT_STRTAB,
      flags: 0n,
      addr: 0n,
      offset: 0,
      size: 0,
      addralign: 1n,
      padding: undefined,
      notes: [],
      segmentIndex: undefined,
    });
  }

  // .shstrtab: a leading NUL (index 0 = empty name), then every name in order.
  const utf8 = new TextEncoder();
  const nameOffsets: number[] = [];
  const strParts: Uint8Array[] = [new Uint8Array(1)];
  let strSize = 1;
  for (const s of sections) {
    if (s.name === "") {
      nameOffsets.push(0);
      continue;
    }
    nameOffsets.push(strSize);
    const enc = utf8.encode(s.name);
    strParts.push(enc, new Uint8Array(1));
    strSize += enc.length + 1;
  }
  let shoff = 0;
  const shstrndx = withSections ? sections.length - 1 : 0;
  if (withSections) {
    const strtab = sections[shstrndx]!;
    strtab.offset = cursor;
    strtab.size = strSize;
    cursor += strSize;
    shoff = alignUp(cursor, cls === 64 ? 8 : 4);
    cursor = shoff + sections.length * shdr.size;
  }

  const bytes = new Uint8Array(cursor);
  const view = new DataView(bytes.buffer);

  const put = <N extends string>(struct: Struct<N>, base: number, values: Record<N, Int | Uint8Array>): void => {
    for (const f of struct.order) writeField(view, base, f, littleEndian, values[f.name]);
  };

  const ident = new Uint8Array(ELF.EI_NIDENT);
  ident.set(ELF.MAGIC, IDENT.fields.ei_mag.offset);
  ident[IDENT.fields.ei_class.offset] = cls === 64 ? ELF.ELFCLASS64 : ELF.ELFCLASS32;
  ident[IDENT.fields.ei_data.offset] = littleEndian ? ELF.ELFDATA2LSB : ELF.ELFDATA2MSB;
  ident[IDENT.fields.ei_version.offset] = ELF.EV_CURRENT;
  ident[IDENT.fields.ei_osabi.offset] = spec.osabi ?? 0;
  put(ehdr, 0, {
    e_ident: ident,
    e_type: spec.type ?? ELF.ET_EXEC,
    e_machine: spec.machine ?? (cls === 64 ? ELF.EM_X86_64 : ELF.EM_386),
    e_version: ELF.EV_CURRENT,
    e_entry: spec.entry ?? 0,
    e_phoff: phoff,
    e_shoff: shoff,
    e_flags: spec.flags ?? 0,
    e_ehsize: ehdr.size,
    e_phentsize: phdr.size,
    e_phnum: specs.length,
    e_shentsize: shdr.size,
    e_shnum: withSections ? sections.length : 0,
    e_shstrndx: shstrndx,
  });

  for (const p of planned) {
    const l = p.layout;
    put(phdr, phoff + l.index * phdr.size, {
      p_type: l.type,
      p_flags: l.flags,
      p_offset: l.offset,
      p_vaddr: l.vaddr,
      p_paddr: l.paddr,
      p_filesz: l.filesz,
      p_memsz: l.memsz,
      p_align: l.align,
    });
    if (p.data) bytes.set(p.data, l.offset);
    if (l.padding !== undefined) {
      l.notes = writeNotes(view, bytes, l.offset, p.encoded, l.padding, littleEndian);
    }
  }

  sections.forEach((s, i) => {
    if (s.encoded) s.notes = writeNotes(view, bytes, s.offset, s.encoded.notes, s.encoded.padding, littleEndian);
    else if (s.segmentIndex !== undefined) s.notes = planned[s.segmentIndex]!.layout.notes;
    put(shdr, shoff + i * shdr.size, {
      sh_name: nameOffsets[i]!,
      sh_type: s.type,
      sh_flags: s.flags,
      sh_addr: s.addr,
      sh_offset: s.offset,
      sh_size: s.size,
      sh_link: 0,
      sh_info: 0,
      sh_addralign: s.addralign,
      sh_entsize: 0,
    });
  });
  if (withSections) {
    let at = sections[shstrndx]!.offset;
    for (const part of strParts) {
      bytes.set(part, at);
      at += part.length;
    }
  }

  const layout: ElfLayout = {
    class: cls,
    littleEndian,
    fileSize: bytes.length,
    phoff,
    shoff,
    shstrndx,
    segments: planned.map((p) => p.layout),
    sections: sections.map((s, index) => ({
      index,
      name: s.name,
      nameOffset: nameOffsets[index]!,
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      offset: s.offset,
      size: s.size,
      addralign: s.addralign,
      padding: s.padding,
      notes: s.notes,
      segmentIndex: s.segmentIndex,
    })),
  };

  const setAt = <N extends string>(struct: Struct<N>, base: number, field: N, value: Int | Uint8Array, what: string) => {
    const f = struct.fields[field];
    if (f === undefined) throw new Error(`${what}: unknown field ${field}`);
    if (base < 0 || base + f.offset + f.width > bytes.length) {
      throw new RangeError(`${what}.${field} at ${base + f.offset} is outside the ${bytes.length}-byte image`);
    }
    writeField(view, base, f, littleEndian, value);
  };
  const patcher: ElfPatcher = {
    bytes,
    layout,
    ident: (field, value) => setAt(IDENT, 0, field, value, "e_ident"),
    ehdr: (field, value) => setAt(ehdr, 0, field, value, "ehdr"),
    phdr: (index, field, value) => setAt(phdr, phoff + index * phdr.size, field, value, `phdr[${index}]`),
    shdr: (index, field, value) => setAt(shdr, shoff + index * shdr.size, field, value, `shdr[${index}]`),
  };
  const o = spec.overrides;
  if (o) {
    for (const [k, v] of Object.entries(o.ident ?? {})) if (v !== undefined) patcher.ident(k as IdentField, v);
    for (const [k, v] of Object.entries(o.ehdr ?? {})) if (v !== undefined) patcher.ehdr(k as EhdrField, v);
    for (const [i, fields] of Object.entries(o.phdrs ?? {})) {
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) patcher.phdr(Number(i), k as PhdrField, v);
    }
    for (const [i, fields] of Object.entries(o.shdrs ?? {})) {
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) patcher.shdr(Number(i), k as ShdrField, v);
    }
  }
  spec.patch?.(patcher);
  return { bytes, layout };
}
